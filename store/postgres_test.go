package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"newswatch/internal/testutil"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/newswatch.db":                                   "/var/lib/newswatch.db",
		"postgres://nw@db:5432/news?sslmode=disable":              "postgres://nw@db:5432/news?sslmode=disable",
		"postgres://nw:s3cret@db:5432/news":                       "postgres://nw:xxxxx@db:5432/news",
		"postgresql://nw@db/news?password=s3cret&sslmode=require": "postgresql://nw@db/news?password=xxxxx&sslmode=require",
		"postgres://nw@db/news?sslpassword=s3cret":                "postgres://nw@db/news?sslpassword=xxxxx",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"postgres://nw:s3cret@db:5432/news?password=s3cret&sslmode=require": "postgres://nw@db:5432/news?sslmode=require",
		"/var/lib/newswatch.db": "/var/lib/newswatch.db",
	} {
		if got := WithoutPassword(in); got != want {
			t.Errorf("WithoutPassword(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenPostgresMasksPassword: a failed connection names the database
// without its password.
func TestOpenPostgresMasksPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://nw:s3cret@127.0.0.1:1/news?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error %q: want the server named and the password masked", err)
	}
}

// TestRebind: ? placeholders become $1, $2, … and nothing else does: a ?
// in a string, a quoted identifier or a comment stays, and ?? is
// PostgreSQL's ? operator.
func TestRebind(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"placeholders", `SELECT a FROM t WHERE b = ? AND d IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND d IN ($2, $3)`},
		{"string", `SELECT '?', 'it''s ?', ? FROM t`, `SELECT '?', 'it''s ?', $1 FROM t`},
		{"escape string", `SELECT E'it\'s ?', ?`, `SELECT E'it\'s ?', $1`},
		{"not an escape string", `SELECT name'?', ?`, `SELECT name'?', $1`},
		{"quoted identifier", `SELECT "why?", "a""?" FROM t WHERE x = ?`, `SELECT "why?", "a""?" FROM t WHERE x = $1`},
		{"line comment", "SELECT ? -- why ? here\nFROM t WHERE x = ?", "SELECT $1 -- why ? here\nFROM t WHERE x = $2"},
		{"comment at the end", `SELECT ? -- and ?`, `SELECT $1 -- and ?`},
		{"block comment", `SELECT /* ? /* nested ? */ still ? */ ?`, `SELECT /* ? /* nested ? */ still ? */ $1`},
		{"dollar quoted", `SELECT $$ ? $$, $tag$ it's ? $tag$, ?`, `SELECT $$ ? $$, $tag$ it's ? $tag$, $1`},
		{"jsonb operators", `SELECT doc ?? 'k', doc ??| array['a'], doc ??& array['b'] FROM t WHERE id = ?`, `SELECT doc ? 'k', doc ?| array['a'], doc ?& array['b'] FROM t WHERE id = $1`},
		{"minus and slash", `SELECT ? - 1, ? / 2`, `SELECT $1 - 1, $2 / 2`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := (postgres{}).rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestRebindOnPostgres runs rebound queries with a ? in each place that is
// not a placeholder against PostgreSQL: the server agrees with rebind on
// what is one.
func TestRebindOnPostgres(t *testing.T) {
	db, err := sql.Open("pgx", testutil.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var (
		s1, s2, s3, id string
		has            bool
	)
	q := postgres{}.rebind(`SELECT '?' /* ? */, "q?"."?" -- ?
		, $t$?$t$, ?, '{"k": 1}'::jsonb ?? ? FROM (SELECT 'x' AS "?") AS "q?"`)
	if err := db.QueryRowContext(ctx, q, "v", "k").Scan(&s1, &s2, &s3, &id, &has); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if s1 != "?" || s2 != "x" || s3 != "?" || id != "v" || !has {
		t.Errorf("%s = %q %q %q %q %v", q, s1, s2, s3, id, has)
	}
}

// TestMigrationsAlike: version n is the same step on both databases.
func TestMigrationsAlike(t *testing.T) {
	lite, err := migrations(sqlite{})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(postgres{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: %s on SQLite, %s on PostgreSQL", i+1, lite[i].name, pg[i].name)
		}
	}
}

// TestOpenPostgresMissingDatabase: a database that does not exist is
// named, with what to do.
func TestOpenPostgresMissingDatabase(t *testing.T) {
	u := testutil.Postgres(t)
	_, err := Open(context.Background(), strings.Replace(u, "/newswatch_test_", "/missing_", 1))
	if err == nil || !strings.Contains(err.Error(), `createdb "missing_`) {
		t.Errorf("Open of a missing database: %v, want the createdb advice", err)
	}
}

// TestItemTextLZ4: the migration gives the items' text lz4 compression on
// a server that has it, and leaves the columns alone, without failing, on
// one built without lz4 or older than 14 (a temporary pg_settings view
// stands in for what such a server answers).
func TestItemTextLZ4(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		fake  string // a temporary view shadowing pg_catalog.pg_settings; "" for the server's own
		want  string
		needs bool // the case is only true of a server that has lz4
	}{
		{"server with lz4", "", "l", true},
		{"built without lz4", `SELECT 'default_toast_compression'::text AS name, ARRAY['pglz']::text[] AS enumvals`, "", false},
		{"older than 14", `SELECT ''::text AS name, ARRAY[]::text[] AS enumvals WHERE false`, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sql.Open("pgx", testutil.Postgres(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1) // the temporary view is the session's
			if tt.needs {
				var has bool
				if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_settings
					WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))`).Scan(&has); err != nil {
					t.Fatal(err)
				}
				if !has {
					t.Skip("this server has no lz4")
				}
			}
			if tt.fake != "" {
				if _, err := db.ExecContext(ctx, `CREATE TEMPORARY VIEW pg_settings AS `+tt.fake); err != nil {
					t.Fatal(err)
				}
			}
			if err := migrate(ctx, db, postgres{}, time.Unix(0, 0)); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			rows, err := db.QueryContext(ctx, `SELECT attname, attcompression::text FROM pg_attribute
				WHERE attrelid = 'items'::regclass AND attname IN ('title', 'summary', 'content', 'body')`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var col, got string
				if err := rows.Scan(&col, &got); err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("items.%s compression %q, want %q", col, got, tt.want)
				}
				n++
			}
			if err := rows.Err(); err != nil || n != 4 {
				t.Errorf("%d columns read, %v; want 4", n, err)
			}
		})
	}
}

// TestSaveRunInvalidUTF8Postgres: a new item's text that is not valid
// UTF-8, which PostgreSQL refuses, is stored with U+FFFD in place of each
// bad byte, as a JSON batch stored it, rather than failing the source; a
// list of such keys is looked up the same way.
func TestSaveRunInvalidUTF8Postgres(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		s := open(t)
		it := item("k")
		it.Title, it.Summary, it.Content, it.Body = "caf\xe9", "\xff", "a\xc3b", "ok"
		if added := save(t, s, "a", it); len(added) != 1 {
			t.Fatalf("added %v, want k", keys(added))
		}
		got, err := s.Items(context.Background(), ItemQuery{Key: "k"})
		if err != nil || len(got) != 1 {
			t.Fatalf("Items(k) = %v, %v", keys(got), err)
		}
		if g := got[0]; g.Title != "caf\uFFFD" || g.Summary != "\uFFFD" || g.Content != "a\uFFFDb" || g.Body != "ok" {
			t.Errorf("stored %q %q %q %q, want the bad bytes replaced by U+FFFD", g.Title, g.Summary, g.Content, g.Body)
		}
		if known, err := s.Known(context.Background(), []string{"k", "k\xff"}); err != nil || !known["k"] {
			t.Errorf("Known(k, k\\xff) = %v, %v; want k known", known, err)
		}
	})
}

// TestOpenRefusesNonUTF8: a database in another encoding than UTF8 (what
// initdb makes under a C locale, or LATIN1) is refused at once, saying
// what to do, rather than failing in a migration.
func TestOpenRefusesNonUTF8(t *testing.T) {
	for _, enc := range []string{"SQL_ASCII", "LATIN1"} {
		url := testutil.PostgresWith(t, "ENCODING '"+enc+"' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
		s, err := Open(context.Background(), url)
		if err == nil {
			s.Close()
			t.Fatalf("%s: opened", enc)
		}
		if !strings.Contains(err.Error(), "encoding is "+enc+", not UTF8") || !strings.Contains(err.Error(), "createdb -E UTF8") {
			t.Errorf("%s: %v; want the encoding named and how to make a UTF8 database", enc, err)
		}
	}
}
