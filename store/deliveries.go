package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"newswatch/model"
	"os"
	"strings"
	"time"
)

// Deliveries returns the deliveries with one of the statuses (all when
// none), oldest message first, then by channel.
func (s *Store) Deliveries(ctx context.Context, statuses ...string) ([]model.Delivery, error) {
	q := `SELECT message_id, channel, name, status, attempts, unanswered, last_error, next_attempt, sent FROM deliveries`
	var args []any
	if len(statuses) > 0 {
		q += ` WHERE status IN (?` + strings.Repeat(`, ?`, len(statuses)-1) + `)`
		for _, st := range statuses {
			args = append(args, st)
		}
	}
	rows, err := s.r.QueryContext(ctx, s.q(q+` ORDER BY message_id, channel`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	var ds []model.Delivery
	for rows.Next() {
		var (
			d          model.Delivery
			next, sent sql.NullInt64
		)
		if err := rows.Scan(&d.Message.ID, &d.Key, &d.Channel, &d.Status, &d.Attempts, &d.Unanswered, &d.LastError, &next, &sent); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		d.NextAttempt, d.Sent = fromNanos(next), fromNanos(sent)
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	if len(ds) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(ds))
	for _, d := range ds {
		if len(ids) == 0 || ids[len(ids)-1] != d.Message.ID {
			ids = append(ids, d.Message.ID)
		}
	}
	arr, err := s.d.list(ids)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	ms, err := s.queryMessages(ctx, `WHERE `+s.d.in("m.id", "bigint"), arr)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	msgs := make(map[int64]model.Message, len(ms))
	for _, m := range ms {
		msgs[m.ID] = m
	}
	for i := range ds {
		m, ok := msgs[ds[i].Message.ID]
		if !ok { // removed between the two reads
			return nil, fmt.Errorf("store: deliveries: message %d: %w", ds[i].Message.ID, ErrNotFound)
		}
		ds[i].Message = m
	}
	return ds, nil
}

// LastDelivered returns the latest slot of the digest's messages that the
// channel with key had.
func (s *Store) LastDelivered(ctx context.Context, digest, channel string) (time.Time, bool, error) {
	var slot sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT max(m.slot) FROM deliveries AS d JOIN messages AS m ON m.id = d.message_id
		WHERE m.digest = ? AND d.channel = ? AND d.status = 'sent'`), digest, channel).Scan(&slot)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last delivered of %s via %s: %w", digest, channel, err)
	}
	return fromNanos(slot), slot.Valid, nil
}

// The channel of a delivery is named by its key (model.Channel) in the
// methods below.

// LeaseDelivery takes the right to send message id through channel for
// LeaseTTL, as [Store.Lease] does for mail (HoldDelivery keeps it):
// ErrLeased when another live sender holds it or it is no longer pending.
func (s *Store) LeaseDelivery(ctx context.Context, id int64, channel string) error {
	start := s.now()
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var (
			status string
			pid    int
			end    sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, s.q(`SELECT status, lease_pid, lease_until FROM deliveries
			WHERE message_id = ? AND channel = ?`), id, channel).Scan(&status, &pid, &end)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: lease %d via %s: %w", id, channel, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: lease %d via %s: %w", id, channel, err)
		}
		if status != model.MessagePending {
			return fmt.Errorf("store: lease %d via %s: %s: %w", id, channel, status, ErrLeased)
		}
		now, err := s.leaseNow(ctx, tx)
		if err != nil {
			return fmt.Errorf("store: lease %d via %s: %w", id, channel, err)
		}
		if end.Valid && s.held(now, end.Int64, pid) {
			return fmt.Errorf("store: lease %d via %s: held by another sender: %w", id, channel, ErrLeased)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET lease_pid = ?, lease_owner = ?, lease_until = ?
			WHERE message_id = ? AND channel = ?`), os.Getpid(), s.owner, now.Add(LeaseTTL).UnixNano(), id, channel); err != nil {
			return fmt.Errorf("store: lease %d via %s: %w", id, channel, err)
		}
		return nil
	})
	if err == nil {
		s.taken.put(s.now(), start, deliveryLease(id, channel))
	}
	return err
}

// HoldDelivery renews this Store's lease on message id's delivery through
// channel until stop is called. The context it returns, derived from ctx,
// is cancelled with ErrLeaseLost when a renewal finds the lease gone; send
// under it.
func (s *Store) HoldDelivery(ctx context.Context, id int64, channel string) (held context.Context, stop func()) {
	return s.hold(ctx, deliveryLease(id, channel), s.taken.take(deliveryLease(id, channel)), func(ctx context.Context) (bool, error) {
		return s.renew(ctx, 1, `UPDATE deliveries SET lease_until = ?
			WHERE message_id = ? AND channel = ? AND lease_owner = ? AND status = 'pending' AND lease_until IS NOT NULL`,
			id, channel, s.owner)
	})
}

func deliveryLease(id int64, channel string) string {
	return fmt.Sprintf("message %d via %s", id, channel)
}

// RenameDelivery records message id's delivery through the channel with
// key under ch (its key and name) instead.
func (s *Store) RenameDelivery(ctx context.Context, id int64, key string, ch model.Channel) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE deliveries SET channel = ?, name = ? WHERE message_id = ? AND channel = ?`),
		ch.Key, ch.Name, id, key); err != nil {
		return fmt.Errorf("store: rename delivery %d via %s: %w", id, ch.Name, err)
	}
	return nil
}

// MarkDeliverySent records that channel accepted message id: sent at at,
// one more attempt.
func (s *Store) MarkDeliverySent(ctx context.Context, id int64, channel string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.markDelivery(ctx, "mark sent", id, channel, `UPDATE deliveries SET status = 'sent', sent = ?,
		attempts = attempts + 1, last_error = '', next_attempt = NULL, lease_pid = 0, lease_owner = '', lease_until = NULL
		WHERE message_id = ? AND channel = ?`, nullTime(at), id, channel)
}

// MarkDeliveryRetry records a temporary failure of channel: pending until next.
func (s *Store) MarkDeliveryRetry(ctx context.Context, id int64, channel, errMsg string, next time.Time) error {
	return s.markDelivery(ctx, "mark retry", id, channel, `UPDATE deliveries SET attempts = attempts + 1,
		last_error = ?, next_attempt = ?, lease_pid = 0, lease_owner = '', lease_until = NULL
		WHERE message_id = ? AND channel = ? AND status = 'pending'`, errMsg, nullTime(next), id, channel)
}

// MarkDeliveryUnanswered records a try of channel that got no answer in
// time after the message was sent: pending until next, one more attempt
// and one more unanswered. With taken, it is the last such try: the
// delivery is recorded as sent (the receiver most likely has it) with
// errMsg as its note.
func (s *Store) MarkDeliveryUnanswered(ctx context.Context, id int64, channel, errMsg string, next time.Time, taken bool) error {
	if taken {
		return s.markDelivery(ctx, "mark unanswered", id, channel, `UPDATE deliveries SET status = 'sent', sent = ?,
			attempts = attempts + 1, unanswered = unanswered + 1, last_error = ?, next_attempt = NULL,
			lease_pid = 0, lease_owner = '', lease_until = NULL
			WHERE message_id = ? AND channel = ? AND status = 'pending'`, nullTime(s.now()), errMsg, id, channel)
	}
	return s.markDelivery(ctx, "mark unanswered", id, channel, `UPDATE deliveries SET attempts = attempts + 1,
		unanswered = unanswered + 1, last_error = ?, next_attempt = ?, lease_pid = 0, lease_owner = '', lease_until = NULL
		WHERE message_id = ? AND channel = ? AND status = 'pending'`, errMsg, nullTime(next), id, channel)
}

// MarkDeliveryFailed records that channel refused message id for good.
func (s *Store) MarkDeliveryFailed(ctx context.Context, id int64, channel, errMsg string) error {
	return s.markDelivery(ctx, "mark failed", id, channel, `UPDATE deliveries SET status = 'failed',
		attempts = attempts + 1, last_error = ?, next_attempt = NULL, lease_pid = 0, lease_owner = '', lease_until = NULL
		WHERE message_id = ? AND channel = ?`, errMsg, id, channel)
}

// markDelivery runs one UPDATE of a delivery, then, for a message without
// recipients, brings the message's status in line with its channels:
// pending while one of them is, sent once one of them had it (its items
// stay claimed), failed when every one failed (its items are released to
// the next digest).
func (s *Store) markDelivery(ctx context.Context, op string, id int64, channel, query string, args ...any) error {
	// Fenced as the messages' outcomes are: a sender taken over changes
	// nothing the new holder did.
	query += ` AND status = 'pending' AND (lease_until IS NULL OR lease_owner = ?)`
	args = append(args, s.owner)
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE messages SET
			status = CASE
				WHEN EXISTS (SELECT 1 FROM deliveries AS d WHERE d.message_id = messages.id AND d.status = 'pending') THEN 'pending'
				WHEN EXISTS (SELECT 1 FROM deliveries AS d WHERE d.message_id = messages.id AND d.status = 'sent') THEN 'sent'
				ELSE 'failed' END,
			sent = (SELECT min(d.sent) FROM deliveries AS d WHERE d.message_id = messages.id),
			attempts = (SELECT max(d.attempts) FROM deliveries AS d WHERE d.message_id = messages.id),
			last_error = coalesce((SELECT min(d.last_error) FROM deliveries AS d
				WHERE d.message_id = messages.id AND d.status = 'failed'), '')
			WHERE id = ? AND to_json = '[]'`), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s %d via %s: %w", op, id, channel, err)
	}
	return nil
}
