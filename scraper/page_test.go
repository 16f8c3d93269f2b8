package scraper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"newswatch/internal/testutil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

const testUA = "newswatch/0.1 (+https://example.org/newswatch)"

// siteRequest is one request a test site received.
type siteRequest struct {
	Host, Path, UserAgent string
	At                    time.Time
}

// site is a news site on loopback: /business is the listing page of
// testdata/site/listing.html, /news/NAME serves testdata/site/NAME.html,
// and so does /private/NAME, /robots.txt is testdata/site/robots.txt;
// handle overrides single paths.
type site struct {
	*httptest.Server
	mu       sync.Mutex
	requests []siteRequest
	handlers map[string]http.HandlerFunc
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{handlers: map[string]http.HandlerFunc{}}
	s.Server = testutil.Serve(t, s.serveHTTP)
	return s
}

// handle serves path with h instead of the fixture; call before fetching.
func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

func (s *site) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, siteRequest{Host: r.Host, Path: r.URL.Path, UserAgent: r.UserAgent(), At: time.Now()})
	h := s.handlers[r.URL.Path]
	s.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	var name string
	switch {
	case r.URL.Path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		name = "robots.txt"
	case r.URL.Path == "/business":
		name = "listing.html"
	case strings.HasPrefix(r.URL.Path, "/news/"), strings.HasPrefix(r.URL.Path, "/private/"):
		name = filepath.Base(r.URL.Path) + ".html"
	default:
		http.NotFound(w, r)
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", "site", filepath.Base(name)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write([]byte(strings.ReplaceAll(string(b), "HOST", r.Host)))
}

// paths returns the paths requested, in order.
func (s *site) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, r.Path)
	}
	return out
}

func (s *site) count(path string) int {
	n := 0
	for _, p := range s.paths() {
		if p == path {
			n++
		}
	}
	return n
}

func (s *site) log() []siteRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func itemByPath(t *testing.T, items []Item, path string) Item {
	t.Helper()
	for _, it := range items {
		if strings.Contains(it.Link, path) {
			return it
		}
	}
	t.Fatalf("no item for %s among %d items", path, len(items))
	return Item{}
}

// decoyWords are what the header, "related" and footer boxes of the test
// articles say; only the body of cainiao-probe mentions any of them.
var decoyWords = []string{"Alibaba", "Cainiao", "espionage", "spying", "Aliyun", "Zero-day", "Military"}

// TestPageSource: a listing page with 5 article links among navigation and
// footer links; one disallowed by robots.txt. Header, "related" and footer
// boxes that name a tracked company and topic stay out of the bodies, with
// readability and with a body selector.
func TestPageSource(t *testing.T) {
	for _, tt := range []struct{ name, body string }{
		{"readability", ""},
		{"body selector", "div.article-body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t)
			f := newTestFetcher(t, Options{UserAgent: testUA, RespectRobots: true})
			res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", Body: tt.body})

			wantLinks := []string{
				s.URL + "/news/port-volumes",
				s.URL + "/news/cainiao-probe?utm_source=home",
				s.URL + "/news/cloud-prices",
				s.URL + "/private/board-minutes",
				s.URL + "/news/retail-sales",
			}
			if !slices.Equal(res.Links, wantLinks) {
				t.Errorf("links:\n got %q\nwant %q", res.Links, wantLinks)
			}

			// robots.txt: /private/ is not fetched, and the source says so.
			if n := s.count("/private/board-minutes"); n != 0 {
				t.Errorf("disallowed article fetched %d times", n)
			}
			var partial *PartialError
			if res.Err != nil || !errors.As(res.Warning, &partial) || !errors.Is(res.Warning, ErrRobotsDisallowed) {
				t.Fatalf("err = %v, warning = %v; want a *PartialError warning wrapping ErrRobotsDisallowed", res.Err, res.Warning)
			}
			for _, want := range []string{`source "Example"`, "1 of 5 articles yielded nothing", "/private/board-minutes", "robots.txt"} {
				if !strings.Contains(res.Warning.Error(), want) {
					t.Errorf("warning %q does not say %q", res.Warning, want)
				}
			}

			// Navigation and footer links are never followed.
			wantPaths := []string{"/robots.txt", "/business", "/news/port-volumes", "/news/cainiao-probe", "/news/cloud-prices", "/news/retail-sales"}
			if got := s.paths(); !slices.Equal(got, wantPaths) {
				t.Errorf("requests:\n got %q\nwant %q", got, wantPaths)
			}
			for _, r := range s.log() {
				if r.UserAgent != testUA {
					t.Errorf("%s sent User-Agent %q", r.Path, r.UserAgent)
				}
			}

			if len(res.Items) != 4 {
				t.Fatalf("%d items, want 4", len(res.Items))
			}
			for _, it := range res.Items {
				if key, _ := NormalizeURL(it.Link); it.Key != key {
					t.Errorf("key %q, want NormalizeURL(%q)", it.Key, it.Link)
				}
			}
			for _, p := range []string{"port-volumes", "cloud-prices", "retail-sales"} {
				it := itemByPath(t, res.Items, p)
				for _, w := range decoyWords {
					if strings.Contains(strings.ToLower(it.Body), strings.ToLower(w)) {
						t.Errorf("%s: body mentions %q from outside the article:\n%s", p, w, it.Body)
					}
				}
			}
			port := itemByPath(t, res.Items, "port-volumes")
			if !strings.Contains(port.Body, "Container throughput") || !strings.Contains(port.Body, "a tenth in October.") {
				t.Errorf("port-volumes body incomplete:\n%s", port.Body)
			}
			if port.Title != "Port volumes rise in the third quarter" {
				t.Errorf("title %q (og:title)", port.Title)
			}
			if want := time.Date(2026, 1, 8, 5, 30, 0, 0, time.UTC); !port.Published.Equal(want) || port.Published.Location() != time.UTC {
				t.Errorf("published %v, want %v (article:published_time)", port.Published, want)
			}
			probe := itemByPath(t, res.Items, "cainiao-probe")
			for _, w := range []string{"Cainiao", "Alibaba", "espionage", "intelligence service"} {
				if !strings.Contains(probe.Body, w) {
					t.Errorf("cainiao-probe body lacks %q:\n%s", w, probe.Body)
				}
			}
			if probe.Title != "Logistics firm faces espionage probe" {
				t.Errorf("title %q (h1)", probe.Title)
			}
			if want := time.Date(2026, 1, 9, 14, 5, 0, 0, time.UTC); !probe.Published.Equal(want) {
				t.Errorf("published %v, want %v (JSON-LD NewsArticle)", probe.Published, want)
			}
			if probe.Key != "https://"+s.Listener.Addr().String()+"/news/cainiao-probe" {
				t.Errorf("key %q keeps tracking parameters", probe.Key)
			}
			cloud := itemByPath(t, res.Items, "cloud-prices")
			if want := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC); !cloud.Published.Equal(want) {
				t.Errorf("published %v, want %v (<time datetime>)", cloud.Published, want)
			}
			if retail := itemByPath(t, res.Items, "retail-sales"); !retail.Published.IsZero() || retail.Title != "Retail sales steady" {
				t.Errorf("retail-sales: published %v (want zero: no date), title %q", retail.Published, retail.Title)
			}
		})
	}
}

// TestPageSourceKnownArticles: stored articles are not fetched again; they
// come back as link-only items so the store records the source for them.
func TestPageSourceKnownArticles(t *testing.T) {
	s := newSite(t)
	stored := map[string]bool{}
	var mu sync.Mutex
	var asked [][]string
	f := newTestFetcher(t, Options{Known: func(_ context.Context, keys []string) (map[string]bool, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, keys)
		known := map[string]bool{}
		for _, k := range keys {
			if stored[k] {
				known[k] = true
			}
		}
		return known, nil
	}})
	src := Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"}

	first := f.Fetch(t.Context(), src)
	if first.Err != nil || len(first.Items) != 5 {
		t.Fatalf("first fetch: err=%v items=%d", first.Err, len(first.Items))
	}
	if len(asked) != 1 || len(asked[0]) != 5 {
		t.Fatalf("Known asked %v, want the 5 keys once", asked)
	}
	for _, it := range first.Items {
		stored[it.Key] = true
	}
	before := len(s.paths())
	second := f.Fetch(t.Context(), src)
	if second.Err != nil {
		t.Fatal(second.Err)
	}
	if got := s.paths()[before:]; !slices.Equal(got, []string{"/business"}) {
		t.Errorf("second fetch requested %q, want only the listing", got)
	}
	if len(second.Items) != 5 {
		t.Fatalf("%d items, want 5 link-only items", len(second.Items))
	}
	for _, it := range second.Items {
		if it.Body != "" || it.Title == "" || !stored[it.Key] {
			t.Errorf("known item %+v: want key and link text only", it)
		}
	}

	t.Run("Known fails", func(t *testing.T) {
		g := f.WithKnown(func(context.Context, []string) (map[string]bool, error) { return nil, errors.New("database is locked") })
		res := g.Fetch(t.Context(), src)
		if res.Err == nil || !strings.Contains(res.Err.Error(), "database is locked") || len(res.Items) != 0 {
			t.Fatalf("err=%v items=%d", res.Err, len(res.Items))
		}
	})
}

func TestPageSourceMaxArticles(t *testing.T) {
	s := newSite(t)
	f := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", MaxArticles: 2})
	if res.Err != nil || len(res.Items) != 2 || len(res.Links) != 5 {
		t.Fatalf("err=%v items=%d links=%d, want 2 items of 5 links", res.Err, len(res.Items), len(res.Links))
	}
	if n := len(s.paths()); n != 3 {
		t.Errorf("%d requests, want listing and 2 articles", n)
	}
}

// TestPageSourceSelectors: a links selector that finds nothing fails the
// source with a message naming selector and page; a body selector that
// misses on some articles keeps the others and reports the misses.
func TestPageSourceSelectors(t *testing.T) {
	s := newSite(t)
	s.handle("/news/retail-sales", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><div class="story">Retail text in a new layout</div></body></html>`)
	})
	f := newTestFetcher(t, Options{})
	page := s.URL + "/business"

	t.Run("no links", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article h2 a"})
		var se *SelectorError
		if !errors.As(res.Err, &se) || len(res.Items) != 0 {
			t.Fatalf("err = %v, want a *SelectorError", res.Err)
		}
		want := `source "Example": selector "article h2 a" matched 0 links on ` + page
		if res.Err.Error() != want {
			t.Errorf("error\n got %q\nwant %q", res.Err, want)
		}
	})
	t.Run("elements without links", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article p"})
		if res.Err == nil || !strings.Contains(res.Err.Error(), `selector "article p" matched 1 elements but no http(s) links`) {
			t.Fatalf("err = %v", res.Err)
		}
	})
	t.Run("elements holding links", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article h3", MaxArticles: 1})
		if res.Err != nil || len(res.Links) != 5 {
			t.Fatalf("err=%v links=%d", res.Err, len(res.Links))
		}
	})
	t.Run("the page itself left out", func(t *testing.T) {
		s := newSite(t)
		s.handle("/business", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html><body><ul><li><a href="/business#top">Business</a></li><li><a href="?utm_source=nav">Business</a></li>`+
				`<li><a href="/news/port-volumes">Port</a></li></ul></body></html>`)
		})
		res := newTestFetcher(t, Options{}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "li a"})
		if res.Err != nil || !slices.Equal(res.Links, []string{s.URL + "/news/port-volumes"}) {
			t.Fatalf("err = %v, links %q; want the article only", res.Err, res.Links)
		}
	})
	t.Run("body misses on one article", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article h3 a", Body: "div.article-body"})
		var se *SelectorError
		if res.Err != nil || !errors.As(res.Warning, &se) || se.Field != "body" {
			t.Fatalf("err = %v, warning = %v; want a body *SelectorError warning", res.Err, res.Warning)
		}
		if !strings.Contains(res.Warning.Error(), `1 of 5 articles yielded nothing: body selector "div.article-body" matched nothing on `+s.URL+"/news/retail-sales") ||
			strings.Count(res.Warning.Error(), "/news/retail-sales") != 1 {
			t.Errorf("warning = %v", res.Warning)
		}
		if len(res.Items) != 4 {
			t.Errorf("%d items, want the 4 others", len(res.Items))
		}
	})
	t.Run("body misses everywhere", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article h3 a", Body: "div.gone"})
		if len(res.Items) != 0 || res.Err == nil || !strings.Contains(res.Err.Error(), "5 of 5 articles yielded nothing") ||
			!strings.Contains(res.Err.Error(), "and 2 more") {
			t.Fatalf("items=%d err=%v", len(res.Items), res.Err)
		}
	})
	t.Run("bad selector", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article[["})
		if res.Err == nil || !strings.Contains(res.Err.Error(), `links selector "article[["`) {
			t.Fatalf("err = %v", res.Err)
		}
	})
	t.Run("listing not HTML", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/robots.txt", Links: "a"})
		if !errors.Is(res.Err, ErrNotHTML) {
			t.Fatalf("err = %v, want ErrNotHTML", res.Err)
		}
	})
	t.Run("listing 404", func(t *testing.T) {
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/gone", Links: "a"})
		var he *HTTPError
		if !errors.As(res.Err, &he) || he.Status != 404 || !strings.Contains(res.Err.Error(), "fetch "+s.URL+"/gone: HTTP 404") {
			t.Fatalf("err = %v", res.Err)
		}
	})
}

// TestPageRobots: robots.txt answers other than 200.
func TestPageRobots(t *testing.T) {
	t.Run("listing disallowed", func(t *testing.T) {
		s := newSite(t)
		s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "User-agent: newswatch\nDisallow: /business\n")
		})
		res := newTestFetcher(t, Options{UserAgent: testUA, RespectRobots: true}).
			Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
		if !errors.Is(res.Err, ErrRobotsDisallowed) || s.count("/business") != 0 {
			t.Fatalf("err = %v, listing requested %d times", res.Err, s.count("/business"))
		}
	})
	t.Run("respect_robots off", func(t *testing.T) {
		s := newSite(t)
		res := newTestFetcher(t, Options{}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
		if res.Err != nil || s.count("/robots.txt") != 0 || s.count("/private/board-minutes") != 1 {
			t.Fatalf("err = %v, paths %q", res.Err, s.paths())
		}
	})
	t.Run("no robots.txt", func(t *testing.T) {
		s := newSite(t)
		s.handle("/robots.txt", http.NotFound)
		res := newTestFetcher(t, Options{RespectRobots: true}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
		if res.Err != nil {
			t.Fatalf("err = %v (a 404 robots.txt allows everything)", res.Err)
		}
	})
	t.Run("robots.txt 500", func(t *testing.T) {
		s := newSite(t)
		s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
		res := newTestFetcher(t, Options{RespectRobots: true}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
		var he *HTTPError
		if !errors.As(res.Err, &he) || he.Status != 500 || s.count("/business") != 0 {
			t.Fatalf("err = %v, paths %q; want nothing fetched", res.Err, s.paths())
		}
	})
	t.Run("robots.txt 500 remembered for five minutes", func(t *testing.T) {
		clock := &fakeClock{t: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
		s := newSite(t)
		s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
		f := New(Options{RespectRobots: true, Now: clock.Now})
		src := Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"}
		_ = f.Fetch(t.Context(), src)
		clock.Advance(5*time.Minute - time.Second)
		if res := f.Fetch(t.Context(), src); res.Err == nil || s.count("/robots.txt") != 1 {
			t.Fatalf("err = %v, robots.txt requested %d times within five minutes, want once", res.Err, s.count("/robots.txt"))
		}
		clock.Advance(time.Second)
		_ = f.Fetch(t.Context(), src)
		if n := s.count("/robots.txt"); n != 2 {
			t.Errorf("robots.txt requested %d times after five minutes, want 2", n)
		}
	})
	t.Run("robots.txt 429", func(t *testing.T) {
		// A 429 is not a 4xx that allows everything: nothing is fetched.
		// Its Retry-After is past the bound, so it is not waited out.
		s := newSite(t)
		s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		res := newTestFetcher(t, Options{RespectRobots: true}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
		var he *HTTPError
		if !errors.As(res.Err, &he) || he.Status != http.StatusTooManyRequests || s.count("/business") != 0 {
			t.Fatalf("err = %v, paths %q; want nothing fetched", res.Err, s.paths())
		}
	})
	t.Run("one robots.txt per host for all sources", func(t *testing.T) {
		s := newSite(t)
		f := newTestFetcher(t, Options{RespectRobots: true, Concurrency: 4})
		srcs := make([]Source, 4)
		for i := range srcs {
			srcs[i] = Source{Name: fmt.Sprint(i), Page: s.URL + "/business", Links: "article h3 a", MaxArticles: 1}
		}
		f.FetchAll(t.Context(), srcs, func(Result) {})
		if n := s.count("/robots.txt"); n != 1 {
			t.Errorf("robots.txt requested %d times", n)
		}
	})
}

// TestPageCrawlDelay: a robots.txt Crawl-delay for our agent (or for all),
// at most maxCrawlDelay, spaces the requests to its host when it is longer
// than per_host_delay; one for another agent does not.
func TestPageCrawlDelay(t *testing.T) {
	for _, tt := range []struct {
		name, robots string
		want         time.Duration // the host's spacing after robots.txt
		fetch        bool          // fetch a listing with 3 articles and look at their spacing
	}{
		{"for our agent", "User-agent: newswatch\nCrawl-delay: 1\nDisallow: /private/\n", time.Second, true},
		{"for all agents", "User-agent: *\nCrawl-delay: 1.5\n", 1500 * time.Millisecond, true},
		{"for another agent", "User-agent: otherbot\nCrawl-delay: 1\n\nUser-agent: *\nDisallow: /private/\n", 0, false},
		{"bounded", "User-agent: *\nCrawl-delay: 3600\n", maxCrawlDelay, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t)
			s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.robots) })
			f := newTestFetcher(t, Options{UserAgent: testUA, RespectRobots: true, Concurrency: 4})
			u, _ := url.Parse(s.URL + "/business")
			if err := f.checkRobots(t.Context(), u, f.access(t.Context(), u)); err != nil {
				t.Fatal(err)
			}
			f.hosts.mu.Lock()
			got := f.hosts.crawl[u.Hostname()]
			f.hosts.mu.Unlock()
			if got != tt.want {
				t.Errorf("spacing for %s after robots.txt: %v, want %v", u.Hostname(), got, tt.want)
			}
			if !tt.fetch {
				return
			}
			start := time.Now()
			res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", MaxArticles: 3})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			var times []time.Time // the listing's and its articles'
			for _, r := range s.log() {
				if r.Path != "/robots.txt" {
					times = append(times, r.At)
				}
			}
			if len(times) != 4 {
				t.Fatalf("%d listing and article requests, want 4: %q", len(times), s.paths())
			}
			spacedFrom(t, u.Hostname(), start, times, tt.want)
		})
	}
}

// TestPageRetryAfter: 429 and 503 are waited out (Retry-After, else a short
// backoff) and retried; a Retry-After beyond the bound fails the article.
func TestPageRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		failures   int
		wantGaps   []time.Duration // minimum between each refusal and its retry
		wantOK     bool
	}{
		{"429 Retry-After 1", 429, "1", 1, []time.Duration{time.Second}, true},
		{"503 without Retry-After", 503, "", 1, []time.Duration{retryWait}, true},
		{"503 twice without Retry-After: the wait doubles", 503, "", 2, []time.Duration{retryWait, 2 * retryWait}, true},
		{"429 twice", 429, "1", 2, []time.Duration{time.Second, time.Second}, true},
		{"429 Retry-After 1h", 429, "3600", 1, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t)
			var calls atomic.Int32
			s.handle("/news/port-volumes", func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= int32(tt.failures) {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(tt.status)
					return
				}
				b, _ := os.ReadFile("testdata/site/port-volumes.html")
				_, _ = w.Write(b)
			})
			f := newTestFetcher(t, Options{})
			res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", MaxArticles: 1})
			var times []time.Time
			for _, r := range s.log() {
				if r.Path == "/news/port-volumes" {
					times = append(times, r.At)
				}
			}
			if !tt.wantOK {
				var he *HTTPError
				if !errors.As(res.Err, &he) || he.Status != tt.status || len(times) != 1 {
					t.Fatalf("err = %v after %d requests; want the HTTP %d at once", res.Err, len(times), tt.status)
				}
				return
			}
			if res.Err != nil || len(res.Items) != 1 || !strings.Contains(res.Items[0].Body, "Container throughput") {
				t.Fatalf("err=%v items=%d", res.Err, len(res.Items))
			}
			if len(times) != tt.failures+1 {
				t.Fatalf("%d requests, want %d", len(times), tt.failures+1)
			}
			for i := 1; i < len(times); i++ {
				if gap, want := times[i].Sub(times[i-1]), tt.wantGaps[i-1]; gap < want-50*time.Millisecond {
					t.Errorf("retry %d came %v after the refusal, want >= %v", i, gap, want)
				}
			}
		})
	}
}

// TestPageRedirects: a loopback source may redirect to its own loopback
// paths; a public-looking source may not reach private addresses, neither by
// an article link nor by a redirect.
func TestPageRedirects(t *testing.T) {
	t.Run("loopback source, loopback redirect", func(t *testing.T) {
		s := newSite(t)
		s.handle("/business", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html><body><article><h3><a href="/old/port">Port</a></h3></article></body></html>`)
		})
		s.handle("/old/port", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/news/port-volumes", http.StatusMovedPermanently)
		})
		res := newTestFetcher(t, Options{}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
		if res.Err != nil || len(res.Items) != 1 {
			t.Fatalf("err=%v items=%d", res.Err, len(res.Items))
		}
		it := res.Items[0]
		if it.Link != s.URL+"/old/port" || !strings.Contains(it.Body, "Container throughput") {
			t.Errorf("link %q (want the listing's), body %.60q", it.Link, it.Body)
		}
	})

	t.Run("listing redirected", func(t *testing.T) {
		// Relative links resolve against the page the redirect led to,
		// or its <base>.
		s := newSite(t)
		s.handle("/section/old", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/business", http.StatusMovedPermanently)
		})
		s.handle("/based", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html><head><base href="/news/"></head><body><article><h3><a href="cloud-prices">C</a></h3></article></body></html>`)
		})
		f := newTestFetcher(t, Options{})
		res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/section/old", Links: "article h3 a", MaxArticles: 1})
		if res.Err != nil || len(res.Links) != 5 || res.Links[2] != s.URL+"/news/cloud-prices" {
			t.Errorf("err=%v links=%q", res.Err, res.Links)
		}
		res = f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/based", Links: "article h3 a"})
		if res.Err != nil || len(res.Items) != 1 || res.Items[0].Link != s.URL+"/news/cloud-prices" {
			t.Errorf("err=%v links=%q", res.Err, res.Links)
		}
	})

	t.Run("public source", func(t *testing.T) {
		var privateHits atomic.Int32
		private := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
			privateHits.Add(1)
			fmt.Fprint(w, `<html><body><article><p>internal</p></article></body></html>`)
		})
		f := newTestFetcher(t, Options{RespectRobots: true})
		f.lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
			if host == "intranet.test" {
				return []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil
			}
			return nil, fmt.Errorf("no such host %q", host)
		}
		pub := publicSource(t, f, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/business":
				fmt.Fprint(w, `<html><body>
					<article><h3><a href="http://10.0.0.1/secret">Literal private address</a></h3></article>
					<article><h3><a href="http://intranet.test/wiki">Name of a private address</a></h3></article>
					<article><h3><a href="/hop">Redirect to loopback</a></h3></article>
					<article><h3><a href="/news/ok">Fine</a></h3></article></body></html>`)
			case "/hop":
				http.Redirect(w, r, private.URL+"/secret", http.StatusFound)
			case "/news/ok":
				b, _ := os.ReadFile("testdata/site/port-volumes.html")
				_, _ = w.Write(b)
			default:
				http.NotFound(w, r)
			}
		})
		res := f.Fetch(t.Context(), Source{Name: "Public", Page: pub.URL + "/business", Links: "article h3 a"})
		if len(res.Items) != 1 || !strings.HasSuffix(res.Items[0].Link, "/news/ok") {
			t.Fatalf("items %+v, want only /news/ok", res.Items)
		}
		var partial *PartialError
		if res.Err != nil || !errors.As(res.Warning, &partial) || len(partial.Failed) != 3 {
			t.Fatalf("err = %v, warning = %v; want 3 refused articles", res.Err, res.Warning)
		}
		for _, a := range partial.Failed {
			if !errors.Is(a, ErrBlockedAddress) {
				t.Errorf("%s: %v, want ErrBlockedAddress", a.URL, a.Err)
			}
		}
		if privateHits.Load() != 0 {
			t.Errorf("the private server was reached %d times", privateHits.Load())
		}
	})
}

// TestPagePerHostDelay: requests to one host are spaced by per_host_delay,
// across sources, and two hosts are served in parallel. Times are taken on
// the server, and judged so that latency cannot fail the test
// (spacedFrom).
func TestPagePerHostDelay(t *testing.T) {
	const delay = 400 * time.Millisecond
	s := newSite(t)
	f := newTestFetcher(t, Options{PerHostDelay: delay, Concurrency: 4})
	addr := netip.MustParseAddrPort(s.Listener.Addr().String())
	f.lookup = func(context.Context, string) ([]netip.Addr, error) { return []netip.Addr{addr.Addr()}, nil }
	port := fmt.Sprint(addr.Port())
	srcs := []Source{
		{Name: "a1", Page: "http://a.test:" + port + "/business", Links: "article h3 a", MaxArticles: 2},
		{Name: "b", Page: "http://b.test:" + port + "/business", Links: "article h3 a", MaxArticles: 3},
		{Name: "a2", Page: "http://a.test:" + port + "/business", Links: "article h3 a", MaxArticles: 1},
	}
	var mu sync.Mutex
	start := time.Now()
	f.FetchAll(t.Context(), srcs, func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil {
			t.Errorf("%s: %v", r.Source, r.Err)
		}
	})
	byHost := map[string][]time.Time{}
	for _, r := range s.log() {
		h := strings.Split(r.Host, ":")[0]
		byHost[h] = append(byHost[h], r.At)
	}
	if len(byHost["a.test"]) != 5 || len(byHost["b.test"]) != 4 {
		t.Fatalf("requests per host: a.test %d, b.test %d; want 5 and 4", len(byHost["a.test"]), len(byHost["b.test"]))
	}
	for h, times := range byHost {
		spacedFrom(t, h, start, times, delay)
	}
	a := slices.SortedFunc(slices.Values(byHost["a.test"]), time.Time.Compare)
	b := slices.SortedFunc(slices.Values(byHost["b.test"]), time.Time.Compare)
	if !a[0].Before(b[len(b)-1]) || !b[0].Before(a[len(a)-1]) {
		t.Errorf("hosts served one after the other, not in parallel: a %v..%v, b %v..%v",
			a[0].Format("05.000"), a[len(a)-1].Format("05.000"), b[0].Format("05.000"), b[len(b)-1].Format("05.000"))
	}
}

// TestFullTextFeed: a full_text feed's new items get the article text in
// Body; known items and items without link are not fetched; an article that
// fails leaves its item with the feed text and is reported.
func TestFullTextFeed(t *testing.T) {
	s := newSite(t)
	s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, testutil.RSS(`
			<item><title>Logistics firm faces probe</title><link>/news/cainiao-probe</link><description>A Belgian investigation into an airport hub.</description></item>
			<item><title>Port volumes</title><link>/news/port-volumes</link><description>Known already.</description></item>
			<item><title>Gone</title><link>/news/gone</link><description>Deleted article.</description></item>
			<item><title>No link</title><guid isPermaLink="false">x1</guid><description>Text only.</description></item>`))
	})
	var asked []string
	f := newTestFetcher(t, Options{Known: func(_ context.Context, keys []string) (map[string]bool, error) {
		asked = keys
		k, _ := NormalizeURL(s.URL + "/news/port-volumes")
		return map[string]bool{k: true}, nil
	}})
	res := f.Fetch(t.Context(), Source{Name: "Feed", Feed: s.URL + "/feed", FullText: true})
	if len(res.Items) != 4 {
		t.Fatalf("%d items, want 4 (err %v)", len(res.Items), res.Err)
	}
	if len(asked) != 3 {
		t.Errorf("Known asked for %q, want the 3 items with links", asked)
	}
	probe := itemByPath(t, res.Items, "cainiao-probe")
	if strings.Contains(probe.Summary, "Cainiao") || !strings.Contains(probe.Body, "Cainiao") || !strings.Contains(probe.Body, "espionage") {
		t.Errorf("summary %q, body %.80q: want the company in the body only", probe.Summary, probe.Body)
	}
	if !probe.Published.Equal(time.Date(2026, 1, 9, 14, 5, 0, 0, time.UTC)) {
		t.Errorf("published %v: an undated feed item takes the article's date", probe.Published)
	}
	if it := itemByPath(t, res.Items, "port-volumes"); it.Body != "" || s.count("/news/port-volumes") != 0 {
		t.Errorf("known item fetched")
	}
	if gone := itemByPath(t, res.Items, "gone"); gone.Body != "" || gone.Summary == "" {
		t.Errorf("failed article: %+v", gone)
	}
	var partial *PartialError
	if res.Err != nil || !errors.As(res.Warning, &partial) || partial.Attempted != 2 || len(partial.Failed) != 1 {
		t.Fatalf("err = %v, warning = %v; want 1 of 2 full texts failed", res.Err, res.Warning)
	}
	if want := `source "Feed": ` + s.URL + `/feed: 1 of 2 full texts yielded nothing: ` + s.URL + `/news/gone: HTTP 404 Not Found`; res.Warning.Error() != want {
		t.Errorf("warning\n got %q\nwant %q", res.Warning, want)
	}

	t.Run("off", func(t *testing.T) {
		before := len(s.paths())
		res := f.Fetch(t.Context(), Source{Name: "Feed", Feed: s.URL + "/feed"})
		if res.Err != nil || len(s.paths()) != before+1 {
			t.Errorf("err=%v, %d requests; want the feed only", res.Err, len(s.paths())-before)
		}
	})
}

// TestHTMLParserBoundsDepth: the HTML parser refuses nesting deeper than
// 512 elements, also through the constructs that build a tree other than
// by plain nesting (formatting elements reopened, foster parenting, the
// adoption agency, select, foreign content): no tree it returns is deeper,
// so pages need no depth guard of their own.
func TestHTMLParserBoundsDepth(t *testing.T) {
	var depth func(n *html.Node) int
	depth = func(n *html.Node) int {
		d := 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			d = max(d, depth(c))
		}
		return d + 1
	}
	for _, pattern := range []string{
		"<div>", "<DIV>", `<div title="a>b">`, "<span>", "<q>", "<a><div>", "<b><div>", "<i><b><div>",
		"<font><div>", "<nobr><div>", "<a><div><a>", "<b><div></b>", "<p><b><div></p>", "<b><i><div></b>",
		"<b><div><p></b>", "<a><b><div></a>", "<b><i><u><div></b>", "<b><p>", "<em><p>", "<a><p>",
		"<b><table>", "<table><b>", "<a><table><a>", "<table><tr><td><b>", "<select><div>", "<button><div>",
		"<b><button>", "<ul><li><ul>", "<dl><dd><dl>", "<svg>", "<math><mi>", "<b><div></b></div>", "<font><p></font>",
	} {
		for _, n := range []int{600, 20_000} {
			page := "<!doctype html><body>" + strings.Repeat(pattern, n)
			doc, err := html.Parse(strings.NewReader(page))
			if err != nil {
				continue // refused
			}
			if d := depth(doc); d > 520 {
				t.Errorf("%d × %q: parsed into a tree %d deep", n, pattern, d)
			}
		}
	}
}

// TestDeepPagesRefused: an article page or a page source's listing nested
// 100,000 deep ends in ErrMalformed, quickly and without a panic.
func TestDeepPagesRefused(t *testing.T) {
	deep := "<!doctype html><body>" + strings.Repeat("<div>", 100_000) + `<a href="/news/a">A</a>`
	if _, err := extractPage([]byte(deep), mustURL(t, "https://x.example/"), nil, ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("article page: err = %v, want ErrMalformed", err)
	}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, deep)
	})
	f := newTestFetcher(t, Options{})
	res := f.Fetch(t.Context(), Source{Name: "Deep", Page: srv.URL + "/", Links: "a"})
	if !errors.Is(res.Err, ErrMalformed) {
		t.Errorf("page source: err = %v, want ErrMalformed", res.Err)
	}
}

func TestTextOf(t *testing.T) {
	tests := map[string]string{
		`<p>One <b>bold</b>word.</p><p>Two</p>`: "One boldword.\n\nTwo",
		`<ul><li>a</li><li>b</li></ul>tail`:     "a\nb\n\ntail",
		`x<br>y`:                                "x\ny",
		`<p>keep</p><script>var alibaba = 1</script><style>p{}</style>`:  "keep",
		`<div hidden>secret</div><span aria-hidden="true">icon</span>ok`: "ok",
		"<p>  spaced \n\t words&nbsp;here </p>":                          "spaced words here",
		`<nav>menu</nav><p>text</p>`:                                     "text",
	}
	for in, want := range tests {
		a, err := extractPage([]byte("<html><body><main>"+in+"</main></body></html>"), mustURL(t, "https://x.example/"), mustSelector(t, "main"), "main")
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if a.Body != want {
			t.Errorf("%q:\n got %q\nwant %q", in, a.Body, want)
		}
	}
}

// TestPageCharset: an article page is read in the charset its
// Content-Type names, else the one the page declares, else UTF-8 when its
// bytes are, else windows-1252.
func TestPageCharset(t *testing.T) {
	cp1251 := func(s string) []byte {
		b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	latin1 := func(s string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	page := func(head, text string) string {
		return "<html><head>" + head + "</head><body><main><p>" + text + "</p></main></body></html>"
	}
	tests := []struct {
		name, contentType string // "-": no Content-Type at all
		body              []byte
		want              string
	}{
		{"charset in content-type", "text/html; charset=windows-1251", cp1251(page("", "Шпионаж в порту")), "Шпионаж в порту"},
		{"meta charset", "text/html", cp1251(page(`<meta charset="windows-1251">`, "Шпионаж в порту")), "Шпионаж в порту"},
		{"meta http-equiv", "text/html", cp1251(page(`<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">`, "Шпионаж")), "Шпионаж"},
		{"no content-type, meta charset", "-", cp1251(page(`<meta charset="windows-1251">`, "Шпионаж")), "Шпионаж"},
		{"octet-stream, meta charset", "application/octet-stream", cp1251(page(`<meta charset="windows-1251">`, "Шпионаж")), "Шпионаж"},
		{"no content-type, utf-8 bytes", "-", []byte(page("", "Café à Liège")), "Café à Liège"},
		{"no content-type, latin-1 bytes", "-", latin1(page("", "Café à Liège")), "Café à Liège"},
		{"no label, utf-8 bytes", "text/html", []byte(page("", "Café à Liège")), "Café à Liège"},
		{"no label, latin-1 bytes", "text/html", latin1(page("", "Café à Liège")), "Café à Liège"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t)
			s.handle("/business", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `<html><body><article><h3><a href="/news/page">P</a></h3></article></body></html>`)
			})
			s.handle("/news/page", func(w http.ResponseWriter, r *http.Request) {
				if tt.contentType == "-" {
					w.Header()["Content-Type"] = nil // no sniffing by net/http
				} else {
					w.Header().Set("Content-Type", tt.contentType)
				}
				_, _ = w.Write(tt.body)
			})
			res := newTestFetcher(t, Options{}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", Body: "main"})
			mustOK(t, res)
			if got := itemByPath(t, res.Items, "/news/page").Body; got != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPageDate: where an article's date is read from, in order.
func TestPageDate(t *testing.T) {
	tests := []struct {
		name, head, page, want string
	}{
		{"meta", `<meta property="article:published_time" content="2025-03-04T05:06:07Z">`,
			`<main><time datetime="2024-01-01">x</time>text</main>`, "2025-03-04T05:06:07Z"},
		{"json-ld article before other objects", `<script type="application/ld+json">[{"@type":"WebPage","datePublished":"2020-01-01"},{"@type":"NewsArticle","datePublished":"2025-03-04T05:06:07+01:00"}]</script>`,
			`<main>text</main>`, "2025-03-04T04:06:07Z"},
		{"time in the body first", "",
			`<header><time datetime="2020-01-01">x</time></header><main>text <time datetime="2025-03-04">y</time></main>`, "2025-03-04T00:00:00Z"},
		{"time outside aside, nav and footer", "",
			`<aside><time datetime="2019-01-01">a</time></aside><nav><time datetime="2019-01-02">n</time></nav><div><time datetime="2025-03-04T10:00:00Z">d</time></div><main>text</main>`, "2025-03-04T10:00:00Z"},
		{"json-ld over 1 MB not read", `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2020-01-01","x":"` + strings.Repeat("x", maxJSONLD) + `"}</script>`,
			`<main>text <time datetime="2025-03-04">y</time></main>`, "2025-03-04T00:00:00Z"},
		{"only in a footer", "",
			`<main>text</main><footer><time datetime="2019-01-01">f</time></footer>`, "0001-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head>" + tt.head + "</head><body>" + tt.page + "</body></html>"
			a, err := extractPage([]byte(page), mustURL(t, "https://x.example/"), mustSelector(t, "main"), "main")
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Published.UTC().Format(time.RFC3339); got != tt.want {
				t.Errorf("Published = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPageDatesClamped: an article's date follows the rules of feed dates:
// after the fetch it is the fetch time, before 1990 it is none.
func TestPageDatesClamped(t *testing.T) {
	s := newSite(t)
	s.handle("/business", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><article><h3><a href="/news/future">F</a></h3><h3><a href="/news/ancient">A</a></h3></article></body></html>`)
	})
	article := func(date string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<html><head><meta property="article:published_time" content="%s"></head><body><main><p>Text of the article.</p></main></body></html>`, date)
		}
	}
	s.handle("/news/future", article("2099-01-01T00:00:00Z"))
	s.handle("/news/ancient", article("1970-01-01T00:00:00Z"))
	res := newTestFetcher(t, Options{}).Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a", Body: "main"})
	mustOK(t, res)
	if got := itemByPath(t, res.Items, "/news/future").Published; !got.Equal(fixedNow) {
		t.Errorf("future date: Published = %v, want the fetch time %v", got, fixedNow)
	}
	if got := itemByPath(t, res.Items, "/news/ancient").Published; !got.IsZero() {
		t.Errorf("1970 date: Published = %v, want none", got)
	}
}

// TestCapText: an article text over the bound is cut at a paragraph, else
// a word, else a rune boundary, in the second half of the bound, and marked.
func TestCapText(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short enough", "one two", 7, "one two"},
		{"at a paragraph", "aaaaaa bbbb\n\ncccc dddd eeee", 20, "aaaaaa bbbb …"},
		{"at a word", "aaaa bbbb cccc dddd", 12, "aaaa bbbb …"},
		{"paragraph too early: at a word", "aa\n\nbbbb cccc dddd eeee", 17, "aa\n\nbbbb cccc …"},
		{"inside a rune", "ééééé", 5, "éé …"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capText(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("capText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("capText(%q, %d) is not valid UTF-8", tt.in, tt.n)
			}
		})
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustSelector(t testing.TB, s string) cascadia.Selector {
	t.Helper()
	sel, err := cascadia.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// TestPartialOutcome: when lost articles fail the source, and when they are
// only a warning.
func TestPartialOutcome(t *testing.T) {
	failed := &ArticleError{URL: "https://x.example/a", Err: &HTTPError{Status: 404}}
	disallowed := &ArticleError{URL: "https://x.example/b", Err: fmt.Errorf("%w (user agent %q)", ErrRobotsDisallowed, "newswatch")}
	tests := []struct {
		name      string
		attempted int
		failed    []*ArticleError
		got       int // items returned anyway (known articles, feed items)
		wantErr   bool
		wantWarn  bool
	}{
		{"nothing lost", 3, nil, 3, false, false},
		{"one of five failed", 5, []*ArticleError{failed}, 4, false, true},
		{"every article failed", 2, []*ArticleError{failed, failed}, 0, true, false},
		{"every new article failed, known ones listed", 2, []*ArticleError{failed, failed}, 3, true, false},
		{"robots.txt disallows every link", 2, []*ArticleError{disallowed, disallowed}, 0, true, false},
		{"robots.txt disallows the only new link", 1, []*ArticleError{disallowed}, 4, false, true},
		{"disallowed and failed, nothing came", 2, []*ArticleError{disallowed, failed}, 4, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &PartialError{What: "articles", Attempted: tt.attempted, Failed: tt.failed}
			warn, err := p.outcome(tt.got)
			if (err != nil) != tt.wantErr || (warn != nil) != tt.wantWarn {
				t.Errorf("warning = %v, err = %v", warn, err)
			}
		})
	}
}

// TestFullTextEveryPageFails: the source fails, and its items still come.
func TestFullTextEveryPageFails(t *testing.T) {
	s := newSite(t)
	s.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, testutil.RSS(`<item><title>Gone</title><link>/news/gone</link><description>Summary.</description></item>`))
	})
	res := newTestFetcher(t, Options{}).Fetch(t.Context(), Source{Name: "Feed", Feed: s.URL + "/feed", FullText: true})
	var he *HTTPError
	if !errors.As(res.Err, &he) || len(res.Items) != 1 || res.Items[0].Summary != "Summary." {
		t.Fatalf("err = %v, items %+v", res.Err, res.Items)
	}
}

// TestPageClientLimits: article requests keep the limits of the shared
// client: body limit after decompression, timeout, 10 redirects, http(s)
// only. Each failure is reported and never stops the other articles.
func TestPageClientLimits(t *testing.T) {
	const limit = 1 << 20
	bomb := testutil.GzipBomb(t, 64<<20)
	s := newSite(t)
	s.handle("/business", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body>`)
		for _, p := range []string{"/bomb", "/big", "/slow", "/hop/10", "/hop/11", "/loop", "/ftp", "/pdf", "/news/port-volumes"} {
			fmt.Fprintf(w, `<article><h3><a href="%s">%s</a></h3></article>`, p, p)
		}
		fmt.Fprint(w, `</body></html>`)
	})
	s.handle("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(bomb)
	})
	s.handle("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html><body><p>" + strings.Repeat("word ", limit/4) + "</p></body></html>"))
	})
	s.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	for n := 1; n <= 11; n++ {
		s.handle(fmt.Sprintf("/hop/%d", n), func(w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				http.Redirect(w, r, "/news/retail-sales", http.StatusFound)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		})
	}
	s.handle("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusMovedPermanently)
	})
	s.handle("/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://files.example/a", http.StatusFound)
	})
	s.handle("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.4"))
	})

	f := newTestFetcher(t, Options{MaxBody: limit, Timeout: 2 * time.Second})
	res := f.Fetch(t.Context(), Source{Name: "Example", Page: s.URL + "/business", Links: "article h3 a"})
	if res.Err != nil {
		t.Fatalf("err = %v", res.Err)
	}
	if len(res.Items) != 2 {
		t.Errorf("%d items, want /hop/10 and /news/port-volumes", len(res.Items))
	}
	var partial *PartialError
	if !errors.As(res.Warning, &partial) {
		t.Fatalf("warning = %v", res.Warning)
	}
	want := map[string]error{
		"/bomb": ErrTooLarge, "/big": ErrTooLarge, "/slow": context.DeadlineExceeded,
		"/hop/11": ErrTooManyRedirects, "/loop": ErrTooManyRedirects, "/ftp": ErrScheme, "/pdf": ErrNotHTML,
	}
	for _, a := range partial.Failed {
		path := strings.TrimPrefix(a.URL, s.URL)
		if !errors.Is(a, want[path]) {
			t.Errorf("%s: %v, want %v", path, a.Err, want[path])
		}
		delete(want, path)
	}
	if len(want) != 0 {
		t.Errorf("not reported: %v", want)
	}
	if n := s.count("/loop"); n > 11 {
		t.Errorf("/loop requested %d times", n)
	}
}

// TestPageSourceWithCredentials: a listing page whose URL carries a user
// name and password: its articles are fetched with them (the links are
// resolved against it), and the items' links, shown to every reader, have
// none.
func TestPageSourceWithCredentials(t *testing.T) {
	s := newSite(t)
	f := newTestFetcher(t, Options{UserAgent: testUA})
	page := "http://user:hunter2@" + strings.TrimPrefix(s.URL, "http://") + "/business"
	res := f.Fetch(t.Context(), Source{Name: "Example", Page: page, Links: "article h3 a"})
	if res.Err != nil || len(res.Items) == 0 {
		t.Fatalf("fetch: %v, %d items", res.Err, len(res.Items))
	}
	for _, it := range res.Items {
		if strings.Contains(it.Link, "hunter2") {
			t.Errorf("item link %q carries the page's password", it.Link)
		}
	}
	if n := s.count("/news/port-volumes"); n != 1 {
		t.Errorf("article fetched %d times, want once, with the page's credentials", n)
	}
}
