package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
)

// Key returns the key stored under name, made first (size random bytes)
// when there is none: every process on this database gets the same key,
// also after a restart. Of two processes making it at once, the first to
// store it wins, and both return that one.
func (s *Store) Key(ctx context.Context, name string, size int) ([]byte, error) {
	key, err := s.readKey(ctx, s.r, name)
	if err != nil || key != nil {
		return key, wrapKey(name, err)
	}
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, wrapKey(name, err)
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO secret_keys (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO NOTHING`), name, base64.StdEncoding.EncodeToString(fresh)); err != nil {
			return err
		}
		key, err = s.readKey(ctx, tx, name)
		return err
	})
	return key, wrapKey(name, err)
}

func wrapKey(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: key %s: %w", name, err)
}

// readKey reads the key stored under name, nil when there is none.
func (s *Store) readKey(ctx context.Context, q queryRower, name string) ([]byte, error) {
	var value string
	err := q.QueryRowContext(ctx, s.q(`SELECT value FROM secret_keys WHERE name = ?`), name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(key) == 0 {
		return nil, errors.New("the stored value is not a key")
	}
	return key, nil
}
