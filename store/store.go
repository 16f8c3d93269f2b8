// Package store keeps items, source health and the digest outbox in SQLite.
//
// The database is one file in WAL mode, opened through modernc.org/sqlite
// (pure Go). Every connection sets busy_timeout, foreign_keys and
// synchronous=NORMAL, so several processes (a daemon beside a `fetch` or a
// `send`) can share the file: reads run concurrently, writes are short
// transactions begun IMMEDIATE, so a writer waits for the lock up front
// instead of failing with SQLITE_BUSY when it upgrades a read.
//
// Inside one process, writes go through a single connection, queued by
// database/sql rather than by SQLite's busy handler, and reads through a pool
// of read-only connections.
//
// Times are stored as UTC nanoseconds since the Unix epoch and returned in
// UTC; NULL means unknown or never.
//
// The schema lives in migrations/*.sql, embedded in the binary and applied in
// order by Open; schema_version records which ones ran.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrSlotTaken is returned by CreateMessage when the digest already has a
// message for that schedule slot.
var ErrSlotTaken = errors.New("store: digest slot already recorded")

// ErrLocked is returned by LockDaemon when another daemon holds the database.
var ErrLocked = errors.New("store: database is in use by another newswatch run")

// ErrClaimed is returned by CreateMessage when one of the message's items is
// already carried by a pending or sent message of the same digest (another
// `send` got there first).
var ErrClaimed = errors.New("store: item already claimed by another message of the digest")

// ErrNotFound is returned when a message asked for by ID does not exist.
var ErrNotFound = errors.New("store: not found")

// busyTimeout is how long a connection waits for another one's lock before
// giving up with SQLITE_BUSY. Writes are short, so this is only reached when
// something holds the database far longer than it should.
const busyTimeout = 10 * time.Second

// Store is an open database.
type Store struct {
	path string
	w    *sql.DB // one connection: every write
	r    *sql.DB // read-only pool
	now  func() time.Time

	stmts     writeStmts
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating it and its directory if needed) the database at path
// and applies migrations. Several processes may open one file at once.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	s := &Store{path: abs, now: time.Now}
	s.w, err = sql.Open("sqlite", dsn(abs, writer))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	// The writer runs the migrations, which also puts a new file in WAL mode,
	// before any reader connects.
	if err := migrate(ctx, s.w); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := s.stmts.prepare(ctx, s.w); err != nil {
		s.stmts.close()
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	s.r, err = sql.Open("sqlite", dsn(abs, readPool))
	if err != nil {
		s.stmts.close()
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// ErrSchemaOutdated is returned by OpenReadOnly when the database was
// written by an older newswatch and needs its migrations first.
var ErrSchemaOutdated = errors.New("store: database schema needs an upgrade")

// OpenReadOnly opens an existing database for reading only: it creates
// nothing, takes no lock and writes nothing, so it works on a read-only
// file or folder and beside a process holding a long write transaction.
// The schema must be current (else ErrSchemaOutdated: a command that
// writes, such as fetch, upgrades it). Every write method of the returned
// Store fails.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{path: abs, now: time.Now}
	// A read-only WAL database can be read when its -wal and -shm files
	// exist or can be created; in a read-only folder after a clean close
	// neither holds, and then nobody is writing: open it as immutable.
	for _, m := range []dsnMode{readOnly, immutable} {
		s.r, err = sql.Open("sqlite", dsn(abs, m))
		if err == nil {
			err = checkSchema(ctx, s.r)
		}
		if err == nil || errors.Is(err, ErrSchemaOutdated) {
			break
		}
		if s.r != nil {
			s.r.Close()
			s.r = nil
		}
	}
	if err != nil {
		if s.r != nil {
			s.r.Close()
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.w = s.r // writes fail: every connection is read-only
	if err := s.stmts.prepare(ctx, s.w); err != nil {
		s.stmts.close()
		s.r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// dsnMode is how a connection opens the file.
type dsnMode int

const (
	writer    dsnMode = iota // the one writing connection
	readPool                 // the read pool beside the writer
	readOnly                 // OpenReadOnly: the file opened read-only
	immutable                // OpenReadOnly where the WAL files cannot be made
)

// dsn is the modernc.org/sqlite data source name for the file at abs. The
// pragmas run on every new connection, busy_timeout first.
func dsn(abs string, m dsnMode) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	switch m {
	case writer:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	case readPool:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "query_only(1)")
	case readOnly:
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	case immutable:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
		q.Add("_pragma", "query_only(1)")
	}
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String()
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stmts.close()
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil && s.w != s.r {
			// Keeps the query planner's statistics fresh; cheap when nothing changed.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = s.w.ExecContext(ctx, "PRAGMA optimize")
			cancel()
			errs = append(errs, s.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("store: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// writeTx runs fn in one IMMEDIATE transaction on the writer connection.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// minNanos and maxNanos bound the times an int64 of nanoseconds can hold.
var (
	minNanos = time.Unix(0, -1<<63).UTC()
	maxNanos = time.Unix(0, 1<<63-1).UTC()
)

// nullTime is t as nanoseconds, or NULL when t is zero or cannot be
// represented (a feed's date in the year 1 or 9999 is as good as unknown).
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() || t.Before(minNanos) || t.After(maxNanos) {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// fromNanos is the UTC time of n, zero when n is NULL.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
