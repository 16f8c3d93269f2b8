package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"newswatch/model"
)

// checkIndex fails the test unless the search index is sound (FTS5's
// integrity-check) and, with full, holds exactly the stored items' text.
func checkIndex(t *testing.T, db *sql.DB, full bool) {
	t.Helper()
	rank := 0
	if full {
		rank = 1
	}
	if _, err := db.Exec(`INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', ?)`, rank); err != nil {
		t.Fatalf("integrity-check (full %v): %v", full, err)
	}
}

// found is the keys of the items a search for text finds, sorted.
func found(t *testing.T, s *Store, text string) []string {
	t.Helper()
	res, err := s.Search(context.Background(), SearchQuery{Text: text, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ks := keys(res.Items)
	slices.Sort(ks)
	if res.Total != len(ks) {
		t.Errorf("search %q: total %d, %d items", text, res.Total, len(ks))
	}
	return ks
}

func wantFound(t *testing.T, s *Store, text string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := found(t, s, text); !reflect.DeepEqual(got, want) {
		t.Errorf("search %q = %v, want %v", text, got, want)
	}
}

// upto is the highest item ID the search index was brought up to.
func upto(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	if err := s.r.QueryRow(`SELECT upto FROM search_state WHERE id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSearchIndexCatchesUp: items a fetch stores enter the index only when
// IndexItems runs, and a search runs it first, so it finds them all.
func TestSearchIndexCatchesUp(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	save(t, s, "Feed", item("a"), item("b"))
	if n := upto(t, s); n != 0 {
		t.Fatalf("upto %d before any search, want 0: items were indexed one transaction at a time", n)
	}
	wantFound(t, s, "body", "a", "b")
	save(t, s, "Feed", item("c"), item("d"), item("e"))
	// A backlog larger than a transaction's share is indexed in several.
	defer func(n int) { indexChunk = n }(indexChunk)
	indexChunk = 2
	if err := s.IndexItems(ctx); err != nil {
		t.Fatal(err)
	}
	if n := upto(t, s); n != 5 {
		t.Errorf("upto %d after IndexItems, want 5", n)
	}
	checkIndex(t, s.w, true)
	wantFound(t, s, "body", "a", "b", "c", "d", "e")
}

// TestSearchIndexRicherCopy: an indexed item that takes a richer copy is
// found by the new text, not by the old.
func TestSearchIndexRicherCopy(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.SaveRun(ctx, model.Run{Source: aggCopy.source, Site: aggCopy.site, Status: model.StatusOK, Items: 1},
		[]model.Item{aggCopy.item}); err != nil {
		t.Fatal(err)
	}
	wantFound(t, s, "firm", aggCopy.item.Key)
	saved, err := s.SaveRun(ctx, model.Run{Source: outletCopy.source, Site: outletCopy.site, Status: model.StatusOK, Items: 1},
		[]model.Item{outletCopy.item})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || !saved[0].Richer {
		t.Fatalf("outlet's copy saved as %+v, want a richer copy", saved)
	}
	wantFound(t, s, `"spy agency"`, aggCopy.item.Key)
	wantFound(t, s, "firm")
	checkIndex(t, s.w, true)
}

// TestSearchIndexStaysSound writes items every way the index must follow,
// indexed and not yet indexed: inserts, updates, deletes, pruning, and a
// deleted highest item whose ID SQLite gives again. The index stays sound
// throughout and, caught up, holds exactly what items hold.
func TestSearchIndexStaysSound(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.w.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	save(t, s, "Feed", item("a"), item("b"), item("c"), item("d")) // IDs 1-4
	if err := s.IndexItems(ctx); err != nil {
		t.Fatal(err)
	}
	save(t, s, "Feed", item("e"), item("f"), item("g")) // IDs 5-7, not indexed yet

	exec(`UPDATE items SET body = 'Zebra crossing' WHERE key IN ('a', 'e')`)
	exec(`DELETE FROM items WHERE key IN ('b', 'f')`)
	exec(`DELETE FROM item_sources WHERE item_id IN (SELECT id FROM items WHERE key IN ('c', 'g'))`)
	exec(`UPDATE items SET id = 40 WHERE key = 'c'`) // out of the indexed range
	exec(`UPDATE items SET id = 2 WHERE key = 'g'`)  // into it
	checkIndex(t, s.w, false)

	// The highest indexed item goes; SQLite gives a new item the ID after
	// the highest left, which was f's, within the indexed range: the
	// index takes it at once.
	if err := s.IndexItems(ctx); err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM items WHERE id = 40`)
	save(t, s, "Feed", model.Item{Key: "h", Title: "Heron sighted", Body: "Body of h"})
	var id int64
	if err := s.r.QueryRow(`SELECT id FROM items WHERE key = 'h'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 6 || upto(t, s) != 40 {
		t.Fatalf("item h has ID %d, upto %d: want f's 6, within 40", id, upto(t, s))
	}
	checkIndex(t, s.w, true)
	save(t, s, "Feed", item("i"))

	s.now = func() time.Time { return t0.AddDate(1, 0, 0) }
	if _, err := s.Prune(ctx, t0.AddDate(0, 6, 0)); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, s.w, false)
	wantFound(t, s, "body")                           // pruning emptied every body
	wantFound(t, s, "title", "a", "d", "e", "g", "i") // titles stay
	wantFound(t, s, "heron", "h")
	checkIndex(t, s.w, true)
}

// TestSearchIndexPlainWrites: a program writing items through SQLite
// alone, without newswatch's code, can insert, update and delete; what it
// inserts is found once newswatch catches up.
func TestSearchIndexPlainWrites(t *testing.T) {
	s := open(t)
	save(t, s, "Feed", item("a"), item("b"))
	wantFound(t, s, "body", "a", "b")

	db, err := sql.Open("sqlite", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`INSERT INTO items (key, title, first_seen) VALUES ('p', 'Pelican', 1)`,
		`UPDATE items SET title = 'Pelican dives' WHERE key = 'p'`,
		`UPDATE items SET body = 'Gannet' WHERE key = 'a'`,
		`DELETE FROM items WHERE key = 'b'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wantFound(t, s, "pelican", "p")
	wantFound(t, s, "gannet", "a")
	wantFound(t, s, "body")
	checkIndex(t, s.w, true)
}

// TestSearchIndexUpgrade: a database written before the index took items in
// batches keeps every item searchable, none indexed twice.
func TestSearchIndexUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newswatch.db")
	ms, err := migrations(sqlite{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`)
	for _, m := range ms[:13] {
		exec(m.sql)
		exec(`INSERT INTO schema_version VALUES (?, ?, 0)`, m.version, m.name)
	}
	for i := range 5 {
		exec(`INSERT INTO items (key, title, body, first_seen) VALUES (?, ?, 'Old body', 1)`,
			fmt.Sprint("old", i), fmt.Sprint("Old item ", i))
	}
	exec(`DELETE FROM items WHERE key = 'old4'`)
	db.Close()

	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := upto(t, s); n != 4 {
		t.Errorf("upto %d after the upgrade, want 4", n)
	}
	save(t, s, "Feed", item("new"))
	wantFound(t, s, "body", "new", "old0", "old1", "old2", "old3")
	checkIndex(t, s.w, true)
}
