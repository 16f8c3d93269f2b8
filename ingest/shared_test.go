package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/scraper"
	"newswatch/store"
)

// TestRunShared: two pipelines on one PostgreSQL database fetch a slot's
// sources between them, each source once; the same slot again fetches
// nothing, the next one everything.
func TestRunShared(t *testing.T) {
	db := testutil.Postgres(t)
	var (
		mu       sync.Mutex
		requests = map[string]int{}
	)
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss)
	})
	const n = 300 // several claim windows (claimWindow batches of 16)
	var b strings.Builder
	fmt.Fprintf(&b, "database = %q\n[http]\nper_host_delay = \"0s\"\nconcurrency = 2\n[output]\ndir = \"out\"\n", db)
	for i := range n {
		fmt.Fprintf(&b, "[[sources]]\nname = \"S%03d\"\nfeed = \"%s/s%03d\"\n", i, srv.URL, i)
	}
	b.WriteString("[[companies]]\nname = \"Alibaba\"\n[[digests]]\nname = \"D\"\nschedule = \"0 7 * * *\"\nto = [\"a@example.org\"]\n")
	cfg, wl := loadConfig(t, filepath.Join(t.TempDir(), "newswatch.toml"), b.String())
	pipes := make([]*Pipeline, 2)
	for i := range pipes {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		pipes[i] = New(cfg, st, wl)
	}
	round := func(slot time.Time) int {
		t.Helper()
		var (
			wg    sync.WaitGroup
			total = make([]int, len(pipes))
		)
		for i, p := range pipes {
			wg.Go(func() {
				sum, err := p.RunShared(context.Background(), cfg.Sources, slot, nil)
				if err != nil {
					t.Error(err)
				}
				total[i] = sum.Sources
			})
		}
		wg.Wait()
		return total[0] + total[1]
	}
	slot := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	if got := round(slot); got != n {
		t.Errorf("first round fetched %d sources in all, want %d", got, n)
	}
	for i := range n {
		if c := requests[fmt.Sprintf("/s%03d", i)]; c != 1 {
			t.Errorf("source %d fetched %d times in the slot, want once", i, c)
		}
	}
	if got := round(slot); got != 0 {
		t.Errorf("the same slot again fetched %d sources, want none", got)
	}
	if got := round(slot.Add(30 * time.Minute)); got != n {
		t.Errorf("the next slot fetched %d sources, want %d", got, n)
	}
}

// TestRunSharedStopsWhenClaimLost: a daemon whose claim on a source is
// taken over while it fetches (it stalled past the claim's expiry) stops
// that fetch at its next renewal, and leaves the source to the new holder.
func TestRunSharedStopsWhenClaimLost(t *testing.T) {
	db := testutil.Postgres(t)
	started, cancelled := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		<-r.Context().Done() // answers nothing: the fetch ends when the client gives up
		close(cancelled)
	})
	cfg, wl := loadConfig(t, filepath.Join(t.TempDir(), "newswatch.toml"), fmt.Sprintf(
		"database = %q\n[http]\ntimeout = \"10m\"\nper_host_delay = \"0s\"\n[output]\ndir = \"out\"\n[[sources]]\nname = \"Slow\"\nfeed = \"%s/slow\"\n"+
			"[[companies]]\nname = \"Alibaba\"\n[[digests]]\nname = \"D\"\nschedule = \"0 7 * * *\"\nto = [\"a@example.org\"]\n", db, srv.URL))
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := New(cfg, st, wl)
	done := make(chan error, 1)
	go func() {
		_, err := p.RunShared(context.Background(), cfg.Sources, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), nil)
		done <- err
	}()
	<-started
	// Another daemon takes the source over.
	other, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`UPDATE leases SET owner = 'other:1:taken', until = until + 3600000000000`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cancelled:
	case <-time.After(time.Minute):
		t.Fatal("the fetch went on after its claim was taken over")
	}
	// The new holder finishes the source: the slot is done.
	if _, err := other.Exec(`UPDATE leases SET done = 1`); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("RunShared after losing a claim: %v, want it to go on and end with the slot done", err)
	}
}

func TestNextOpen(t *testing.T) {
	open := []string{"a", "b", "c", "d", "e", "f"}
	for _, tc := range []struct {
		name    string
		w       int
		claimed []string
		busy    int
		full    bool
		want    []string
	}{
		{"a full claim leaves the rest of the window", 4, []string{"a", "c"}, 0, true, []string{"b", "d", "e", "f"}},
		{"done or claimed: the window leaves", 4, []string{"b"}, 0, false, []string{"e", "f"}},
		{"held by others: the window goes to the back", 4, []string{"b"}, 2, false, []string{"e", "f", "a", "c", "d"}},
		{"the last window, all held", 6, nil, 6, false, []string{"a", "b", "c", "d", "e", "f"}},
		{"the last window, all done", 6, nil, 0, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextOpen(open, tc.w, tc.claimed, tc.busy, tc.full); !slices.Equal(got, tc.want) {
				t.Errorf("nextOpen = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRunSharedClaimsRolling: while the last source of a claimed batch is
// still being fetched, the other workers fetch the next batch's sources.
func TestRunSharedClaimsRolling(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		const n = 20 // two batches of 16 with 2 workers
		var (
			mu      sync.Mutex
			fetched = map[string]int{}
		)
		nextBatch := make(chan struct{})
		var once sync.Once
		sawNext := false
		p, cfg, _ := fakeSources(t, dir, n, 2, func(ctx context.Context, src scraper.Source) scraper.Result {
			mu.Lock()
			fetched[src.Name]++
			mu.Unlock()
			switch {
			case src.Name == "S000":
				// The batch's slow source: answers once the next batch is
				// being fetched, or gives up a minute later.
				select {
				case <-nextBatch:
					sawNext = true
				case <-time.After(time.Minute):
				}
			case src.Name >= "S016":
				once.Do(func() { close(nextBatch) })
			}
			return oneItem(src)
		})
		sum, err := p.RunShared(context.Background(), cfg.Sources, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !sawNext {
			t.Error("no source of the next batch was fetched while the first batch's last source was")
		}
		if sum.Sources != n || sum.New != n {
			t.Errorf("fetched %d sources, %d new items; want %d of each", sum.Sources, sum.New, n)
		}
		for i := range n {
			if c := fetched[fmt.Sprintf("S%03d", i)]; c != 1 {
				t.Errorf("S%03d fetched %d times, want once", i, c)
			}
		}
	})
}

// TestRunSharedStopped: a daemon stopped mid-slot saves what it fetched
// and marks it done, and releases the claims of the sources it had not
// fetched, so that another daemon takes them at once.
func TestRunSharedStopped(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		slot := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		cut := make(chan struct{})
		p, cfg, st := fakeSources(t, dir, 20, 2, func(ctx context.Context, src scraper.Source) scraper.Result {
			switch src.Name {
			case "S000":
				return oneItem(src)
			case "S001":
				// Cut short by the stop.
				close(cut)
				<-ctx.Done()
				return scraper.Result{Source: src.Name, Err: fmt.Errorf("source %q: %w", src.Name, ctx.Err())}
			default:
				<-ctx.Done()
				return scraper.Result{Source: src.Name, Err: fmt.Errorf("source %q: %w", src.Name, ctx.Err())}
			}
		})
		p.saveRun = func(ctx context.Context, run model.Run, items []model.Item) ([]model.Item, error) {
			// S000 was fetched; its save waits for the writer until the
			// daemon is stopped.
			<-cut
			stop()
			return st.SaveRun(ctx, run, items)
		}
		var reported []string
		sum, err := p.RunShared(ctx, cfg.Sources, slot, func(o Outcome) { reported = append(reported, o.Source) })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunShared stopped: %v, want context.Canceled", err)
		}
		if !slices.Equal(reported, []string{"S000"}) || sum.Sources != 1 || sum.New != 1 {
			t.Errorf("reported %q, summary %+v; want S000 alone, with its item", reported, sum)
		}
		if known, err := st.Known(context.Background(), []string{"https://news.example/S000"}); err != nil || len(known) != 1 {
			t.Errorf("S000's item not saved: %v, %v", known, err)
		}
		// Another daemon claims every source but S000 at once.
		names := make([]string, len(cfg.Sources))
		for i, s := range cfg.Sources {
			names[i] = sourceLease(s.Name)
		}
		claimed, busy, err := st.Claim(context.Background(), names, slot, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(claimed, names[1:]) || busy != 0 {
			t.Errorf("after the stop, %q claimable and %d busy; want all but S000, none busy", claimed, busy)
		}
	})
}
