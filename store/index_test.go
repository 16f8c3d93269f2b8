package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"newswatch/model"
)

// checkIndex fails the test unless the search index is sound and, with
// full, holds exactly the stored items' text. SQLite: FTS5's
// integrity-check. PostgreSQL: every item not waiting in the queue has its
// current text and date in item_search (with full: the queue is empty).
func checkIndex(t *testing.T, s *Store, full bool) {
	t.Helper()
	if _, ok := s.d.(postgres); ok {
		var stale int
		if err := s.r.QueryRow(`SELECT count(*) FROM items AS i LEFT JOIN item_search AS x ON x.item_id = i.id
			WHERE ($1 OR NOT EXISTS (SELECT 1 FROM item_search_pending AS p WHERE p.item_id = i.id))
				AND (x.item_id IS NULL OR x.at IS DISTINCT FROM coalesce(i.published, i.first_seen)
					OR x.tsv IS DISTINCT FROM item_search_tsv(i.title, i.summary, i.content, i.body))`, full).Scan(&stale); err != nil {
			t.Fatal(err)
		}
		if stale > 0 {
			t.Errorf("%d items missing from the search index or indexed with old text (full %v)", stale, full)
		}
		return
	}
	rank := 0
	if full {
		rank = 1
	}
	if _, err := s.w.Exec(`INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', ?)`, rank); err != nil {
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

// waiting is how many items wait for IndexItems: above upto (SQLite), in
// the queue (PostgreSQL).
func waiting(t *testing.T, s *Store) int {
	t.Helper()
	q := `SELECT count(*) FROM items WHERE id > (SELECT upto FROM search_state WHERE id = 1)`
	if _, ok := s.d.(postgres); ok {
		q = `SELECT count(*) FROM item_search_pending`
	}
	var n int
	if err := s.r.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSearchIndexCatchesUp: items a fetch stores enter the index only when
// IndexItems runs, and a search runs it first, so it finds them all.
func TestSearchIndexCatchesUp(t *testing.T) {
	both(t, func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		save(t, s, "Feed", item("a"), item("b"))
		if n := waiting(t, s); n != 2 {
			t.Fatalf("%d items wait for the index before any search, want 2: items were indexed one at a time", n)
		}
		wantFound(t, s, "body", "a", "b")
		save(t, s, "Feed", item("c"), item("d"), item("e"))
		// A backlog larger than a transaction's share is indexed in several.
		defer func(n, pg int) { indexChunk, pgIndexChunk = n, pg }(indexChunk, pgIndexChunk)
		indexChunk, pgIndexChunk = 2, 2
		if err := s.IndexItems(ctx); err != nil {
			t.Fatal(err)
		}
		if n := waiting(t, s); n != 0 {
			t.Errorf("%d items wait after IndexItems, want 0", n)
		}
		checkIndex(t, s, true)
		wantFound(t, s, "body", "a", "b", "c", "d", "e")
	})
}

// TestSearchIndexRicherCopy: an item that takes a richer copy, indexed
// before or not yet, is found by the new text, not by the old.
func TestSearchIndexRicherCopy(t *testing.T) {
	for _, indexed := range []bool{true, false} {
		t.Run(fmt.Sprintf("indexed=%v", indexed), func(t *testing.T) {
			both(t, func(t *testing.T) {
				ctx := context.Background()
				s := open(t)
				if _, err := s.SaveRun(ctx, model.Run{Source: aggCopy.source, Site: aggCopy.site, Status: model.StatusOK, Items: 1},
					[]model.Item{aggCopy.item}); err != nil {
					t.Fatal(err)
				}
				if indexed {
					wantFound(t, s, "firm", aggCopy.item.Key)
				}
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
				checkIndex(t, s, true)
			})
		})
	}
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
	checkIndex(t, s, false)

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
	checkIndex(t, s, true)
	save(t, s, "Feed", item("i"))

	s.now = func() time.Time { return t0.AddDate(1, 0, 0) }
	if _, err := s.Prune(ctx, t0.AddDate(0, 6, 0)); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, s, false)
	wantFound(t, s, "body")                           // pruning emptied every body
	wantFound(t, s, "title", "a", "d", "e", "g", "i") // titles stay
	wantFound(t, s, "heron", "h")
	checkIndex(t, s, true)
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
	checkIndex(t, s, true)
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
	checkIndex(t, s, true)
}

// TestSearchIndexConcurrent: saves on two stores sharing the database (two
// daemons) run beside searches, each of which indexes first: a search
// begun after a save returned finds its item, however the other saves and
// searches interleave, and no item is indexed twice or left out.
func TestSearchIndexConcurrent(t *testing.T) { both(t, testSearchIndexConcurrent) }

func testSearchIndexConcurrent(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	stores := []*Store{a, another(t, a)}
	defer func(n, pg int) { indexChunk, pgIndexChunk = n, pg }(indexChunk, pgIndexChunk)
	indexChunk, pgIndexChunk = 3, 3
	const workers, runs = 6, 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range runs {
				key := fmt.Sprintf("w%dr%d", w, i)
				if _, err := stores[w%2].SaveRun(ctx, model.Run{Source: fmt.Sprintf("w%d", w), Status: model.StatusOK},
					[]model.Item{item(key), item(key + "x")}); err != nil {
					t.Error(err)
					return
				}
				res, err := stores[(w+i)%2].Search(ctx, SearchQuery{Text: key})
				if err != nil {
					t.Error(err)
					return
				}
				if got := keys(res.Items); !reflect.DeepEqual(got, []string{key}) {
					t.Errorf("search %q right after its save: %v", key, got)
				}
			}
		})
	}
	wg.Wait()
	if err := a.IndexItems(ctx); err != nil {
		t.Fatal(err)
	}
	checkIndex(t, a, true)
	if res, err := a.Search(ctx, SearchQuery{Text: "body"}); err != nil || res.Total != 2*workers*runs {
		t.Errorf("search body: %d items, %v; want %d", res.Total, err, 2*workers*runs)
	}
}

// TestSearchIndexOutOfOrderCommits (PostgreSQL): saves run in parallel, so
// an item may commit after one with a higher ID was indexed; it is indexed
// all the same.
func TestSearchIndexOutOfOrderCommits(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		late, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer late.Rollback()
		if err := s.d.lockSavers(ctx, late); err != nil {
			t.Fatal(err)
		}
		var lateID int64
		if err := late.QueryRow(`INSERT INTO items (key, title, first_seen) VALUES ('late', 'Late heron', 1) RETURNING id`).Scan(&lateID); err != nil {
			t.Fatal(err)
		}
		save(t, s, "Feed", item("early"))
		wantFound(t, s, "title", "early")
		if err := late.Commit(); err != nil {
			t.Fatal(err)
		}
		wantFound(t, s, "heron", "late")
		checkIndex(t, s, true)
		var earlyID int64
		if err := s.r.QueryRow(`SELECT id FROM items WHERE key = 'early'`).Scan(&earlyID); err != nil || earlyID < lateID {
			t.Errorf("early has ID %d (%v), late %d: want late's lower", earlyID, err, lateID)
		}
	})
}

// batchBesideWrite begins a write of item x (change: by default, its
// text), then runs IndexItems, whose result done receives, and returns
// once the batch waits for a lock or has ended.
func batchBesideWrite(t *testing.T, s *Store, change ...string) (*sql.Tx, chan error) {
	t.Helper()
	ctx := context.Background()
	writer, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { writer.Rollback() })
	q := `UPDATE items SET body = 'Zebra crossing' WHERE key = 'x'`
	if len(change) > 0 {
		q = change[0]
	}
	if _, err := writer.Exec(q); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.IndexItems(ctx) }()
	for blocked := false; !blocked; runtime.Gosched() {
		select {
		case err := <-done:
			done <- err
			return writer, done
		default:
		}
		if err := s.r.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&blocked); err != nil {
			t.Fatal(err)
		}
	}
	return writer, done
}

// TestSearchIndexWriteDuringBatch (PostgreSQL): an item whose text changes
// while a batch takes it is found by the new text once the write commits:
// the batch reads the text after the write committed, or the item waits
// for the next batch.
func TestSearchIndexWriteDuringBatch(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		s := open(t)
		save(t, s, "Feed", item("x"), item("y"))
		// The batch waits for the write, or (were the queue row not
		// locked) ends before it.
		writer, done := batchBesideWrite(t, s)
		if err := writer.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wantFound(t, s, "zebra", "x")
		wantFound(t, s, "body", "y")
		checkIndex(t, s, true)
	})
}

// TestSearchIndexDeadlock (PostgreSQL): a write changing two waiting
// items, the first of which a batch took while it waits for the second,
// deadlocks with the batch; the batch runs again rather than fail the
// search, and indexes the text the write committed.
func TestSearchIndexDeadlock(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		s := open(t)
		save(t, s, "Feed", item("y"))
		save(t, s, "Feed", item("x"))
		writer, done := batchBesideWrite(t, s)
		// The batch holds y and waits for x: the write's change of y
		// closes the circle, and one of the two is rolled back.
		if _, err := writer.Exec(`UPDATE items SET body = 'Yak herd' WHERE key = 'y'`); err != nil {
			t.Logf("the write lost the deadlock: %v", err)
			writer.Rollback()
		} else if err := writer.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("IndexItems: %v", err)
		}
		checkIndex(t, s, true)
	})
}

// TestSearchIndexDeleteDuringBatch (PostgreSQL): an item another tool
// deletes while a batch reads it is left out, the rest indexed.
func TestSearchIndexDeleteDuringBatch(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		s := open(t)
		save(t, s, "Feed", item("x"), item("y"))
		writer, done := batchBesideWrite(t, s, `DELETE FROM items WHERE key = 'x'`)
		if err := writer.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("IndexItems: %v", err)
		}
		checkIndex(t, s, true)
		wantFound(t, s, "body", "y")
	})
}

// TestSearchIndexPlainWritesPostgres: a program writing items through SQL
// alone, without newswatch's code, can insert, update (text and date) and
// delete, indexed items and waiting ones; what it writes is found once
// newswatch catches up, and pruning empties what the index holds.
func TestSearchIndexPlainWritesPostgres(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		save(t, s, "Feed", item("a"), item("b"), item("c"))
		wantFound(t, s, "body", "a", "b", "c")
		save(t, s, "Feed", item("d"), item("e")) // waiting

		db, err := sql.Open("pgx", s.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		day := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, q := range []string{
			`INSERT INTO items (key, title, first_seen) VALUES ('p', 'Pelican', 1)`,
			`UPDATE items SET title = 'Pelican dives' WHERE key = 'p'`,
			`UPDATE items SET body = 'Gannet' WHERE key IN ('a', 'd')`,
			`UPDATE items SET published = ` + fmt.Sprint(day.UnixNano()) + ` WHERE key = 'c'`,
			`DELETE FROM items WHERE key IN ('b', 'e')`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		checkIndex(t, s, false)
		wantFound(t, s, "pelican", "p")
		wantFound(t, s, "dives", "p")
		wantFound(t, s, "gannet", "a", "d")
		wantFound(t, s, "body", "c")
		res, err := s.Search(ctx, SearchQuery{Text: "title", Since: day})
		if err != nil || !reflect.DeepEqual(keys(res.Items), []string{"c"}) {
			t.Errorf("search since the new date: %v, %v; want c", keys(res.Items), err)
		}
		checkIndex(t, s, true)

		s.now = func() time.Time { return t0.AddDate(1, 0, 0) }
		if _, err := s.Prune(ctx, t0.AddDate(0, 6, 0)); err != nil {
			t.Fatal(err)
		}
		wantFound(t, s, "gannet")
		wantFound(t, s, "title", "a", "c", "d")
		checkIndex(t, s, true)
	})
}

// oldDatabase opens the empty PostgreSQL database at url as a binary that
// knew only some migrations: exec runs a statement on it, upTo applies
// the migrations after those applied so far, up to version n.
func oldDatabase(t *testing.T, url string) (db *sql.DB, exec func(q string, args ...any), upTo func(n int)) {
	t.Helper()
	ms, err := migrations(postgres{})
	if err != nil {
		t.Fatal(err)
	}
	if db, err = sql.Open("pgx", url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	exec = func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`)
	applied := 0
	upTo = func(n int) {
		t.Helper()
		for _, m := range ms[applied:n] {
			exec(m.sql)
			exec(`INSERT INTO schema_version VALUES ($1, $2, 0)`, m.version, m.name)
		}
		applied = n
	}
	return db, exec, upTo
}

// TestSearchIndexUpgradePostgres: a database whose items were indexed by
// the triggers of each write keeps them searchable, and its later writes,
// new items and changed ones, are indexed in batches.
func TestSearchIndexUpgradePostgres(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		url := database(t)
		db, exec, upTo := oldDatabase(t, url)
		upTo(14)
		for i := range 3 {
			exec(`INSERT INTO items (key, title, body, first_seen) VALUES ($1, $2, 'Old body', 1)`,
				fmt.Sprint("old", i), fmt.Sprint("Old item ", i))
		}
		upTo(15)
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM item_search_pending`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d items wait after the upgrade (%v), want 0: the old triggers indexed them", n, err)
		}

		// The later migrations; 0018 has every item indexed again.
		s, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.IndexItems(ctx); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, s, true)
		save(t, s, "Feed", item("new"))
		exec(`UPDATE items SET body = 'Walrus' WHERE key = 'old1'`)
		if n := waiting(t, s); n != 2 {
			t.Errorf("%d items wait, want the new one and the changed one", n)
		}
		wantFound(t, s, "body", "new", "old0", "old2")
		wantFound(t, s, "walrus", "old1")
		checkIndex(t, s, true)
	})
}

// TestSearchReadOnlyPostgres: a read-only store searches what writers
// indexed, and leaves what waits to them.
func TestSearchReadOnlyPostgres(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		save(t, s, "Feed", item("a"))
		wantFound(t, s, "body", "a")
		save(t, s, "Feed", item("b"))
		ro, err := OpenReadOnly(ctx, s.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		wantFound(t, ro, "body", "a")
		if n := waiting(t, s); n != 1 {
			t.Errorf("%d items wait, want b", n)
		}
	})
}

// TestSearchIndexBesideBusyWriters (PostgreSQL): items stored after
// indexing began are left to the next call, so that a search beside
// daemons that keep storing ends; those noted before are indexed.
func TestSearchIndexBesideBusyWriters(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		defer func(pg int) { pgIndexChunk = pg }(pgIndexChunk)
		pgIndexChunk = 1
		s := open(t)
		save(t, s, "Feed", item("a"), item("b"), item("c"))
		batches := 0
		s.indexed = func() { // a writer stores a new item after every batch
			batches++
			if batches < 20 {
				save(t, s, "Feed", item(fmt.Sprintf("new%d", batches)))
			}
		}
		if err := s.IndexItems(context.Background()); err != nil {
			t.Fatal(err)
		}
		if batches != 3 {
			t.Errorf("indexing ran %d batches beside a busy writer, want the 3 of the items noted when it began", batches)
		}
		s.indexed = nil
		got := found(t, s, "Body")
		slices.Sort(got)
		if want := []string{"a", "b", "c", "new1", "new2", "new3"}; !slices.Equal(got, want) {
			t.Errorf("search found %v, want %v: the next call indexes what the writer stored", got, want)
		}
	})
}

// TestSearchFoldUpgradePostgres: items indexed before the index folded
// accents are indexed again in the background once the database is
// upgraded (IndexAgain), not by the first search, which finds them by
// their words as indexed until then and, after, without their accents.
func TestSearchFoldUpgradePostgres(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		url := database(t)
		_, exec, upTo := oldDatabase(t, url)
		upTo(17)
		for i, title := range []string{"Société Générale", "Zürich", "Plain"} {
			exec(`INSERT INTO items (key, title, first_seen) VALUES ($1, $2, 1)`, fmt.Sprint("old", i), title)
		}
		// Indexed as IndexItems did before the upgrade.
		exec(`INSERT INTO item_search (item_id, at, tsv)
			SELECT id, first_seen, item_search_tsv(title, summary, content, body) FROM items`)
		exec(`DELETE FROM item_search_pending`)

		s, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if n := waiting(t, s); n != 0 {
			t.Errorf("%d items wait for the next search after the upgrade, want none: it would index the whole archive first", n)
		}
		var again int
		if err := s.r.QueryRow(`SELECT count(*) FROM item_search_again`).Scan(&again); err != nil || again != 3 {
			t.Errorf("%d items noted to be indexed again (%v), want all 3", again, err)
		}
		wantFound(t, s, "société", "old0") // as indexed before
		wantFound(t, s, "plain", "old2")
		if n, err := s.IndexAgain(ctx); err != nil || n != 3 {
			t.Fatalf("IndexAgain = %d, %v; want the 3 items", n, err)
		}
		wantFound(t, s, "societe", "old0")
		wantFound(t, s, "ZURICH", "old1")
		wantFound(t, s, "plain", "old2")
		checkIndex(t, s, true)
		if n, err := s.IndexAgain(ctx); err != nil || n != 0 {
			t.Errorf("IndexAgain again = %d, %v; want nothing left", n, err)
		}
	})
}

// TestSearchIndexKeepsUnchangedPostgres: an item indexed again with the
// same words and date, as every item is after the index function changes,
// keeps its row; one whose words changed has it rewritten.
func TestSearchIndexKeepsUnchangedPostgres(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		save(t, s, "Feed", item("a"), item("b"))
		if err := s.IndexItems(ctx); err != nil {
			t.Fatal(err)
		}
		version := func(key string) string { // the transaction that wrote the item's row
			t.Helper()
			var x string
			if err := s.r.QueryRow(`SELECT x.xmin::text FROM item_search AS x JOIN items AS i ON i.id = x.item_id
				WHERE i.key = $1`, key).Scan(&x); err != nil {
				t.Fatal(err)
			}
			return x
		}
		a, b := version("a"), version("b")
		if _, err := s.w.Exec(`UPDATE items SET body = 'Walrus' WHERE key = 'b'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.Exec(`INSERT INTO item_search_pending (item_id) SELECT id FROM items ON CONFLICT DO NOTHING`); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexItems(ctx); err != nil {
			t.Fatal(err)
		}
		if got := version("a"); got != a {
			t.Errorf("unchanged item a: row rewritten (xmin %s, was %s)", got, a)
		}
		if got := version("b"); got == b {
			t.Errorf("changed item b: row kept (xmin %s)", got)
		}
		wantFound(t, s, "walrus", "b")
		checkIndex(t, s, true)
	})
}
