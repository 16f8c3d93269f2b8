package scraper

import (
	"context"
	"net/http"
	"newswatch/internal/testutil"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchAllOneFailureNeverStopsOthers: a 500, malformed XML and a timeout
// are each reported by name while the other sources' items arrive.
func TestFetchAllOneFailureNeverStopsOthers(t *testing.T) {
	good := testutil.ServeBytes(t, "application/rss+xml", fixture(t, "rss2.xml"))
	atom := testutil.ServeBytes(t, "application/atom+xml", fixture(t, "atom.xml"))
	broken := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	malformed := testutil.ServeBytes(t, "text/xml", []byte("<rss><channel><item><title>x</channel>"))
	slow := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })

	srcs := []Source{
		{Name: "good", Feed: good.URL},
		{Name: "broken", Feed: broken.URL},
		{Name: "malformed", Feed: malformed.URL},
		{Name: "slow", Feed: slow.URL},
		{Name: "atom", Feed: atom.URL},
	}
	f := newTestFetcher(t, Options{Concurrency: 2, Timeout: 2 * time.Second})
	var mu sync.Mutex
	got := map[string]Result{}
	f.FetchAll(t.Context(), srcs, func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[r.Source]; dup {
			t.Errorf("done called twice for %s", r.Source)
		}
		got[r.Source] = r
	})
	if len(got) != len(srcs) {
		t.Fatalf("done called for %d sources, want %d", len(got), len(srcs))
	}
	for _, name := range []string{"good", "atom"} {
		if r := got[name]; r.Err != nil || len(r.Items) == 0 {
			t.Errorf("%s: err=%v items=%d", name, r.Err, len(r.Items))
		}
	}
	for _, name := range []string{"broken", "malformed", "slow"} {
		if r := got[name]; r.Err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, r := range got {
		if r.Duration <= 0 {
			t.Errorf("%s: Duration not measured", name)
		}
	}
}

func TestFetchAllConcurrencyAndCancel(t *testing.T) {
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		started <- struct{}{}
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srcs := make([]Source, 20)
	for i := range srcs {
		srcs[i] = Source{Name: "s" + string(rune('a'+i)), Feed: srv.URL}
	}
	f := newTestFetcher(t, Options{Concurrency: 3})
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int32
	finished := make(chan struct{})
	go func() {
		f.FetchAll(ctx, srcs, func(Result) { calls.Add(1) })
		close(finished)
	}()
	for range 3 {
		<-started
	}
	cancel()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("FetchAll did not return after cancel")
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency %d, want <= 3", p)
	}
	if calls.Load() != int32(len(srcs)) {
		t.Errorf("done called %d times, want %d", calls.Load(), len(srcs))
	}
}
