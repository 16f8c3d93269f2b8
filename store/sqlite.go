package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	sqlitedriver "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a connection waits for another one's lock before
// giving up with SQLITE_BUSY. Writes are short, so this is only reached when
// something holds the database far longer than it should.
const busyTimeout = 10 * time.Second

// pageSize is the page size of a new file; SQLite's default is 4 KB. An
// item's row (1–3 KB of text) took a 4 KB page nearly alone; 8 KB pages
// hold two or three, so a cold fetch writes an eighth fewer bytes, in half
// the writes, to the WAL and again when it is checkpointed into the file.
// (16 KB pages saved little more CPU and held the process 4 MB higher.)
// The WAL is checkpointed every 1,000 pages (SQLite's default), 8 MB of
// it. A file created before keeps its page size: changing it takes a
// VACUUM outside WAL mode.
const pageSize = 8192

// sqlite is the dialect of an SQLite file: the queries are written in it.
type sqlite struct{}

func (sqlite) rebind(q string) string { return q }
func (sqlite) each(string) string     { return `json_each(?) AS j` }
func (sqlite) shared() bool           { return false }
func (sqlite) inProcess() bool        { return true }
func (sqlite) tableExists() string {
	return `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?`
}
func (sqlite) migrations() (fs.FS, error) { return fs.Sub(migrationFS, "migrations") }

func (sqlite) in(col, _ string) string { return col + ` IN (SELECT value FROM json_each(?))` }

// list is v as a JSON array, which json_each reads.
func (sqlite) list(v any) (any, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func (sqlite) jsonArray(expr, order string) string {
	return `json_group_array(` + expr + ` ORDER BY ` + order + `)`
}

// lockWriters has nothing to do: the writer's transactions begin IMMEDIATE.
func (sqlite) lockWriters(context.Context, *sql.Tx) error { return nil }

// lockSavers is lockWriters: SQLite has one writer at a time.
func (sqlite) lockSavers(context.Context, *sql.Tx) error { return nil }
func (sqlite) lockRows() string                          { return "" }
func (sqlite) retryable(error) bool                      { return false }
func (sqlite) savers() int                               { return 1 }

// resetIdentities has nothing to do: a new rowid follows the highest one.
func (sqlite) resetIdentities(context.Context, *sql.Tx) error { return nil }

// beforeClose keeps the query planner's statistics fresh; cheap when
// nothing changed.
func (sqlite) beforeClose(ctx context.Context, db *sql.DB) {
	_, _ = db.ExecContext(ctx, "PRAGMA optimize")
}

// openSQLite opens (creating it and its directory if needed) the SQLite
// file at path.
func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	s := &Store{name: abs, d: sqlite{}, now: time.Now}
	s.w, err = sql.Open("sqlite", dsn(abs, writer))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	// The writer runs the migrations, which also puts a new file in WAL mode,
	// before any reader connects.
	if err := setupWhenFree(ctx, s); err != nil {
		s.stmts.close()
		s.w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, notWritable(abs, err))
	}

	s.r, err = sql.Open("sqlite", dsn(abs, readPool))
	if err != nil {
		s.stmts.close()
		s.w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// openSQLiteReadOnly is OpenReadOnly of the SQLite file at path.
// notWritable adds to err, the failure to open the SQLite file at path for
// writing, what is wrong when this process may not write that file or its
// folder: SQLite says only "unable to open database file" or "attempt to
// write a readonly database", and the daemon often runs as another user
// (systemd's dynamic user, the image's 65532) than the one who made the
// folder.
func notWritable(path string, err error) error {
	dir := filepath.Dir(path)
	f, cerr := os.CreateTemp(dir, ".newswatch-*")
	if cerr == nil {
		f.Close()
		os.Remove(f.Name())
		w, oerr := os.OpenFile(path, os.O_WRONLY, 0)
		if oerr == nil {
			w.Close()
			return err
		}
		if errors.Is(oerr, fs.ErrPermission) {
			return fmt.Errorf("%w: newswatch runs as uid %d here, which may not write this file: give it to that user (chown), or name another database", err, os.Getuid())
		}
		return err
	}
	if errors.Is(cerr, fs.ErrPermission) {
		return fmt.Errorf("%w: newswatch runs as uid %d here, which may not write the folder %s, where the database and its -wal and -shm files are made: give the folder to that user (chown), or name another database", err, os.Getuid(), dir)
	}
	return err
}

func openSQLiteReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{name: abs, d: sqlite{}, now: time.Now}
	// A read-only WAL database can be read when its -wal and -shm files
	// exist or can be created; in a read-only folder after a clean close
	// neither holds, and then nobody is writing: open it as immutable.
	for _, m := range []dsnMode{readOnly, immutable} {
		s.r, err = sql.Open("sqlite", dsn(abs, m))
		if err == nil {
			err = checkSchema(ctx, s.r, s.d)
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
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.w = s.r // writes fail: every connection is read-only
	if err := s.stmts.prepare(ctx, s); err != nil {
		s.stmts.close()
		s.r.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
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
		// page_size first: it sets the page size of a new file only, and
		// the driver runs the _journal_mode key after the _pragma ones.
		q.Add("_pragma", fmt.Sprintf("page_size(%d)", pageSize))
		q.Set("_journal_mode", "WAL")
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
	// The page cache: SQLite's default is 2 MB a connection. The writer's
	// holds the key index's upper pages; the readers' serve short queries;
	// the rest comes from the operating system's file cache.
	if m == writer {
		q.Add("_pragma", "cache_size(-1024)")
		// The statement journal (kept while a statement that writes many
		// rows runs, so that it can be undone alone) and temporary tables
		// in memory, not in a file: every page of a batch insert was
		// written to a temporary file and thrown away.
		q.Add("_pragma", "temp_store(MEMORY)")
	} else {
		q.Add("_pragma", "cache_size(-256)")
	}
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String()
}

// setupWhenFree runs s.setup, trying again while the file is busy for up to
// busyTimeout: switching a new file to WAL takes an exclusive lock that
// SQLite refuses at once (SQLITE_BUSY, the busy handler not consulted) while
// another process or connection opens the same new file.
func setupWhenFree(ctx context.Context, s *Store) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		err := s.setup(ctx)
		var se *sqlitedriver.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		s.stmts.close()
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
