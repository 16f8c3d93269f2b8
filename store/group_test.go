package store

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/model"
)

// grouped runs the saves of runs at once, as one group: the queue is held
// (as if a group were being written) until every save has joined it, then
// released. It returns each save's result, by source.
func grouped(t *testing.T, s *Store, runs map[string][]model.Item) (map[string][]model.Item, map[string]error) {
	t.Helper()
	s.saves.mu.Lock()
	s.saves.leaders = s.d.savers()
	s.saves.mu.Unlock()
	var (
		mu    sync.Mutex
		added = map[string][]model.Item{}
		errs  = map[string]error{}
		wg    sync.WaitGroup
	)
	for src, items := range runs {
		wg.Go(func() {
			a, err := s.SaveRun(context.Background(), model.Run{Source: src, Status: model.StatusOK, ETag: `"` + src + `"`, Items: len(items)}, items)
			mu.Lock()
			defer mu.Unlock()
			added[src], errs[src] = a, err
		})
	}
	for {
		s.saves.mu.Lock()
		n := len(s.saves.pending)
		s.saves.mu.Unlock()
		if n == len(runs) {
			break
		}
		runtime.Gosched()
	}
	// Release the held slots: the queue goes to one group.
	for range s.d.savers() {
		s.saves.done([]*saveReq{{}})
	}
	wg.Wait()
	return added, errs
}

// TestGroupOneSourceFails: in a group, sources whose save fails (here a
// trigger refusing one of their items) are rolled back alone and recorded
// as failed, validators untouched; the others of the group are saved. Two
// of them fail, so the group is written again once, then source by source.
func TestGroupOneSourceFails(t *testing.T) { both(t, testGroupOneSourceFails) }

func testGroupOneSourceFails(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	failInserts(t, s, "bad", "refused")
	added, errs := grouped(t, s, map[string][]model.Item{
		"a": {item("a1"), item("a2")},
		"b": {item("b1"), item("bad")},
		"c": {item("c1")},
		"d": {item("d1"), item("bad")},
	})
	for src, n := range map[string]int{"a": 2, "c": 1} {
		if errs[src] != nil || len(added[src]) != n {
			t.Errorf("source %s: %d added, %v; want %d saved", src, len(added[src]), errs[src], n)
		}
		if etag, _, _ := s.Validators(ctx, src); etag != `"`+src+`"` {
			t.Errorf("source %s: validator %q, want it saved", src, etag)
		}
	}
	for _, src := range []string{"b", "d"} {
		if errs[src] == nil || !strings.Contains(errs[src].Error(), "refused") {
			t.Errorf("source %s: %v, want the trigger's refusal", src, errs[src])
		}
		if etag, _, _ := s.Validators(ctx, src); etag != "" {
			t.Errorf("source %s: validator %q kept from a batch that was not saved", src, etag)
		}
	}
	if got := storedKeys(t, s); !slices.Equal(got, []string{"a1", "a2", "c1"}) {
		t.Errorf("stored %v, want a's and c's items, none of b's", got)
	}
	health := map[string]string{}
	hs, err := s.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		health[h.Source] = h.LastStatus
	}
	if want := map[string]string{"a": "ok", "b": "error", "c": "ok", "d": "error"}; fmt.Sprint(health) != fmt.Sprint(want) {
		t.Errorf("health %v, want %v", health, want)
	}
}

// TestGroupCommitFails (PostgreSQL: a deferred trigger fails the commit):
// every source of the group fails, and each has its failure recorded.
func TestGroupCommitFails(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		for _, q := range []string{
			`CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'commit refused'; END $$`,
			`CREATE CONSTRAINT TRIGGER fail AFTER INSERT ON items DEFERRABLE INITIALLY DEFERRED
				FOR EACH ROW WHEN (NEW.key = 'x') EXECUTE FUNCTION fail()`,
		} {
			if _, err := s.w.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		_, errs := grouped(t, s, map[string][]model.Item{"a": {item("a1")}, "b": {item("x")}, "c": {item("c1")}})
		for _, src := range []string{"a", "b", "c"} {
			if errs[src] == nil || !strings.Contains(errs[src].Error(), "commit refused") {
				t.Errorf("source %s: %v, want the commit's failure", src, errs[src])
			}
		}
		if got := storedKeys(t, s); len(got) != 0 {
			t.Errorf("stored %v after a failed commit", got)
		}
		hs, err := s.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 3 {
			t.Fatalf("health %+v, want the three failures", hs)
		}
		for _, h := range hs {
			if h.LastStatus != model.StatusError || !strings.Contains(h.LastError, "commit refused") {
				t.Errorf("health of %s: %s %q, want the failure recorded", h.Source, h.LastStatus, h.LastError)
			}
		}
	})
}

// TestGroupConcurrentSaves: many callers at once, on one store and on two
// sharing the database, with keys of their own and keys in common: every
// item is stored once, every source linked, nothing fails.
func TestGroupConcurrentSaves(t *testing.T) { both(t, testGroupConcurrentSaves) }

func testGroupConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	stores := []*Store{a, another(t, a)}
	const workers, runs = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*runs)
	for w := range workers {
		s := stores[w%2]
		wg.Go(func() {
			for i := range runs {
				items := []model.Item{item(fmt.Sprintf("own-%d-%d", w, i)), item(fmt.Sprintf("common-%d", i)),
					item(fmt.Sprintf("common-%d", i+1))}
				if _, err := s.SaveRun(ctx, model.Run{Source: fmt.Sprintf("w%d", w), Status: model.StatusOK}, items); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(storedKeys(t, a)); n != workers*runs+runs+1 {
		t.Errorf("%d items stored, want %d", n, workers*runs+runs+1)
	}
	var links int
	if err := a.r.QueryRow(`SELECT count(*) FROM item_sources`).Scan(&links); err != nil {
		t.Fatal(err)
	}
	if want := workers * runs * 2; links < want {
		t.Errorf("%d links of items to sources, want at least %d", links, want)
	}
}

// TestGroupStaleStamp: a group that took longer than maxStampAge to reach
// its commit (here: a digest cut its slot meanwhile) is saved again with
// new stamps, later than the cut, so the next digest selects its items.
func TestGroupStaleStamp(t *testing.T) { both(t, testGroupStaleStamp) }

func testGroupStaleStamp(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	var cut time.Time
	s.stampAge = func(time.Time) time.Duration {
		if cut.IsZero() {
			cut = s.now()
			return maxStampAge + time.Second
		}
		return 0
	}
	added := save(t, s, "feed", item("a"))
	if len(added) != 1 || !added[0].FirstSeen.After(cut) {
		t.Fatalf("added %+v, want a first seen after the cut %v", added, cut)
	}
	items, err := s.Items(ctx, ItemQuery{ChangedAfter: cut})
	if err != nil || len(items) != 1 {
		t.Errorf("items changed after the cut: %v, %v; want a", keys(items), err)
	}
}

func storedKeys(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.r.Query(`SELECT key FROM items ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ks []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	return ks
}

// TestParallelCopyMerging: the copies of one article saved at once by two
// stores sharing the database (two daemons) merge as in any order: the
// outlet's copy wins, every source is linked.
func TestParallelCopyMerging(t *testing.T) { both(t, testParallelCopyMerging) }

func testParallelCopyMerging(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	stores := []*Store{a, another(t, a), a}
	for round := range 10 {
		key := fmt.Sprintf("https://outlet.example/a%d", round)
		var wg sync.WaitGroup
		for i, c := range []copyOf{aggCopy, outletCopy, hostileCopy} {
			c.item.Key = key
			wg.Go(func() {
				run := model.Run{Source: c.source, Site: c.site, Status: model.StatusOK, Items: 1}
				if _, err := stores[i].SaveRun(ctx, run, []model.Item{c.item}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		items, err := a.Items(ctx, ItemQuery{Key: key})
		if err != nil || len(items) != 1 {
			t.Fatalf("round %d: %v, %v; want one item", round, keys(items), err)
		}
		it := items[0]
		if it.Title != outletCopy.item.Title || it.Link != outletCopy.item.Link || len(it.Sources) != 3 {
			t.Errorf("round %d: stored %q %q from %v, want the outlet's copy from all three", round, it.Title, it.Link, it.Sources)
		}
	}
}

// TestStampAfterLocks (PostgreSQL): a save waiting for another writer's
// lock on an item it merges into stamps its change after the wait, so a
// digest that cut its slot during the wait selects the item next time.
func TestStampAfterLocks(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		save(t, s, "Aggregator", aggCopy.item)
		other, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		if _, err := other.Exec(`SELECT 1 FROM items WHERE key = $1 FOR UPDATE`, aggCopy.item.Key); err != nil {
			t.Fatal(err)
		}
		done := make(chan []model.Item)
		go func() {
			run := model.Run{Source: outletCopy.source, Site: outletCopy.site, Status: model.StatusOK, Items: 1}
			added, err := s.SaveRun(ctx, run, []model.Item{outletCopy.item})
			if err != nil {
				t.Error(err)
			}
			done <- added
		}()
		for waiting := false; !waiting; runtime.Gosched() {
			if err := s.r.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
		}
		cut := s.now() // a digest's cut-off, taken while the save waits
		if err := other.Rollback(); err != nil {
			t.Fatal(err)
		}
		if added := <-done; len(added) != 1 || !added[0].Richer {
			t.Fatalf("added %+v, want the outlet's copy as richer", added)
		}
		items, err := s.Items(ctx, ItemQuery{ChangedAfter: cut})
		if err != nil || len(items) != 1 {
			t.Errorf("items changed after the cut: %v, %v; want the outlet's copy", keys(items), err)
		}
	})
}
