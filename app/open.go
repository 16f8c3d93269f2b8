package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"newswatch/store"
)

// ErrNoDatabase is a read-only opening's answer where the configured
// SQLite file does not exist: nothing was fetched yet, and an empty
// database is not created for it.
var ErrNoDatabase = errors.New("nothing was fetched with this config (run `newswatch fetch` or `newswatch once` first)")

// ErrNoTables is a read-only opening's answer on a database without the
// current tables: a new PostgreSQL database, or one an older newswatch wrote.
var ErrNoTables = errors.New("the database is new or from an older newswatch: run `newswatch fetch` or `newswatch once` first (it creates or upgrades the tables)")

// Open opens the configured database, creating or upgrading it, and wires
// s over it with the clock now, the store's too.
func Open(ctx context.Context, s Setup, now func() time.Time) (*App, error) {
	st, err := store.Open(ctx, s.Config.Database)
	if err != nil {
		return nil, err // it names the database
	}
	return withStore(s, st, now), nil
}

// withStore is New for a store the app opened: the store reads the app's
// clock.
func withStore(s Setup, st *store.Store, now func() time.Time) *App {
	a := New(s, st, now)
	st.SetClock(a.clock)
	return a
}

// OpenReadOnly is Open for the commands that only read (status, check,
// preview): it works on a read-only or busy database, and creates or
// upgrades nothing. A missing SQLite file is ErrNoDatabase, a database
// without the current tables ErrNoTables.
func OpenReadOnly(ctx context.Context, s Setup, now func() time.Time) (*App, error) {
	if err := DatabaseExists(s.Config.Database); err != nil {
		return nil, err
	}
	st, err := store.OpenReadOnly(ctx, s.Config.Database)
	if errors.Is(err, store.ErrSchemaOutdated) {
		return nil, ErrNoTables
	}
	if err != nil {
		return nil, err // it names the database
	}
	return withStore(s, st, now), nil
}

// OpenScratch wires s over a new, empty SQLite database in a temporary
// folder, removed when the app is closed: what a digest looks like before
// anything was fetched.
func OpenScratch(ctx context.Context, s Setup, now func() time.Time) (*App, error) {
	dir, err := os.MkdirTemp("", "newswatch-preview-")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, "empty.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open a scratch database: %w", err)
	}
	a := withStore(s, st, now)
	a.Cleanup = func() { os.RemoveAll(dir) }
	return a, nil
}

// DatabaseExists returns ErrNoDatabase, naming the file, when database is
// an SQLite path that does not exist. A PostgreSQL URL is left to the store.
func DatabaseExists(database string) error {
	if store.IsURL(database) {
		return nil
	}
	if _, err := os.Stat(database); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s yet: %w", database, ErrNoDatabase)
	}
	return nil
}
