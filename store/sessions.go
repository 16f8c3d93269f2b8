package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EndSession records that the console session id was logged out. Every
// process on this database refuses it from then on, also after a
// restart, until it expires: sessions expired endedMargin ago are
// forgotten.
func (s *Store) EndSession(ctx context.Context, id string, expires time.Time) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM ended_sessions WHERE expires < ?`), s.now().Add(-endedMargin).Unix()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO ended_sessions (id, expires) VALUES (?, ?)
			ON CONFLICT (id) DO NOTHING`), id, expires.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: end a console session: %w", err)
	}
	return nil
}

// endedMargin is how long an ended session is kept past its expiry: a
// console whose clock is behind the one that forgets it still takes an
// expired cookie for as long as the difference.
const endedMargin = 24 * time.Hour

// SessionEnded reports whether the console session id was logged out.
func (s *Store) SessionEnded(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT 1 FROM ended_sessions WHERE id = ?`), id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: console sessions: %w", err)
	}
	return true, nil
}
