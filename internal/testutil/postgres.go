package testutil

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresEnv names the URL of a PostgreSQL database tests may create and
// drop databases from; unset, 127.0.0.1:5432/test as user postgres.
const PostgresEnv = "NEWSWATCH_TEST_POSTGRES"

// PostgresRequiredEnv, set to 1 (as CI does), turns a PostgreSQL server
// that cannot be reached into a failure instead of a skip.
const PostgresRequiredEnv = "NEWSWATCH_TEST_POSTGRES_REQUIRED"

// Postgres creates a fresh, empty database for the test, dropped when it
// ends, and returns its URL. The test is skipped, saying why, when no
// server is reachable (failed when PostgresRequiredEnv is 1).
func Postgres(t testing.TB) string {
	t.Helper()
	return PostgresWith(t, "")
}

// PostgresWith is Postgres with options for CREATE DATABASE, such as
// "ENCODING 'SQL_ASCII' TEMPLATE template0".
func PostgresWith(t testing.TB, options string) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		msg := "no PostgreSQL server reachable at " + u.Redacted() + " (set " + PostgresEnv + " to another one): " + err.Error()
		if os.Getenv(PostgresRequiredEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "newswatch_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" "+options); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
