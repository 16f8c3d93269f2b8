package scraper

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"newswatch/internal/testutil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts accepted connections and bytes both ways.
type countingListener struct {
	net.Listener
	conns, read, written atomic.Int64
	// idle gets a value each time the server has written a response
	// completely (the connection turns idle), so its bytes are counted.
	idle chan struct{}
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.conns.Add(1)
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.l.written.Add(int64(n))
	return n, err
}

func serveCounting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *countingListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	cl := &countingListener{Listener: srv.Listener, idle: make(chan struct{}, 64)}
	srv.Listener = cl
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateIdle {
			select {
			case cl.idle <- struct{}{}:
			default:
			}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, cl
}

func TestKeepAliveReusesConnections(t *testing.T) {
	body := fixture(t, "rss2.xml")
	srv, cl := serveCounting(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gzipBytes(t, body))
	})
	f := newTestFetcher(t, Options{Concurrency: 2})
	srcs := make([]Source, 40)
	for i := range srcs {
		srcs[i] = Source{Name: "s", Feed: srv.URL + "/feed"}
	}
	f.FetchAll(t.Context(), srcs, func(r Result) { mustOK(t, r) })
	if n := cl.conns.Load(); n > 2 {
		t.Errorf("%d connections for 40 fetches at concurrency 2", n)
	}
}

// settled returns the listener's byte counts once the server has written
// its response to the one request in flight: the server counts a write
// when its syscall returns, which can be after the client has read the
// bytes.
func settled(t *testing.T, cl *countingListener) (read, written int64) {
	t.Helper()
	select {
	case <-cl.idle:
	case <-time.After(30 * time.Second):
		t.Fatal("the response was not written completely in 30 s")
	}
	return cl.read.Load(), cl.written.Load()
}

// TestNotModifiedWireBytes: an unchanged feed costs at most 400 bytes on the
// wire, request and response together.
func TestNotModifiedWireBytes(t *testing.T) {
	const etag, lastMod = `"5f3c-1b2a9d"`, "Mon, 05 Jan 2026 07:30:00 GMT"
	srv, cl := serveCounting(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
	})
	f := newTestFetcher(t, Options{UserAgent: "newswatch/0.1 (+https://example.org/newswatch)"})
	// Warm the connection, then count one conditional GET.
	mustOK(t, f.Fetch(t.Context(), Source{Name: "s", Feed: srv.URL + "/feeds/0042.xml", ETag: etag, LastModified: lastMod}))
	r0, w0 := settled(t, cl)
	res := f.Fetch(t.Context(), Source{Name: "s", Feed: srv.URL + "/feeds/0042.xml", ETag: etag, LastModified: lastMod})
	mustOK(t, res)
	if !res.NotModified {
		t.Fatal("not a 304")
	}
	r1, w1 := settled(t, cl)
	if n := r1 - r0 + w1 - w0; n > 400 {
		t.Errorf("%d bytes on the wire for an unchanged feed, want <= 400", n)
	}
}

func TestHTTP2WhereOffered(t *testing.T) {
	var proto atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(int32(r.ProtoMajor))
		_, _ = w.Write(fixture(t, "rss2.xml"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f := newTestFetcher(t, Options{})
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	f.transports.public.TLSClientConfig = &tls.Config{RootCAs: roots}
	f.pool(f.access(t.Context(), mustParse(t, srv.URL))).TLSClientConfig = &tls.Config{RootCAs: roots}
	mustOK(t, fetchURL(t, f, srv.URL+"/feed"))
	if proto.Load() != 2 {
		t.Errorf("served over HTTP/%d, want HTTP/2", proto.Load())
	}
}

// TestPerHostDelay: requests of several sources to one host leave
// per_host_delay apart (judged by spacedFrom, which latency cannot fail).
func TestPerHostDelay(t *testing.T) {
	const delay = 400 * time.Millisecond
	var mu sync.Mutex
	var times []time.Time
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		_, _ = w.Write(fixture(t, "rss2.xml"))
	})
	f := newTestFetcher(t, Options{Concurrency: 3, PerHostDelay: delay})
	srcs := []Source{{Name: "a", Feed: srv.URL + "/a"}, {Name: "b", Feed: srv.URL + "/b"}, {Name: "c", Feed: srv.URL + "/c"}}
	start := time.Now()
	f.FetchAll(t.Context(), srcs, func(r Result) { mustOK(t, r) })
	if len(times) != 3 {
		t.Fatalf("%d requests", len(times))
	}
	spacedFrom(t, "127.0.0.1", start, times, delay)
}

// spacedFrom fails the test unless the requests that reached a host at
// arrivals left at least delay apart, the first at or after start: the
// k-th arrival (in time order) is then at least start + k×delay. Arrival
// times bound departures from above, so this holds exactly whatever the
// requests' latency (connection set-up, a loaded machine), where gaps
// between arrivals would need a margin.
func spacedFrom(t *testing.T, host string, start time.Time, arrivals []time.Time, delay time.Duration) {
	t.Helper()
	sorted := slices.SortedFunc(slices.Values(arrivals), time.Time.Compare)
	for k, at := range sorted {
		if earliest := start.Add(time.Duration(k) * delay); at.Before(earliest) {
			t.Errorf("%s: request %d arrived %v after the start, want >= %v (%d × %v)", host, k, at.Sub(start), earliest.Sub(start), k, delay)
		}
	}
}

// TestHostGateCrawlDelay: a Crawl-delay is kept per host (without port,
// case-insensitive) and a later robots.txt without one removes it.
func TestHostGateCrawlDelay(t *testing.T) {
	g := &hostGate{next: map[string]time.Time{}}
	g.slow("News.Example", 2*time.Second)
	g.slow("other.example", 0)
	if d := g.crawl["news.example"]; d != 2*time.Second || len(g.crawl) != 1 {
		t.Fatalf("crawl = %v, want news.example: 2s only", g.crawl)
	}
	g.slow("news.example", 0)
	if len(g.crawl) != 0 {
		t.Errorf("crawl = %v after a robots.txt without Crawl-delay, want empty", g.crawl)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestFeedRequestPrefersFeeds: a feed request's Accept ranks RSS and Atom
// above every other type, and still accepts any type (a server that
// negotiates strictly would otherwise answer 406 to a feed served as
// text/xml).
func TestFeedRequestPrefersFeeds(t *testing.T) {
	var accept atomic.Value
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		accept.Store(r.Header.Get("Accept"))
		_, _ = w.Write(fixture(t, "rss2.xml"))
	})
	mustOK(t, fetchURL(t, newTestFetcher(t, Options{}), srv.URL+"/feed"))
	q := map[string]float64{}
	for part := range strings.SplitSeq(accept.Load().(string), ",") {
		typ, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q[typ] = 1
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("Accept %q: bad q in %q", accept.Load(), part)
			}
			q[typ] = f
		}
	}
	rss, atom, other := q["application/rss+xml"], q["application/atom+xml"], q["*/*"]
	if other <= 0 || rss <= other || atom <= other {
		t.Errorf("Accept %q: want RSS and Atom above */*, and */* accepted", accept.Load())
	}
	for typ, v := range q {
		if typ != "application/rss+xml" && typ != "application/atom+xml" && v >= min(rss, atom) {
			t.Errorf("Accept %q: %s ranks with the feed types", accept.Load(), typ)
		}
	}
}
