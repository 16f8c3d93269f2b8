package scraper

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"newswatch/internal/testutil"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRetryAfterDateByClock: a Retry-After date is judged by the
// Fetcher's clock, not the system's: an hour after the clock is an hour,
// whatever the system clock says.
func TestRetryAfterDateByClock(t *testing.T) {
	clock := &fakeClock{t: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", clock.Now().Add(time.Hour).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	res := fetchURL(t, New(Options{Now: clock.Now}), srv.URL+"/feed")
	var he *HTTPError
	if !errors.As(res.Err, &he) {
		t.Fatalf("err = %v, want *HTTPError", res.Err)
	}
	if he.Status != http.StatusServiceUnavailable || he.RetryAfter != time.Hour {
		t.Errorf("status %d, RetryAfter %v; want 503 and 1h by the Fetcher's clock", he.Status, he.RetryAfter)
	}
}

// TestRobotsExpireByClock: a cached robots.txt is used until robotsTTL has
// passed on the Fetcher's clock, and read again after.
func TestRobotsExpireByClock(t *testing.T) {
	clock := &fakeClock{t: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
	s := newSite(t)
	f := New(Options{UserAgent: testUA, RespectRobots: true, Now: clock.Now})
	src := Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", MaxArticles: 1}
	fetch := func() {
		t.Helper()
		if res := f.Fetch(t.Context(), src); res.Err != nil {
			t.Fatalf("fetch: %v", res.Err)
		}
	}
	fetch()
	clock.Advance(robotsTTL - time.Second)
	fetch()
	if n := s.count("/robots.txt"); n != 1 {
		t.Fatalf("robots.txt read %d times within its TTL, want 1", n)
	}
	clock.Advance(time.Second)
	fetch()
	if n := s.count("/robots.txt"); n != 2 {
		t.Errorf("robots.txt read %d times once its TTL passed on the Fetcher's clock, want 2", n)
	}
}

// TestHostGateByClock: a host held by a Retry-After is free once the
// Fetcher's clock has passed the hold, and a request waits (really) for
// what is left of it otherwise. The bubble's clock measures the wait.
func TestHostGateByClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := &fakeClock{t: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
		g := &hostGate{now: clock.Now, next: map[string]time.Time{}}
		waited := func() time.Duration {
			start := time.Now()
			if err := g.wait(t.Context(), "news.example"); err != nil {
				t.Fatal(err)
			}
			return time.Since(start)
		}

		g.hold("News.Example", 10*time.Second)
		clock.Advance(4 * time.Second)
		if d := waited(); d != 6*time.Second {
			t.Errorf("waited %v with 6s of the hold left on the Fetcher's clock, want 6s", d)
		}
		g.hold("news.example", 10*time.Second)
		clock.Advance(10 * time.Second)
		if d := waited(); d != 0 {
			t.Errorf("waited %v after the hold passed on the Fetcher's clock, want 0", d)
		}
	})
}

// TestHostGateHoldOnlyExtends: a shorter Retry-After seen later does not
// cut a longer hold short.
func TestHostGateHoldOnlyExtends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := &fakeClock{t: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
		g := &hostGate{now: clock.Now, next: map[string]time.Time{}}
		g.hold("news.example", 10*time.Second)
		g.hold("news.example", 2*time.Second)
		start := time.Now()
		if err := g.wait(t.Context(), "news.example"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("waited %v, want the longer hold of 10s", d)
		}
	})
}

// TestRetryAfter: delay-seconds or an HTTP date, judged by now; anything
// else, or a time already past, is no delay; a delay is at most a week.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	week := 7 * 24 * time.Hour
	tests := map[string]time.Duration{
		"":               0,
		"120":            2 * time.Minute,
		" 5 ":            5 * time.Second,
		"0":              0,
		"-5":             0,
		"soon":           0,
		"1209600":        week,
		"99999999999999": week, // seconds past what a Duration holds
		now.Add(time.Hour).Format(http.TimeFormat):  time.Hour,
		now.Add(-time.Hour).Format(http.TimeFormat): 0,
	}
	for v, want := range tests {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}
