package store

import (
	"context"
	"strings"
	"testing"

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

func TestRebind(t *testing.T) {
	got := postgres{}.rebind(`SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)`)
	if want := `SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)`; got != want {
		t.Errorf("rebind = %q, want %q", got, want)
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
