package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"newswatch/model"
	"slices"
	"strings"
	"time"
)

// claiming is the condition (on messages AS m) of a message that claims its
// items: pending or sent, or, failed by mail, sent or still owed through a
// notify channel (the stories reached, or may reach, that channel: they
// are not posted to it again in the next digest).
const claiming = `(m.status IN ('pending', 'sent') OR EXISTS (SELECT 1 FROM deliveries AS d
	WHERE d.message_id = m.id AND d.status IN ('pending', 'sent')))`

// CreateMessage records m as pending and claims its items, in one transaction.
// It sets m.ID, m.Status and, when zero, m.Created. It returns ErrSlotTaken
// when (Digest, Slot) exists, and ErrClaimed when one of m.ItemIDs is already
// claimed by a pending or sent message of the same digest. Composed under a
// claim (ctx of HoldClaims), m is recorded only while the claim is still
// the holder's own (CheckHeld, right before the insert, the writers' lock
// held): a holder that stalled past it, its slot possibly taken over,
// records nothing and gets an error wrapping ErrLeaseLost.
func (s *Store) CreateMessage(ctx context.Context, m *model.Message) error {
	if m.Digest == "" {
		return errors.New("store: create message: empty digest name")
	}
	slot := nullTime(m.Slot)
	if !slot.Valid {
		return fmt.Errorf("store: create message for %s: no schedule slot", m.Digest)
	}
	to, err := json.Marshal(nonNil(m.To))
	if err != nil {
		return fmt.Errorf("store: create message for %s: %w", m.Digest, err)
	}
	ids, err := s.d.list(nonNil(m.ItemIDs))
	if err != nil {
		return fmt.Errorf("store: create message for %s: %w", m.Digest, err)
	}
	created := m.Created
	if created.IsZero() {
		created = s.now()
	}
	created = created.UTC()
	channels := slices.Clone(m.Channels)
	slices.SortFunc(channels, func(a, b model.Channel) int { return strings.Compare(a.Key, b.Key) })
	channels = slices.CompactFunc(channels, func(a, b model.Channel) bool { return a.Key == b.Key })

	var id int64
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		// The transaction holds the write lock, so these checks and the
		// inserts below cannot interleave with another writer's.
		var taken int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM messages WHERE digest = ? AND slot = ?`),
			m.Digest, slot).Scan(&taken)
		if err == nil {
			return fmt.Errorf("%w: message %d", ErrSlotTaken, taken)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var item, other int64
		err = tx.QueryRowContext(ctx, s.q(`SELECT mi.item_id, m.id FROM message_items AS mi
			JOIN messages AS m ON m.id = mi.message_id
			WHERE m.digest = ? AND `+claiming+`
				AND `+s.d.in("mi.item_id", "bigint")+`
			LIMIT 1`), m.Digest, ids).Scan(&item, &other)
		if err == nil {
			return fmt.Errorf("%w: item %d is in message %d", ErrClaimed, item, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}

		// The last moment to step back: whoever claims the slot next
		// (another daemon that took it over, or this one again)
		// composes it.
		if err := CheckHeld(ctx); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO messages (digest, slot, message_id, subject, to_json,
				text, html, status, attempts, last_error, next_attempt, created, sent, covered_until, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, '', ?, ?, NULL, ?, ?)
			RETURNING id`),
			m.Digest, slot, m.MessageID, m.Subject, string(to), m.Text, m.HTML,
			nullTime(m.NextAttempt), created.UnixNano(), nullTime(m.CoveredUntil), m.Doc).Scan(&id)
		if err != nil {
			return err
		}
		for _, ch := range channels {
			if ch.Key == "" {
				return fmt.Errorf("channel %s: no key", ch.Name)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO deliveries (message_id, channel, name, status) VALUES (?, ?, ?, 'pending')`),
				id, ch.Key, ch.Name); err != nil {
				return fmt.Errorf("channel %s: %w", ch.Name, err)
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO message_items (message_id, item_id)
			SELECT DISTINCT CAST(? AS BIGINT), j.value FROM `+s.d.each("bigint")), id, ids)
		if err != nil {
			return fmt.Errorf("claim items: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && int(n) != countDistinct(m.ItemIDs) {
			return fmt.Errorf("claim items: %d of %d recorded", n, countDistinct(m.ItemIDs))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create message for %s at %s: %w", m.Digest, m.Slot.UTC().Format(time.RFC3339), err)
	}
	m.ID = id
	m.Status = model.MessagePending
	m.Attempts = 0
	m.LastError = ""
	m.Created = created
	m.Sent = time.Time{}
	m.Channels = nonEmpty(channels)
	return nil
}

func nonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func countDistinct(ids []int64) int {
	seen := make(map[int64]struct{}, len(ids))
	for _, id := range ids {
		seen[id] = struct{}{}
	}
	return len(seen)
}

const messageColumns = `m.id, m.digest, m.slot, m.message_id, m.subject, m.to_json, m.text, m.html,
	m.status, m.attempts, m.last_error, m.held, m.next_attempt, m.created, m.sent, m.covered_until`

// headColumns are messageColumns with the text and HTML left empty, for
// listings.
var headColumns = strings.Replace(messageColumns, `m.text, m.html`, `'', ''`, 1)

// queryMessages runs a SELECT of messageColumns and the message's item IDs
// from messages AS m, followed by tail.
func (s *Store) queryMessages(ctx context.Context, tail string, args ...any) ([]model.Message, error) {
	return s.selectMessages(ctx, messageColumns+`, m.doc`, tail, args...)
}

// selectMessages runs a SELECT of cols (messageColumns or headColumns,
// then the document) and the message's item IDs and channels from
// messages AS m, followed by tail.
func (s *Store) selectMessages(ctx context.Context, cols, tail string, args ...any) ([]model.Message, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+cols+`,
		(SELECT `+s.d.jsonArray("mi.item_id", "mi.item_id")+` FROM message_items AS mi WHERE mi.message_id = m.id),
		(SELECT `+s.d.jsonArray("d.channel", "d.channel")+` FROM deliveries AS d WHERE d.message_id = m.id),
		(SELECT `+s.d.jsonArray("d.name", "d.channel")+` FROM deliveries AS d WHERE d.message_id = m.id)
		FROM messages AS m `+tail), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []model.Message
	for rows.Next() {
		var (
			m                    model.Message
			slot, created        int64
			next, sent, covered  sql.NullInt64
			to, ids, keys, names string
			held                 int
		)
		if err := rows.Scan(&m.ID, &m.Digest, &slot, &m.MessageID, &m.Subject, &to, &m.Text, &m.HTML,
			&m.Status, &m.Attempts, &m.LastError, &held, &next, &created, &sent, &covered, &m.Doc, &ids, &keys, &names); err != nil {
			return nil, err
		}
		m.Slot, m.Created = time.Unix(0, slot).UTC(), time.Unix(0, created).UTC()
		m.Held = held != 0
		m.NextAttempt, m.Sent, m.CoveredUntil = fromNanos(next), fromNanos(sent), fromNanos(covered)
		if err := json.Unmarshal([]byte(to), &m.To); err != nil {
			return nil, fmt.Errorf("recipients of message %d: %w", m.ID, err)
		}
		if err := json.Unmarshal([]byte(ids), &m.ItemIDs); err != nil {
			return nil, fmt.Errorf("items of message %d: %w", m.ID, err)
		}
		var ks, ns []string
		if err := errors.Join(json.Unmarshal([]byte(keys), &ks), json.Unmarshal([]byte(names), &ns)); err != nil || len(ks) != len(ns) {
			return nil, fmt.Errorf("channels of message %d: %w", m.ID, err)
		}
		for i := range ks {
			m.Channels = append(m.Channels, model.Channel{Key: ks[i], Name: ns[i]})
		}
		m.To, m.Channels = nonEmpty(m.To), nonEmpty(m.Channels)
		if len(m.ItemIDs) == 0 {
			m.ItemIDs = nil
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// model.Message returns the message with the given ID, or ErrNotFound.
func (s *Store) Message(ctx context.Context, id int64) (model.Message, error) {
	ms, err := s.queryMessages(ctx, `WHERE m.id = ?`, id)
	if err != nil {
		return model.Message{}, fmt.Errorf("store: message %d: %w", id, err)
	}
	if len(ms) == 0 {
		return model.Message{}, fmt.Errorf("store: message %d: %w", id, ErrNotFound)
	}
	return ms[0], nil
}

// Messages returns the messages with one of the statuses (all when none), oldest first.
func (s *Store) Messages(ctx context.Context, statuses ...string) ([]model.Message, error) {
	tail := `ORDER BY m.created, m.id`
	var args []any
	if len(statuses) > 0 {
		tail = `WHERE m.status IN (?` + strings.Repeat(`, ?`, len(statuses)-1) + `) ` + tail
		for _, st := range statuses {
			args = append(args, st)
		}
	}
	ms, err := s.queryMessages(ctx, tail, args...)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return ms, nil
}

// MessageList returns every message, oldest first, as Messages does but
// without its text, HTML and document: what a list of digests shows.
func (s *Store) MessageList(ctx context.Context) ([]model.Message, error) {
	ms, err := s.selectMessages(ctx, headColumns+`, ''`, `ORDER BY m.created, m.id`)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return ms, nil
}

// LastSent returns the digest's sent message with the latest slot.
func (s *Store) LastSent(ctx context.Context, digest string) (model.Message, bool, error) {
	ms, err := s.queryMessages(ctx, `WHERE m.digest = ? AND m.status = 'sent' ORDER BY m.slot DESC LIMIT 1`, digest)
	if err != nil {
		return model.Message{}, false, fmt.Errorf("store: last sent of %s: %w", digest, err)
	}
	if len(ms) == 0 {
		return model.Message{}, false, nil
	}
	return ms[0], true, nil
}

// LastSlot returns the latest slot recorded for the digest, whatever its status.
func (s *Store) LastSlot(ctx context.Context, digest string) (time.Time, bool, error) {
	var slot sql.NullInt64
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT max(slot) FROM (
			SELECT max(slot) AS slot FROM messages WHERE digest = ?
			UNION ALL SELECT max(slot) FROM empty_slots WHERE digest = ?) AS slots`), digest, digest).Scan(&slot); err != nil {
		return time.Time{}, false, fmt.Errorf("store: last slot of %s: %w", digest, err)
	}
	return fromNanos(slot), slot.Valid, nil
}

// RecordEmpty records that digest's slot was composed with nothing to
// send: the slot is done (LastSlot counts it) without a message.
func (s *Store) RecordEmpty(ctx context.Context, digest string, slot time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO empty_slots (digest, slot) VALUES (?, ?) ON CONFLICT DO NOTHING`),
		digest, slot.UTC().UnixNano())
	if err != nil {
		return fmt.Errorf("store: record empty slot of %s: %w", digest, err)
	}
	return nil
}

// MarkSent records that the server accepted the message: status sent, Sent =
// at (kept when a partial delivery set it first), one more attempt, no
// error and no next attempt.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.update(ctx, "mark sent", id, `UPDATE messages SET status = 'sent', sent = coalesce(sent, ?), attempts = attempts + 1,
		last_error = '', held = 0, next_attempt = NULL, lease_pid = 0, lease_until = NULL WHERE id = ?`, nullTime(at), id)
}

// MarkRetry records a temporary failure; the message stays pending until next.
// It counts one more attempt, and clears Held: this failure was not the
// mail settings'.
func (s *Store) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.update(ctx, "mark retry", id, `UPDATE messages SET attempts = attempts + 1, last_error = ?, held = 0,
		next_attempt = ?, lease_pid = 0, lease_until = NULL WHERE id = ?`, errMsg, nullTime(next), id)
}

// MarkHeld records a failure of the mail settings (see model.Message.Held):
// the message stays pending, due again at next, and Held until a try
// succeeds or fails for another reason. It counts one more attempt.
func (s *Store) MarkHeld(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.update(ctx, "mark held", id, `UPDATE messages SET attempts = attempts + 1, last_error = ?, held = 1,
		next_attempt = ?, lease_pid = 0, lease_until = NULL WHERE id = ?`, errMsg, nullTime(next), id)
}

// MarkPartial records that the server accepted the message for some
// recipients and refused the others for now: it stays pending, addressed
// to those others only (owed), until next. Sent is set by the first
// partial delivery and kept; the items stay claimed. It counts one more
// attempt.
func (s *Store) MarkPartial(ctx context.Context, id int64, at time.Time, owed []string, errMsg string, next time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	to, err := json.Marshal(owed)
	if err != nil {
		return fmt.Errorf("store: mark partial %d: %w", id, err)
	}
	return s.update(ctx, "mark partial", id, `UPDATE messages SET to_json = ?, sent = coalesce(sent, ?), attempts = attempts + 1,
		last_error = ?, held = 0, next_attempt = ?, lease_pid = 0, lease_until = NULL WHERE id = ? AND status = 'pending'`,
		string(to), nullTime(at), errMsg, nullTime(next), id)
}

// MarkDelivered ends a message that went out to some recipients (see
// MarkPartial) and was then refused for good by the rest: status sent,
// Sent kept, the refusal in LastError. Its items stay claimed: the others
// have them. It counts one more attempt.
func (s *Store) MarkDelivered(ctx context.Context, id int64, errMsg string) error {
	return s.update(ctx, "mark delivered", id, `UPDATE messages SET status = 'sent', sent = coalesce(sent, ?), attempts = attempts + 1,
		last_error = ?, held = 0, next_attempt = NULL, lease_pid = 0, lease_until = NULL WHERE id = ?`, nullTime(s.now()), errMsg, id)
}

// MarkFailed records a permanent failure; its items become unclaimed again.
// It counts one more attempt: the one the server refused.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.update(ctx, "mark failed", id, `UPDATE messages SET status = 'failed', attempts = attempts + 1,
		last_error = ?, held = 0, next_attempt = NULL, lease_pid = 0, lease_until = NULL WHERE id = ?`, errMsg, id)
}

// update runs one UPDATE of message id, ErrNotFound when no row matched.
//
// It is fenced: only a pending message, not leased to another sender, is
// changed. A sender that stalled past its lease and was taken over finds
// nothing to change (ErrNotFound) rather than undoing the new holder's
// work: ending it failed after it was sent, or freeing its lease mid-send.
func (s *Store) update(ctx context.Context, op string, id int64, query string, args ...any) error {
	query += ` AND status = 'pending' AND (lease_until IS NULL OR lease_owner = ?)`
	args = append(args, s.owner)
	res, err := s.w.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", op, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: %s %d: %w", op, id, err)
	} else if n == 0 {
		return fmt.Errorf("store: %s %d: %w", op, id, ErrNotFound)
	}
	return nil
}
