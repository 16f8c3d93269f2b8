package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/internal/testutil"
	"newswatch/model"
)

var t0 = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)

// clock is a fake clock that moves one second each time it is read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// both runs a test against SQLite and against PostgreSQL, as subtests
// named sqlite and postgres; open gives each the store it names.
func both(t *testing.T, test func(t *testing.T)) {
	t.Run("sqlite", test)
	t.Run("postgres", test)
}

// database is a fresh database for the test: a PostgreSQL one under a
// postgres subtest of both (skipped when no server is reachable), else an
// SQLite file in a fresh directory.
func database(t testing.TB) string {
	t.Helper()
	if slices.Contains(strings.Split(t.Name(), "/"), "postgres") {
		return testutil.Postgres(t)
	}
	return filepath.Join(t.TempDir(), "newswatch.db")
}

// open opens a store in a fresh database with a fake clock starting at t0.
func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), database(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t0}
	s.now = c.now
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// another opens a second store on s's database, as another process would,
// reading s's clock.
func another(t testing.TB, s *Store) *Store {
	t.Helper()
	o, err := Open(context.Background(), s.Path())
	if err != nil {
		t.Fatal(err)
	}
	o.now = s.now
	t.Cleanup(func() { o.Close() })
	return o
}

func item(key string) model.Item {
	return model.Item{Key: key, Link: "https://example.org/" + key, Title: "Title " + key, Body: "Body of " + key}
}

func save(t testing.TB, s *Store, source string, items ...model.Item) []model.Item {
	t.Helper()
	added, err := s.SaveRun(context.Background(), model.Run{Source: source, Status: model.StatusOK, Items: len(items)}, items)
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func keys(items []model.Item) []string {
	ks := []string{}
	for _, it := range items {
		ks = append(ks, it.Key)
	}
	return ks
}

func TestOpenMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "newswatch.db")
	ms, err := migrations(sqlite{})
	if err != nil {
		t.Fatal(err)
	}
	versions := func(s *Store) int {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_version`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	save(t, s, "a", item("k1"))
	if got := versions(s); got != len(ms) {
		t.Errorf("schema_version rows = %d, want %d", got, len(ms))
	}
	var mode string
	if err := s.r.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	for _, conn := range []struct {
		name string
		q    string
		want int
	}{
		{"foreign_keys", `PRAGMA foreign_keys`, 1},
		{"synchronous", `PRAGMA synchronous`, 1},
		{"busy_timeout", `PRAGMA busy_timeout`, int(busyTimeout.Milliseconds())},
	} {
		var got int
		if err := s.r.QueryRowContext(ctx, conn.q).Scan(&got); err != nil || got != conn.want {
			t.Errorf("%s on a reader = %d, %v; want %d", conn.name, got, err, conn.want)
		}
		if err := s.w.QueryRowContext(ctx, conn.q).Scan(&got); err != nil || got != conn.want {
			t.Errorf("%s on the writer = %d, %v; want %d", conn.name, got, err, conn.want)
		}
	}
	var page int
	if err := s.r.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&page); err != nil || page != pageSize {
		t.Errorf("page_size of a new file = %d, %v; want %d", page, err, pageSize)
	}
	// The writer keeps its statement journal in memory (2: MEMORY).
	var temp int
	if err := s.w.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&temp); err != nil || temp != 2 {
		t.Errorf("temp_store on the writer = %d, %v; want 2", temp, err)
	}
	if err := migrate(ctx, s.w, s.d, s.now()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got := versions(s); got != len(ms) {
		t.Errorf("after reopen schema_version rows = %d, want %d", got, len(ms))
	}
	items, err := s.Items(ctx, ItemQuery{})
	if err != nil || len(items) != 1 {
		t.Errorf("after reopen Items = %v, %v; want the one item", keys(items), err)
	}
}

func TestOpenConcurrently(t *testing.T) { both(t, testOpenConcurrently) }

func testOpenConcurrently(t *testing.T) {
	path := database(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := Open(context.Background(), path)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestOpenNewerSchema(t *testing.T) { both(t, testOpenNewerSchema) }

func testOpenNewerSchema(t *testing.T) {
	s := open(t)
	if _, err := s.w.Exec(`INSERT INTO schema_version (version, name, applied) VALUES (999, 'future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), s.Path())
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: %v, want an error saying it is newer", err)
	}
}

func TestSaveRunDedup(t *testing.T) { both(t, testSaveRunDedup) }

func testSaveRunDedup(t *testing.T) {
	ctx := context.Background()
	s := open(t)

	added := save(t, s, "Reuters", item("a"), item("b"), item("b"))
	if got := keys(added); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("first run added %v, want [a b]", got)
	}
	for _, it := range added {
		if it.ID == 0 || it.FirstSeen.IsZero() || it.FirstSeen.Location() != time.UTC {
			t.Errorf("added %s: ID %d FirstSeen %v; want both set, in UTC", it.Key, it.ID, it.FirstSeen)
		}
		if !reflect.DeepEqual(it.Sources, []string{"Reuters"}) {
			t.Errorf("added %s: Sources %v", it.Key, it.Sources)
		}
	}

	added = save(t, s, "The Record", item("b"), item("c"))
	if got := keys(added); !reflect.DeepEqual(got, []string{"c"}) {
		t.Fatalf("second source added %v, want [c]", got)
	}
	if added := save(t, s, "Reuters", item("a"), item("b")); len(added) != 0 {
		t.Fatalf("re-fetch added %v, want nothing", keys(added))
	}

	items, err := s.Items(ctx, ItemQuery{Key: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("Items(key b) = %v, want one item", keys(items))
	}
	if want := []string{"Reuters", "The Record"}; !reflect.DeepEqual(items[0].Sources, want) {
		t.Errorf("b's sources = %v, want %v", items[0].Sources, want)
	}
	all, err := s.Items(ctx, ItemQuery{})
	if err != nil || len(all) != 3 {
		t.Errorf("Items() = %v, %v; want 3 items", keys(all), err)
	}

	known, err := s.Known(ctx, []string{"a", "c", "zzz", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"a": true, "c": true}; !reflect.DeepEqual(known, want) {
		t.Errorf("Known = %v, want %v", known, want)
	}
}

func TestSaveRunRoundTrip(t *testing.T) { both(t, testSaveRunRoundTrip) }

func testSaveRunRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	pub := time.Date(2026, 2, 28, 23, 15, 0, 123456789, time.FixedZone("CET", 3600))
	in := model.Item{Key: "k", Link: "https://x/k", GUID: "g", Title: "Alibaba 阿里巴巴", Summary: "s",
		Content: "<p>c</p>", Body: "body", Published: pub}
	added := save(t, s, "src", in)
	got, err := s.Items(ctx, ItemQuery{Key: "k"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Items = %v, %v", got, err)
	}
	if !reflect.DeepEqual(got[0], added[0]) {
		t.Errorf("stored %+v\nreturned by SaveRun %+v", got[0], added[0])
	}
	if !got[0].Published.Equal(pub) || got[0].Published.Location() != time.UTC {
		t.Errorf("Published = %v, want %v in UTC", got[0].Published, pub)
	}

	// Dates an int64 of nanoseconds cannot hold are stored as unknown.
	save(t, s, "src", model.Item{Key: "old", Published: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)})
	got, err = s.Items(ctx, ItemQuery{Key: "old"})
	if err != nil || len(got) != 1 || !got[0].Published.IsZero() {
		t.Errorf("year-1 item = %+v, %v; want Published zero", got, err)
	}
}

func TestSaveRunRejects(t *testing.T) { both(t, testSaveRunRejects) }

func testSaveRunRejects(t *testing.T) {
	s := open(t)
	for _, tc := range []struct {
		name  string
		run   model.Run
		items []model.Item
	}{
		{"no source", model.Run{Status: model.StatusOK}, nil},
		{"unknown status", model.Run{Source: "a", Status: "weird"}, nil},
		{"item without key", model.Run{Source: "a", Status: model.StatusOK}, []model.Item{{Title: "t"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.SaveRun(context.Background(), tc.run, tc.items); err == nil {
				t.Error("SaveRun succeeded, want an error")
			}
		})
	}
}

func TestValidators(t *testing.T) { both(t, testValidators) }

func testValidators(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	// A trigger makes one key fail mid-batch, as a disk error would.
	failInserts(t, s, "boom", "boom")
	steps := []struct {
		name           string
		run            model.Run
		items          []model.Item
		wantErr        bool
		etag, modified string
	}{
		{"ok saves", model.Run{Status: model.StatusOK, ETag: `"v1"`, LastModified: "Mon, 02 Mar 2026 06:00:00 GMT"},
			[]model.Item{item("a")}, false, `"v1"`, "Mon, 02 Mar 2026 06:00:00 GMT"},
		{"not modified keeps", model.Run{Status: model.StatusNotModified, ETag: `"ignored"`},
			nil, false, `"v1"`, "Mon, 02 Mar 2026 06:00:00 GMT"},
		{"error keeps", model.Run{Status: model.StatusError, Err: "500", ETag: `"ignored"`},
			nil, false, `"v1"`, "Mon, 02 Mar 2026 06:00:00 GMT"},
		{"failed batch keeps", model.Run{Status: model.StatusOK, ETag: `"v2"`},
			[]model.Item{item("b"), item("boom")}, true, `"v1"`, "Mon, 02 Mar 2026 06:00:00 GMT"},
		{"ok without validators clears", model.Run{Status: model.StatusOK}, []model.Item{item("c")}, false, "", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.run.Source = "feed"
			_, err := s.SaveRun(ctx, st.run, st.items)
			if (err != nil) != st.wantErr {
				t.Fatalf("SaveRun error = %v, want error %v", err, st.wantErr)
			}
			etag, modified, err := s.Validators(ctx, "feed")
			if err != nil {
				t.Fatal(err)
			}
			if etag != st.etag || modified != st.modified {
				t.Errorf("Validators = %q, %q; want %q, %q", etag, modified, st.etag, st.modified)
			}
			all, err := s.ValidatorsOf(ctx, []string{"feed"})
			if err != nil {
				t.Fatal(err)
			}
			if got := all["feed"]; got != (Validator{st.etag, st.modified}) {
				t.Errorf("ValidatorsOf[feed] = %+v; want %q, %q", got, st.etag, st.modified)
			}
		})
	}
	// The failed batch left nothing behind: b was rolled back with boom.
	known, err := s.Known(ctx, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"a": true, "c": true}; !reflect.DeepEqual(known, want) {
		t.Errorf("Known = %v, want %v", known, want)
	}
	if etag, lm, err := s.Validators(ctx, "never-fetched"); etag != "" || lm != "" || err != nil {
		t.Errorf("Validators of an unknown source = %q, %q, %v", etag, lm, err)
	}
}

func TestHealth(t *testing.T) { both(t, testHealth) }

func testHealth(t *testing.T) {
	// A run saved alone and a run saved in a batch of runs leave the same health.
	savers := map[string]func(s *Store, run model.Run) error{
		"SaveRun": func(s *Store, run model.Run) error {
			_, err := s.SaveRun(context.Background(), run, nil)
			return err
		},
		"SaveRuns": func(s *Store, run model.Run) error {
			return s.SaveRuns(context.Background(), []model.Run{run})
		},
	}
	for name, save := range savers {
		t.Run(name, func(t *testing.T) { testHealthOf(t, save) })
	}
}

func testHealthOf(t *testing.T, save func(*Store, model.Run) error) {
	ctx := context.Background()
	s := open(t)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	steps := []struct {
		status       string
		err          string
		failures     int
		failingSince time.Time
		lastSuccess  time.Time
	}{
		{model.StatusError, "dial tcp: refused", 1, at(0), time.Time{}},
		{model.StatusOK, "", 0, time.Time{}, at(1)},
		{model.StatusError, "HTTP 500", 1, at(2), at(1)},
		{model.StatusError, "HTTP 502", 2, at(2), at(1)},
		{model.StatusError, "timeout", 3, at(2), at(1)},
		{model.StatusNotModified, "", 0, time.Time{}, at(5)},
	}
	for i, st := range steps {
		t.Run(fmt.Sprintf("%d_%s", i, st.status), func(t *testing.T) {
			run := model.Run{Source: "feed", Started: at(i), Duration: time.Duration(i+1) * time.Millisecond,
				Status: st.status, Err: st.err, Items: i}
			if err := save(s, run); err != nil {
				t.Fatal(err)
			}
			hs, err := s.Health(ctx)
			if err != nil || len(hs) != 1 {
				t.Fatalf("Health = %v, %v", hs, err)
			}
			want := Health{Source: "feed", LastStatus: st.status, LastRun: at(i), LastSuccess: st.lastSuccess,
				LastError: st.err, FailingSince: st.failingSince, Failures: st.failures,
				Duration: run.Duration, Items: i}
			if !reflect.DeepEqual(hs[0], want) {
				t.Errorf("Health = %+v\nwant %+v", hs[0], want)
			}
		})
	}

	errs, err := s.SourceErrors(ctx, at(2))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range errs {
		got = append(got, r.Source+": "+r.Err)
	}
	if want := []string{"feed: HTTP 500", "feed: HTTP 502", "feed: timeout"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SourceErrors = %v, want %v", got, want)
	}
}

// TestSaveRuns saves many sources' runs in one transaction: all or nothing.
func TestSaveRuns(t *testing.T) { both(t, testSaveRuns) }

func testSaveRuns(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.SaveRun(ctx, model.Run{Source: "a", Status: model.StatusOK, ETag: `"a1"`}, []model.Item{item("x")}); err != nil {
		t.Fatal(err)
	}
	runs := []model.Run{
		{Source: "a", Started: t0, Status: model.StatusNotModified},
		{Source: "b", Started: t0, Status: model.StatusError, Err: "HTTP 503"},
		{Source: "c", Started: t0, Status: model.StatusOK, LastModified: "Mon, 02 Mar 2026 06:00:00 GMT"},
	}
	bad := append(slices.Clone(runs), model.Run{Source: "d", Status: "weird"})
	if err := s.SaveRuns(ctx, bad); err == nil {
		t.Fatal("SaveRuns with an unknown status succeeded")
	}
	if hs, _ := s.Health(ctx); len(hs) != 1 {
		t.Fatalf("a rejected batch saved %d sources' health, want only the earlier one", len(hs))
	}
	if err := s.SaveRuns(ctx, runs); err != nil {
		t.Fatal(err)
	}
	hs, err := s.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, h := range hs {
		status[h.Source] = h.LastStatus
	}
	if want := map[string]string{"a": model.StatusNotModified, "b": model.StatusError, "c": model.StatusOK}; !reflect.DeepEqual(status, want) {
		t.Errorf("statuses = %v, want %v", status, want)
	}
	all, err := s.ValidatorsOf(ctx, []string{"a", "b", "c", "unknown"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Validator{"a": {ETag: `"a1"`}, "c": {LastModified: "Mon, 02 Mar 2026 06:00:00 GMT"}}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("ValidatorsOf = %v, want %v", all, want)
	}
	// The sources asked for, no others.
	if some, err := s.ValidatorsOf(ctx, []string{"c"}); err != nil || !reflect.DeepEqual(some, map[string]Validator{"c": want["c"]}) {
		t.Errorf("ValidatorsOf(c) = %v, %v; want c's alone", some, err)
	}
	if errs, _ := s.SourceErrors(ctx, t0); len(errs) != 1 || errs[0].Source != "b" {
		t.Errorf("SourceErrors = %+v, want b's", errs)
	}
}

// TestConcurrentWriters has two handles on one file, as a daemon and a
// `newswatch send` would, write at once; none may see SQLITE_BUSY.
func TestConcurrentWriters(t *testing.T) { both(t, testConcurrentWriters) }

func testConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	b := another(t, a)

	const runs = 20
	var wg sync.WaitGroup
	errs := make(chan error, 4*runs)
	for w, s := range []*Store{a, b} {
		wg.Go(func() {
			for i := range runs {
				var items []model.Item
				for j := range 5 {
					// Half the keys are shared between writers.
					items = append(items, item(fmt.Sprintf("w%d-%d-%d", w, i, j)), item(fmt.Sprintf("shared-%d-%d", i, j)))
				}
				added, err := s.SaveRun(ctx, model.Run{Source: fmt.Sprintf("src%d", w), Status: model.StatusOK}, items)
				if err != nil {
					errs <- err
					continue
				}
				var ids []int64
				for _, it := range added {
					ids = append(ids, it.ID)
				}
				m := model.Message{Digest: fmt.Sprintf("d%d", w), Slot: t0.Add(time.Duration(i) * time.Hour), ItemIDs: ids}
				if err := s.CreateMessage(ctx, &m); err != nil {
					errs <- err
					continue
				}
				if err := s.MarkSent(ctx, m.ID, time.Now()); err != nil {
					errs <- err
				}
				if _, err := s.Items(ctx, ItemQuery{UnclaimedBy: m.Digest, Limit: 5}); err != nil {
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
	var n int
	if err := a.r.QueryRow(`SELECT count(*) FROM items`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := 2*runs*5 + runs*5; n != want {
		t.Errorf("%d items stored, want %d", n, want)
	}
}

func TestLockDaemon(t *testing.T) {
	a := open(t)
	b, err := Open(context.Background(), a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	release, err := a.LockDaemon()
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.LockDaemon()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second LockDaemon: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), a.Path()+".lock") {
		t.Errorf("error %q does not name the lock file", err)
	}
	release()
	release() // idempotent

	release, err = b.LockDaemon()
	if err != nil {
		t.Fatalf("LockDaemon after release: %v", err)
	}
	release()
}

// TestMigrateUpgrade opens a database left at schema version 1 by an older
// binary: the later migrations run and the data stays.
func TestMigrateUpgrade(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations(sqlite{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", dsn(path, writer))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`,
		ms[0].sql,
		`INSERT INTO schema_version VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO items (key, first_seen) VALUES ('kept', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var version, indexes int
	if err := s.r.QueryRow(`SELECT max(version) FROM schema_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != len(ms) {
		t.Errorf("schema version %d after Open, want %d", version, len(ms))
	}
	if err := s.r.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'items_date'`).Scan(&indexes); err != nil || indexes != 0 {
		t.Errorf("items_date index still there (%d, %v)", indexes, err)
	}
	if known, err := s.Known(ctx, []string{"kept"}); err != nil || !known["kept"] {
		t.Errorf("item lost in the upgrade: %v, %v", known, err)
	}
}

func TestOpenOddPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "my data", "news watch?v=1#x%20.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	save(t, s, "src", item("a"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
	if _, err := Open(context.Background(), ""); err == nil {
		t.Error("Open with an empty path succeeded")
	}
}

// TestSaveRunFailureRecorded: when a source's items cannot be saved (a full
// disk, here a trigger), the source is recorded as failed with the error
// rather than left "never fetched".
func TestSaveRunFailureRecorded(t *testing.T) { both(t, testSaveRunFailureRecorded) }

func testSaveRunFailureRecorded(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	failInserts(t, s, "", "database or disk is full")
	_, err := s.SaveRun(ctx, model.Run{Source: "feed", Status: model.StatusOK, ETag: `"v1"`, Items: 1}, []model.Item{item("a")})
	if err == nil {
		t.Fatal("SaveRun succeeded through the trigger")
	}
	hs, err := s.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].Source != "feed" || hs[0].LastStatus != model.StatusError || hs[0].Failures != 1 ||
		!strings.Contains(hs[0].LastError, "disk is full") || hs[0].LastRun.IsZero() {
		t.Fatalf("health after a failed save = %+v, want feed failed with the error", hs)
	}
	if etag, _, _ := s.Validators(ctx, "feed"); etag != "" {
		t.Errorf("validator %q kept from a batch that was not saved", etag)
	}
	errs, err := s.SourceErrors(ctx, t0)
	if err != nil || len(errs) != 1 {
		t.Errorf("SourceErrors = %+v, %v; want the failed save", errs, err)
	}
}

// failInserts makes inserting the item with key (any item when "") fail
// with msg, as a full disk would.
func failInserts(t *testing.T, s *Store, key, msg string) {
	t.Helper()
	var stmts []string
	switch s.d.(type) {
	case sqlite:
		when := ""
		if key != "" {
			when = "WHEN NEW.key = '" + key + "'"
		}
		stmts = []string{`CREATE TRIGGER fail BEFORE INSERT ON items ` + when + ` BEGIN SELECT RAISE(ABORT, '` + msg + `'); END`}
	case postgres:
		when := ""
		if key != "" {
			when = "WHEN (NEW.key = '" + key + "')"
		}
		stmts = []string{
			`CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '` + msg + `'; END $$`,
			`CREATE TRIGGER fail BEFORE INSERT ON items FOR EACH ROW ` + when + ` EXECUTE FUNCTION fail()`,
		}
	}
	for _, q := range stmts {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// A file made with SQLite's default 4 KB pages opens, migrates and takes
// items with them: the page size is chosen for new files only.
func TestOpenKeepsPageSize(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "small-pages.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=page_size(4096)&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE before (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	save(t, s, "a", item("k1"), item("k2"))
	var page int
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&page); err != nil || page != 4096 {
		t.Errorf("page_size = %d, %v; want the file's 4096", page, err)
	}
	if known, err := s.Known(ctx, []string{"k1", "k2"}); err != nil || len(known) != 2 {
		t.Errorf("Known = %v, %v; want both items", known, err)
	}
}
