package store

import (
	"context"
	"database/sql"
	"errors"
	"newswatch/model"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenReadOnlyBesideAWriter: with another process holding the write
// lock (a long transaction), a read-only open reads at once; Open would wait
// for the lock to run its migration check, and fail after busy_timeout.
func TestOpenReadOnlyBesideAWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nw.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveRun(ctx, model.Run{Source: "a", Status: model.StatusOK}, []model.Item{item("x")}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	holder, err := sql.Open("sqlite", dsn(path, writer))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.BeginTx(ctx, nil) // IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO items (key, first_seen) VALUES ('held', 1)`); err != nil {
		t.Fatal(err)
	}

	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly beside a writer: %v", err)
	}
	defer ro.Close()
	items, err := ro.Items(ctx, ItemQuery{})
	if err != nil || len(items) != 1 {
		t.Fatalf("Items = %d, %v; want the 1 committed item", len(items), err)
	}
	if hs, err := ro.Health(ctx); err != nil || len(hs) != 1 {
		t.Fatalf("Health = %v, %v", hs, err)
	}
	if _, err := ro.SaveRun(ctx, model.Run{Source: "b", Status: model.StatusOK}, []model.Item{item("y")}); err == nil {
		t.Error("SaveRun through a read-only store succeeded")
	}
}

// TestOpenReadOnlyOutdatedSchema: a database an older binary left behind is
// reported as needing an upgrade, not migrated.
// A read-only store of a current schema reads and refuses writes.
func TestOpenReadOnlyOutdatedSchema(t *testing.T) { both(t, testOpenReadOnlyOutdatedSchema) }

func testOpenReadOnlyOutdatedSchema(t *testing.T) {
	ctx := context.Background()
	path := database(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Health(ctx); err != nil {
		t.Errorf("Health through a read-only store: %v", err)
	}
	if _, err := ro.SaveRun(ctx, model.Run{Source: "b", Status: model.StatusOK}, []model.Item{item("y")}); err == nil {
		t.Error("SaveRun through a read-only store succeeded")
	}
	ro.Close()
	if _, err := s.w.Exec(`DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenReadOnly(ctx, path); !errors.Is(err, ErrSchemaOutdated) {
		t.Fatalf("OpenReadOnly on an outdated schema: %v, want ErrSchemaOutdated", err)
	}
	if _, ok := s.d.(sqlite); ok {
		if _, err := OpenReadOnly(ctx, filepath.Join(t.TempDir(), "missing.db")); err == nil {
			t.Fatal("OpenReadOnly created a missing database")
		}
	}
}

// A database without newswatch's tables (an empty SQLite file, a new
// PostgreSQL database) is ErrSchemaOutdated to a read-only store, whose
// check asks the catalogue rather than reading an error's text.
func TestOpenReadOnlyNoTables(t *testing.T) { both(t, testOpenReadOnlyNoTables) }

func testOpenReadOnlyNoTables(t *testing.T) {
	path := database(t)
	if !IsURL(path) {
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := OpenReadOnly(context.Background(), path)
	if !errors.Is(err, ErrSchemaOutdated) {
		t.Fatalf("OpenReadOnly on a database without tables: %v, want ErrSchemaOutdated", err)
	}
	if s != nil {
		s.Close()
	}
}
