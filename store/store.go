// Package store keeps items, source health and the digest outbox in SQLite
// or PostgreSQL.
//
// Both databases sit behind one Store: the queries are shared, and a small
// dialect (sqlite.go, postgres.go) says what differs: placeholders, how a
// JSON array parameter becomes rows, how writers are serialised, the
// daemon lock, and the migrations folder. The migrations of both carry the
// same version numbers: version n is the same schema on either.
//
// SQLite: the database is one file in WAL mode, opened through
// modernc.org/sqlite (pure Go). Every connection sets busy_timeout,
// foreign_keys and synchronous=NORMAL, so several processes (a daemon beside
// a `fetch` or a `send`) can share the file: reads run concurrently, writes
// are short transactions begun IMMEDIATE, so a writer waits for the lock up
// front instead of failing with SQLITE_BUSY when it upgrades a read. Inside
// one process, writes go through a single connection, queued by
// database/sql rather than by SQLite's busy handler, and reads through a
// pool of read-only connections. One daemon runs per file (LockDaemon).
//
// PostgreSQL ("postgres://user@host:5432/db"), through jackc/pgx: saves of
// runs and items take a transaction-scoped advisory lock shared, and run in
// parallel, in one process and across daemons: they lock the stored items
// they merge copies into (in key order), insert new keys with ON CONFLICT,
// and keep first-seen times within the bound group.go states. Claims of
// sources lock the lease rows they look at instead (lease.go), and search
// index batches take a lock of their own (index.go). Every other write
// transaction (the outbox, deliveries, other leases, feedback, pruning,
// migrations) takes the same lock exclusively first, the equivalent of
// BEGIN IMMEDIATE, so these never interleave with each other or with a
// save. Commits do not wait for the disk (synchronous_commit off, as
// synchronous=NORMAL on SQLite). Several daemons may share one database:
// they split the work through leases (lease.go).
//
// Times are stored as UTC nanoseconds since the Unix epoch and returned in
// UTC; NULL means unknown or never.
//
// The schema lives in migrations/*.sql (SQLite) and migrations/postgres/*.sql,
// embedded in the binary and applied in order by Open; schema_version records
// which ones ran.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
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

// Store is an open database.
type Store struct {
	name string // the file's absolute path, or the URL with its password masked
	d    dialect
	// owner names this Store as the holder of its leases (lease.go).
	owner string
	// taken is when each lease this Store took and has not held yet was
	// taken (lease.go).
	taken leaseStarts
	w     *sql.DB // every write (SQLite: one connection)
	r     *sql.DB // reads (SQLite: a read-only pool; PostgreSQL: w)
	// pgReadOnly: OpenReadOnly of a PostgreSQL database, whose sessions
	// are read-only (an SQLite one has w == r).
	pgReadOnly bool
	now        func() time.Time
	// ticks, when set (by tests), replaces the renewal ticker of Holds.
	ticks <-chan time.Time
	// stampAge, when set (by tests), replaces time.Since in measuring how
	// long a group of saves has held its first-seen stamps (group.go).
	stampAge func(start time.Time) time.Duration
	// indexed, when set (by tests), runs after each batch PostgreSQL's
	// search indexing commits (index.go).
	indexed func()
	saves   saveQueue

	stmts     writeStmts
	rebound   sync.Map // query → the dialect's form of it
	closeOnce sync.Once
	closeErr  error
}

// Open opens the database and applies migrations: a PostgreSQL URL
// (postgres:// or postgresql://), or else the path of an SQLite file,
// created with its directory if needed. Several processes may open one
// database at once.
func Open(ctx context.Context, database string) (*Store, error) {
	if IsURL(database) {
		return openPostgres(ctx, database)
	}
	return openSQLite(ctx, database)
}

// ErrSchemaOutdated is returned by OpenReadOnly when the database was
// written by an older newswatch and needs its migrations first.
var ErrSchemaOutdated = errors.New("store: database schema needs an upgrade")

// OpenReadOnly opens an existing database for reading only: it creates
// nothing, takes no lock and writes nothing, so it works on a read-only
// file or folder and beside a process holding a long write transaction
// (on PostgreSQL: in read-only transactions).
// The schema must be current (else ErrSchemaOutdated: a command that
// writes, such as fetch, upgrades it). Every write method of the returned
// Store fails.
func OpenReadOnly(ctx context.Context, database string) (*Store, error) {
	if IsURL(database) {
		return openPostgresReadOnly(ctx, database)
	}
	return openSQLiteReadOnly(ctx, database)
}

// SetClock makes the store read the time from now (first-seen times,
// claims and leases, retention) instead of the system clock. Call it
// before the store is shared.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// SetRenewTicks makes the Holds of the store renew their lease at each
// value received from ticks instead of every 5 s, so that a test decides
// when a renewal runs. Call it before the store is shared.
func (s *Store) SetRenewTicks(ticks <-chan time.Time) { s.ticks = ticks }

// setup runs the migrations on the writer and prepares the statements.
func (s *Store) setup(ctx context.Context) error {
	s.owner = newOwner()
	if err := migrate(ctx, s.w, s.d, s.now()); err != nil {
		return err
	}
	return s.stmts.prepare(ctx, s)
}

// readOnly reports whether the store was opened by OpenReadOnly.
func (s *Store) readOnly() bool {
	_, lite := s.d.(sqlite)
	return s.pgReadOnly || lite && s.w == s.r
}

// Path returns the absolute path of an SQLite database file, or the
// PostgreSQL URL with its password masked.
func (s *Store) Path() string { return s.name }

// Shared reports whether several daemons may use the database at once
// (PostgreSQL), sharing the work through leases; on SQLite one daemon runs
// per database.
func (s *Store) Shared() bool { return s.d.shared() }

// Close closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stmts.close()
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil && s.w != s.r {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			s.d.beforeClose(ctx, s.w)
			cancel()
			errs = append(errs, s.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("store: close %s: %w", s.name, err)
		}
	})
	return s.closeErr
}

// q is query in the dialect's form (placeholders); it is computed once.
func (s *Store) q(query string) string {
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	r := s.d.rebind(query)
	s.rebound.Store(query, r)
	return r
}

// writeTx runs fn in one write transaction: IMMEDIATE on SQLite, behind the
// writers' advisory lock on PostgreSQL, so writers never interleave. The
// writers other than saves, PostgreSQL's claims of sources and its index
// batches (the outbox, deliveries, other leases, feedback, Prune) take it: each checks, then writes (a claim, a lease, a fenced
// outcome, the prune cursor), and the check holds only while no other
// writer runs.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inTx(ctx, s.d.lockWriters, fn)
}

// saveTx runs fn in one transaction that saves runs and items (SaveRun,
// SaveRuns): as writeTx on SQLite; on PostgreSQL it takes the writers'
// lock shared, so saves run in parallel with each other, in this process
// and in other daemons, and wait only for the writers of writeTx. Saves
// keep copy merging and first-seen times right on their own (items.go).
func (s *Store) saveTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inTx(ctx, s.d.lockSavers, fn)
}

func (s *Store) inTx(ctx context.Context, lock func(context.Context, *sql.Tx) error, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := lock(ctx, tx); err != nil {
		_ = tx.Rollback()
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
