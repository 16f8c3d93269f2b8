package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrLeased is returned by Lease when another sender, in this process or a
// live other one, holds the message, or when it is no longer pending.
var ErrLeased = errors.New("store: message is being sent by another sender")

// Lease takes the right to send pending message id until the given time.
// A lease ends with MarkSent, MarkRetry or MarkFailed, when it expires, or
// when the process that took it is gone (killed mid-send: the next sender
// sends the message again, with the same Message-ID).
func (s *Store) Lease(ctx context.Context, id int64, until time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: lease %d: %w", id, err)
	}
	defer tx.Rollback()
	var (
		status string
		pid    int
		end    sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT status, lease_pid, lease_until FROM messages WHERE id = ?`, id).Scan(&status, &pid, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: lease %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: lease %d: %w", id, err)
	}
	if status != MessagePending {
		return fmt.Errorf("store: lease %d: %s: %w", id, status, ErrLeased)
	}
	if end.Valid && s.now().UnixNano() < end.Int64 && processAlive(pid) {
		return fmt.Errorf("store: lease %d: held by process %d: %w", id, pid, ErrLeased)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET lease_pid = ?, lease_until = ? WHERE id = ?`,
		os.Getpid(), until.UTC().UnixNano(), id); err != nil {
		return fmt.Errorf("store: lease %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: lease %d: %w", id, err)
	}
	return nil
}
