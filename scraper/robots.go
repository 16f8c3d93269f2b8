package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// ErrRobotsDisallowed: robots.txt forbids the URL to our user agent.
var ErrRobotsDisallowed = errors.New("disallowed by robots.txt")

const (
	// robotsTTL is how long a fetched robots.txt is used (RFC 9309 asks
	// for at most 24 hours).
	robotsTTL = time.Hour
	// robotsRetry is how long a robots.txt that could not be had (network
	// error, 429, 5xx: all of the host is off limits meanwhile) is
	// remembered, so one run does not ask for it before every article.
	robotsRetry = 5 * time.Minute
	// maxCrawlDelay bounds the Crawl-delay a robots.txt may ask for: its
	// spacing applies to every page and article fetch from that host, one
	// after another, and a daemon's fetch has 10 minutes: 50 new articles
	// at 10 s fit.
	maxCrawlDelay = 10 * time.Second
)

// robotsCache holds robots.txt per scheme, host and access (public, or
// which private source) for every source of a Fetcher. Concurrent lookups of one host wait for a single fetch.
type robotsCache struct {
	now     func() time.Time // the Fetcher's clock: entries expire by it
	mu      sync.Mutex
	entries map[string]*robotsEntry
}

type robotsEntry struct {
	ready   chan struct{} // closed once data or err is set
	data    *robotstxt.RobotsData
	err     error
	expires time.Time
}

// checkRobots returns nil when Options.RespectRobots is off or robots.txt of
// u's host lets our user agent fetch u; otherwise an error wrapping
// ErrRobotsDisallowed, or the reason robots.txt could not be read (then u
// is not fetched either). acc is the access of the source asking: the
// robots.txt request is made with it, and cached for it, so a refusal met
// by a public source does not fail an intranet source of the same origin.
func (f *Fetcher) checkRobots(ctx context.Context, u *url.URL, acc access) error {
	if !f.opts.RespectRobots {
		return nil
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	data, err := f.robots.get(ctx, origin+" "+acc.key, func(ctx context.Context) (*robotstxt.RobotsData, time.Duration, error) {
		return f.fetchRobots(ctx, origin+"/robots.txt", acc)
	})
	if err != nil {
		return fmt.Errorf("robots.txt of %s: %w", origin, err)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	agent := robotsAgent(f.opts.UserAgent)
	if !data.TestAgent(path, agent) {
		return fmt.Errorf("%w (user agent %q)", ErrRobotsDisallowed, agent)
	}
	// Set on every check, so a robots.txt that drops its Crawl-delay
	// frees the host again when it is read next (robotsTTL).
	var delay time.Duration
	if g := data.FindGroup(agent); g != nil {
		delay = min(g.CrawlDelay, maxCrawlDelay)
	}
	f.hosts.slow(u.Hostname(), delay)
	return nil
}

// robotsAgent is the product token of a User-Agent ("newswatch" of
// "newswatch/0.1 (+https://…)"), the name robots.txt groups address.
func robotsAgent(ua string) string {
	if i := strings.IndexAny(ua, "/ "); i > 0 {
		ua = ua[:i]
	}
	return strings.ToLower(ua)
}

// fetchRobots reads one robots.txt through the shared client. As RFC 9309
// says: a 4xx but 429 means no rules; 429, 5xx and unreachable mean
// nothing may be fetched for now.
func (f *Fetcher) fetchRobots(ctx context.Context, link string, acc access) (*robotstxt.RobotsData, time.Duration, error) {
	resp, err := f.get(ctx, request{URL: link, Access: acc, Accept: "text/plain,*/*;q=0.5"})
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.Status >= 400 && he.Status < 500 && he.Status != http.StatusTooManyRequests:
		data, err := robotstxt.FromStatusAndBytes(he.Status, nil)
		return data, robotsTTL, err
	case err != nil:
		return nil, robotsRetry, err
	}
	defer resp.release()
	data, err := robotstxt.FromBytes(resp.Body.Bytes())
	if err != nil {
		return nil, robotsRetry, fmt.Errorf("unreadable: %w", err)
	}
	return data, robotsTTL, nil
}

// get returns the cached robots.txt of origin, loading it when missing or
// expired. A load that failed because its caller's ctx ended is not kept.
func (c *robotsCache) get(ctx context.Context, origin string, load func(context.Context) (*robotstxt.RobotsData, time.Duration, error)) (*robotstxt.RobotsData, error) {
	c.mu.Lock()
	e, ok := c.entries[origin]
	if ok && e.expires.IsZero() || ok && c.now().Before(e.expires) {
		c.mu.Unlock()
		select {
		case <-e.ready:
			return e.data, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e = &robotsEntry{ready: make(chan struct{})}
	if len(c.entries) > 4096 {
		now := c.now()
		for k, old := range c.entries {
			if !old.expires.IsZero() && now.After(old.expires) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[origin] = e
	c.mu.Unlock()

	data, ttl, err := load(ctx)
	if err == nil && data == nil {
		err = errors.New("no robots.txt data")
	}
	c.mu.Lock()
	e.data, e.err = data, err
	e.expires = c.now().Add(ttl)
	if ctx.Err() != nil {
		delete(c.entries, origin)
	}
	c.mu.Unlock()
	close(e.ready)
	return data, err
}
