package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migration is one schema step: NNNN_name.sql in the dialect's folder.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's embedded migrations in version order.
// Versions start at 1 and have no gaps, so a missing file is caught at
// start-up.
func migrations(d dialect) ([]migration, error) {
	dir, err := d.migrations()
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(dir, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, f := range files {
		name := path.Base(f)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with a version number and '_'", name)
		}
		b, err := fs.ReadFile(dir, f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// migrate brings the schema up to date in one transaction, recording each
// step as applied at now. The transaction
// holds the writers' lock from the start (IMMEDIATE on SQLite, the advisory
// lock on PostgreSQL), so a second process opening the same database at
// the same moment waits, then finds the migrations applied and does
// nothing.
func migrate(ctx context.Context, db *sql.DB, d dialect, now time.Time) error {
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if err := d.lockWriters(ctx, tx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY,
		name    TEXT    NOT NULL,
		applied BIGINT  NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("migrate: database schema version %d is newer than this newswatch knows (%d); use a newer binary", current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_version (version, name, applied) VALUES (?, ?, ?)`),
			m.version, m.name, now.UnixNano()); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// checkSchema returns ErrSchemaOutdated unless every migration this binary
// knows has been applied, without writing anything.
func checkSchema(ctx context.Context, db *sql.DB, d dialect) error {
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	var (
		exists  bool
		current int
	)
	err = db.QueryRowContext(ctx, d.rebind(d.tableExists()), "schema_version").Scan(&exists)
	if err == nil && exists {
		err = db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current)
	}
	switch {
	case err != nil:
		return err
	case current == 0:
		return fmt.Errorf("no newswatch tables yet (nothing was fetched into it): %w", ErrSchemaOutdated)
	case current > len(ms):
		return fmt.Errorf("database schema version %d is newer than this newswatch knows (%d); use a newer binary", current, len(ms))
	case current < len(ms):
		return fmt.Errorf("schema version %d, this newswatch needs %d; run `newswatch fetch` (or any command that writes) once to upgrade it: %w", current, len(ms), ErrSchemaOutdated)
	}
	return nil
}
