package scraper

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Retries of a request answered 429 or 503.
const (
	maxRetries = 2
	// maxRetryWait bounds the Retry-After we wait for; a longer one fails
	// the request (the next run tries again).
	maxRetryWait = 30 * time.Second
	// retryWait is the first wait when the answer has no Retry-After; it
	// doubles for the second retry.
	retryWait = time.Second
)

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(7*24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// hostGate spaces requests to one host by per_host_delay, or by the host's
// robots.txt Crawl-delay when that is longer. It is shared by every request
// a Fetcher makes, so page and article fetches draw on the same politeness
// budget as feeds.
type hostGate struct {
	now   func() time.Time // the Fetcher's clock; the wait itself is a real timer
	delay time.Duration
	held  atomic.Bool // hold or slow was called: wait must look even when delay is 0
	mu    sync.Mutex
	next  map[string]time.Time
	crawl map[string]time.Duration // Crawl-delay by host
}

// slow spaces requests to host by at least d from now on (a robots.txt
// Crawl-delay); 0 removes the spacing. Hosts are named without port, as
// for per_host_delay.
func (g *hostGate) slow(host string, d time.Duration) {
	host = strings.ToLower(host)
	g.mu.Lock()
	defer g.mu.Unlock()
	if d <= 0 {
		delete(g.crawl, host)
		return
	}
	if g.crawl == nil {
		g.crawl = map[string]time.Duration{}
	}
	g.crawl[host] = d
	g.held.Store(true)
}

// hold makes requests to host wait until d from now (a Retry-After), for
// every source, unless they must wait longer already.
func (g *hostGate) hold(host string, d time.Duration) {
	host = strings.ToLower(host)
	until := g.now().Add(d)
	g.mu.Lock()
	if g.next[host].Before(until) {
		g.next[host] = until
	}
	g.mu.Unlock()
	g.held.Store(true)
}

// wait blocks until a request to host may start, or ctx ends.
func (g *hostGate) wait(ctx context.Context, host string) error {
	if g.delay <= 0 && !g.held.Load() {
		return ctx.Err()
	}
	host = strings.ToLower(host)
	g.mu.Lock()
	now := g.now()
	if len(g.next) > 4096 {
		for h, t := range g.next {
			if t.Before(now) {
				delete(g.next, h)
			}
		}
	}
	at := g.next[host]
	if at.Before(now) {
		at = now
	}
	if d := max(g.delay, g.crawl[host]); d > 0 {
		g.next[host] = at.Add(d)
	}
	g.mu.Unlock()

	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
