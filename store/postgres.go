package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// writersLock is the advisory lock key every write transaction takes on
// PostgreSQL ("newswatch" in ASCII): advisory locks are per database, so
// databases on one server do not wait for each other.
const writersLock = 0x6e657773776174

// postgres is the dialect of a PostgreSQL database.
type postgres struct{}

func (postgres) shared() bool                         { return true }
func (postgres) inProcess() bool                      { return false }
func (postgres) tableExists() string                  { return `SELECT to_regclass(?) IS NOT NULL` }
func (postgres) migrations() (fs.FS, error)           { return fs.Sub(migrationFS, "migrations/postgres") }
func (postgres) beforeClose(context.Context, *sql.DB) {}
func (postgres) jsonArray(expr, order string) string {
	return `coalesce(json_agg(` + expr + ` ORDER BY ` + order + `)::text, '[]')`
}

// list is v itself: pgx sends a []string as text[] and an []int64 as
// bigint[], in binary. Strings that are not valid UTF-8, which PostgreSQL
// refuses, have U+FFFD in place of each bad byte, as JSON would carry them.
func (postgres) list(v any) (any, error) {
	ss, ok := v.([]string)
	if !ok || !slices.ContainsFunc(ss, func(s string) bool { return !utf8.ValidString(s) }) {
		return v, nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = validUTF8(s)
	}
	return out, nil
}

// in compares col with the array, so the planner probes col's index.
func (postgres) in(col, typ string) string { return col + ` = ANY (?::` + typ + `[])` }

func (postgres) each(typ string) string { return `unnest(?::` + typ + `[]) AS j(value)` }

// resetIdentities moves each identity column's sequence past the highest
// value stored.
func (postgres) resetIdentities(ctx context.Context, tx *sql.Tx) error {
	for _, c := range [][2]string{{"items", "id"}, {"messages", "id"}, {"item_sources", "rowid"}, {"source_errors", "rowid"}} {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+c[0]+`', '`+c[1]+`'),
			coalesce((SELECT max(`+c[1]+`) FROM `+c[0]+`), 0) + 1, false)`); err != nil {
			return fmt.Errorf("reset the IDs of %s: %w", c[0], err)
		}
	}
	return nil
}

// lockWriters takes the writers' lock until the transaction ends. Each
// statement after it sees every write committed before it was granted.
func (postgres) lockWriters(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(writersLock))
	return err
}

// lockSavers takes the writers' lock shared until the transaction ends:
// saves run in parallel with each other and wait for the other writers
// (lockWriters), which wait for them.
func (postgres) lockSavers(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(writersLock))
	return err
}

// lockRows locks the stored items a save merges into in key order, so
// that two saves locking some of the same items wait for each other
// instead of deadlocking. NO KEY UPDATE, what an UPDATE of items takes,
// lets the item_sources rows that reference the items be inserted beside.
func (postgres) lockRows() string { return ` ORDER BY i.key FOR NO KEY UPDATE OF i` }

// retryable: a deadlock (two saves inserting, then locking, the same keys
// in different orders) or a serialization failure.
func (postgres) retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

// savers: two group transactions in flight, one writing while the other's
// round trips wait on the server.
func (postgres) savers() int { return 2 }

// rebind numbers the ? placeholders of a query written for both
// databases: $1, $2, … A ? is a placeholder only where PostgreSQL would
// read an operator or a value: not inside a string ('…', E'…' with its
// backslash escapes, $tag$…$tag$), a quoted identifier ("…"), or a comment
// (-- to the end of the line, /* … */, nested). PostgreSQL's own ? operators
// (?, ?|, ?& on jsonb) are written ?? in such a query and become one ?.
func (postgres) rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			end := quoted(q, i, c, c == '\'' && i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && !identByte(q, i-2))
			b.WriteString(q[i:end])
			i = end
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				end = len(q) - i
			}
			b.WriteString(q[i : i+end])
			i += end
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := blockComment(q, i)
			b.WriteString(q[i:end])
			i = end
		case c == '$' && !identByte(q, i-1):
			end := dollarQuoted(q, i)
			b.WriteString(q[i:end])
			i = end
		case c == '?' && strings.HasPrefix(q[i:], "??"):
			b.WriteByte('?')
			i += 2
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// quoted returns the end of the string or identifier quoted with quote
// that starts at q[i]; a doubled quote stands for itself, and, with
// escapes, a backslash escapes the next byte.
func quoted(q string, i int, quote byte, escapes bool) int {
	for j := i + 1; j < len(q); j++ {
		switch {
		case escapes && q[j] == '\\':
			j++
		case q[j] == quote && j+1 < len(q) && q[j+1] == quote:
			j++
		case q[j] == quote:
			return j + 1
		}
	}
	return len(q)
}

// blockComment returns the end of the /* comment */ starting at q[i];
// PostgreSQL's block comments nest.
func blockComment(q string, i int) int {
	depth := 0
	for j := i; j+1 < len(q); j++ {
		switch q[j : j+2] {
		case "/*":
			depth++
			j++
		case "*/":
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(q)
}

// dollarQuoted returns the end of the $tag$…$tag$ string starting at q[i],
// or i+1 when the $ opens none ($1, a placeholder written for PostgreSQL).
func dollarQuoted(q string, i int) int {
	j := i + 1
	for j < len(q) && (identByte(q, j) && (q[j] < '0' || q[j] > '9' || j > i+1)) {
		j++
	}
	if j >= len(q) || q[j] != '$' {
		return i + 1
	}
	tag := q[i : j+1]
	if end := strings.Index(q[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag)
	}
	return len(q)
}

// identByte reports whether q[i] exists and may be part of an identifier.
func identByte(q string, i int) bool {
	if i < 0 || i >= len(q) {
		return false
	}
	c := q[i]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// IsURL reports whether database names a PostgreSQL database
// (postgres:// or postgresql://) rather than an SQLite file.
func IsURL(database string) bool {
	l := strings.ToLower(database)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// secretParams are the URL parameters that carry a secret.
var secretParams = []string{"password", "sslpassword"}

// Redact is database fit to print: a URL's password, in its user part or
// its password parameters, is masked. A path is returned as it is.
func Redact(database string) string {
	return rewriteURL(database, func(u *url.URL, q url.Values, p string) {
		q.Set(p, "xxxxx")
	}, (*url.URL).Redacted)
}

// WithoutPassword is database with no password in it at all, as a
// configuration should name it (the password then comes from PGPASSWORD
// or the password file). A path is returned as it is.
func WithoutPassword(database string) string {
	return rewriteURL(database, func(u *url.URL, q url.Values, p string) {
		q.Del(p)
	}, func(u *url.URL) string {
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		return u.String()
	})
}

// rewriteURL applies secret to each secret parameter of a PostgreSQL URL,
// then returns out of it.
func rewriteURL(database string, secret func(u *url.URL, q url.Values, param string), out func(*url.URL) string) string {
	if !IsURL(database) {
		return database
	}
	u, err := url.Parse(database)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	for _, p := range secretParams {
		if q.Has(p) {
			secret(u, q, p)
		}
	}
	u.RawQuery = q.Encode()
	return out(u)
}

// openPostgres connects to the database at the URL and migrates it. The
// password, when the URL has none, comes from PGPASSWORD or the password
// file (PGPASSFILE, ~/.pgpass), as for psql.
func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	s, err := connectPostgres(ctx, rawURL, false)
	if err != nil {
		return nil, err
	}
	err = checkEncoding(ctx, s.r)
	if err == nil {
		err = s.setup(ctx)
	}
	if err != nil {
		s.stmts.close()
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", s.name, err)
	}
	return s, nil
}

// checkEncoding refuses a database whose encoding is not UTF8: news
// arrives in every script, which a single-byte encoding (LATIN1) cannot
// store, and the search's folding of accents (postgres/0018_search_fold.sql)
// is written in Unicode, which SQL_ASCII (what initdb makes under a C
// locale) cannot convert.
func checkEncoding(ctx context.Context, db *sql.DB) error {
	var enc string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('server_encoding')`).Scan(&enc); err != nil {
		return fmt.Errorf("database encoding: %w", err)
	}
	if enc != "UTF8" {
		return fmt.Errorf("the database's encoding is %s, not UTF8: create one in UTF8 (createdb -E UTF8 -T template0 NAME, or CREATE DATABASE name ENCODING 'UTF8' TEMPLATE template0) and copy the data across with newswatch copy-db", enc)
	}
	return nil
}

// openPostgresReadOnly is OpenReadOnly of the database at the URL: every
// transaction of its sessions is read-only, and the schema is checked, not
// migrated.
func openPostgresReadOnly(ctx context.Context, rawURL string) (*Store, error) {
	s, err := connectPostgres(ctx, rawURL, true)
	if err != nil {
		return nil, err
	}
	err = checkSchema(ctx, s.r, s.d)
	if err == nil {
		s.owner = newOwner()
		err = s.stmts.prepare(ctx, s)
	}
	if err != nil {
		s.stmts.close()
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", s.name, err)
	}
	return s, nil
}

// connectPostgres opens a pool of connections to the database at the URL
// and checks that it answers.
func connectPostgres(ctx context.Context, rawURL string, readOnly bool) (*Store, error) {
	name := Redact(rawURL)
	cfg, err := pgx.ParseConfig(rawURL) // its errors mask the password
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// As synchronous=NORMAL does for SQLite in WAL mode, a commit does not
	// wait for the disk: a crash of the server's machine may lose the last
	// commits (a digest then goes out again, with its model.Message-ID; items are
	// fetched again), never the database's consistency. It saves a third of
	// a cold fetch's time. ?synchronous_commit=on in the URL restores it.
	if _, set := cfg.RuntimeParams["synchronous_commit"]; !set {
		cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	s := &Store{name: name, d: postgres{}, now: time.Now, pgReadOnly: readOnly}
	s.w = stdlib.OpenDB(*cfg)
	n := 2 * max(4, runtime.GOMAXPROCS(0))
	s.w.SetMaxOpenConns(n)
	s.w.SetMaxIdleConns(n)
	s.w.SetConnMaxIdleTime(5 * time.Minute)
	s.r = s.w
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "3D000" { // invalid_catalog_name
			db := cfg.Database
			if db == "" {
				db = cfg.User // the server's default: the user's name
			}
			return nil, fmt.Errorf("store: open %s: %w (create it first: createdb %q)", name, err, db)
		}
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	return s, nil
}
