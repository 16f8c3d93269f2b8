package scraper

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"newswatch/internal/testutil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHTTPStatusErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		retryAfter time.Duration
	}{
		{"500", http.StatusInternalServerError, nil, 0},
		{"404", http.StatusNotFound, nil, 0},
		{"403", http.StatusForbidden, nil, 0},
		{"429 retry-after seconds", http.StatusTooManyRequests, map[string]string{"Retry-After": "120"}, 2 * time.Minute},
		{"503 retry-after date", http.StatusServiceUnavailable, map[string]string{"Retry-After": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
			})
			res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL+"/feed")
			var he *HTTPError
			if !errors.As(res.Err, &he) {
				t.Fatalf("err = %v, want *HTTPError", res.Err)
			}
			if he.Status != tt.status {
				t.Errorf("status = %d, want %d", he.Status, tt.status)
			}
			if d := he.RetryAfter - tt.retryAfter; d < -2*time.Second || d > 2*time.Second {
				t.Errorf("RetryAfter = %v, want %v", he.RetryAfter, tt.retryAfter)
			}
			for _, s := range []string{`"test"`, srv.URL + "/feed"} {
				if !strings.Contains(res.Err.Error(), s) {
					t.Errorf("error %q does not name %s", res.Err, s)
				}
			}
		})
	}
}

func TestMalformedXML(t *testing.T) {
	srv := testutil.ServeBytes(t, "application/rss+xml", []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>broken</item></channel>`))
	res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
	if !errors.Is(res.Err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", res.Err)
	}
}

// TestFault01Timeout: a server that accepts and then sends nothing, and one
// that trickles, both end at the request timeout.
func TestFault01Timeout(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"silent", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"trickle", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.WriteHeader(200)
			_, _ = w.Write([]byte("<"))
			for {
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
					_, _ = w.Write([]byte(" "))
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testutil.Serve(t, tt.handler)
			f := newTestFetcher(t, Options{Timeout: 300 * time.Millisecond})
			res := fetchURL(t, f, srv.URL)
			if !errors.Is(res.Err, context.DeadlineExceeded) || !strings.Contains(res.Err.Error(), "timed out after 300ms") {
				t.Fatalf("err = %v, want a timeout", res.Err)
			}
		})
	}
}

// TestConditionalGet: the second fetch sends the validators back and a 304
// yields no items. With an ETag only If-None-Match is sent: a server must
// ignore If-Modified-Since next to it (RFC 9110 §13.1.3), so it would only
// cost bytes on every request.
func TestConditionalGet(t *testing.T) {
	const lastMod = "Mon, 05 Jan 2026 07:30:00 GMT"
	for _, tc := range []struct {
		name       string
		etag       string
		wantHeader string // the one conditional header the second request carries
		wantValue  string
	}{
		{"etag and last-modified", `"v1"`, "If-None-Match", `"v1"`},
		{"last-modified only", "", "If-Modified-Since", lastMod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits, notModified atomic.Int32
			body := fixture(t, "rss2.xml")
			srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
				if inm != "" || ims != "" {
					other := map[string]string{"If-None-Match": ims, "If-Modified-Since": inm}[tc.wantHeader]
					if r.Header.Get(tc.wantHeader) == tc.wantValue && other == "" {
						notModified.Add(1)
						w.WriteHeader(http.StatusNotModified)
						return
					}
					t.Errorf("conditional headers: If-None-Match %q, If-Modified-Since %q; want only %s: %s", inm, ims, tc.wantHeader, tc.wantValue)
				}
				if tc.etag != "" {
					w.Header().Set("ETag", tc.etag)
				}
				w.Header().Set("Last-Modified", lastMod)
				_, _ = w.Write(body)
			})
			f := newTestFetcher(t, Options{})
			first := f.Fetch(t.Context(), Source{Name: "cond", Feed: srv.URL})
			mustOK(t, first)
			if first.NotModified || len(first.Items) != 3 || first.ETag != tc.etag || first.LastModified != lastMod {
				t.Fatalf("first fetch: notModified=%v items=%d etag=%q lastmod=%q", first.NotModified, len(first.Items), first.ETag, first.LastModified)
			}
			second := f.Fetch(t.Context(), Source{Name: "cond", Feed: srv.URL, ETag: first.ETag, LastModified: first.LastModified})
			mustOK(t, second)
			if !second.NotModified || len(second.Items) != 0 {
				t.Fatalf("second fetch: notModified=%v items=%d", second.NotModified, len(second.Items))
			}
			if second.ETag != tc.etag || second.LastModified != lastMod {
				t.Errorf("validators on 304 = %q %q, want the source's own", second.ETag, second.LastModified)
			}
			if hits.Load() != 2 || notModified.Load() != 1 {
				t.Errorf("hits=%d notModified=%d", hits.Load(), notModified.Load())
			}
		})
	}
}

// TestGzipAlwaysRequestedAndDecoded: every hop, a redirect's too, asks for
// gzip with our User-Agent, and the gzip body is decoded.
func TestGzipAlwaysRequestedAndDecoded(t *testing.T) {
	body := gzipBytes(t, fixture(t, "rss2.xml"))
	var hops atomic.Int32
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("%s: Accept-Encoding = %q", r.URL.Path, r.Header.Get("Accept-Encoding"))
		}
		if ua := r.Header.Get("User-Agent"); ua != "nw-test/1" {
			t.Errorf("%s: User-Agent = %q", r.URL.Path, ua)
		}
		if r.URL.Path != "/feed" {
			http.Redirect(w, r, "/feed", http.StatusFound)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(body)
	})
	res := fetchURL(t, newTestFetcher(t, Options{UserAgent: "nw-test/1"}), srv.URL+"/moved")
	mustOK(t, res)
	if len(res.Items) != 3 || hops.Load() != 2 {
		t.Fatalf("items = %d, requests = %d", len(res.Items), hops.Load())
	}
}

// TestFault03BodyLimitPlusOne: a body of exactly the limit parses; one byte
// more is an explicit error and nothing is parsed.
func TestFault03BodyLimitPlusOne(t *testing.T) {
	body := fixture(t, "rss2.xml")
	limit := int64(len(body))
	for _, mode := range []string{"content-length", "chunked", "gzip"} {
		for _, extra := range []int{0, 1} {
			name := mode + map[int]string{0: "/at limit", 1: "/limit+1"}[extra]
			t.Run(name, func(t *testing.T) {
				b := append(bytes.Clone(body), bytes.Repeat([]byte("\n"), extra)...)
				srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("ETag", `"new"`)
					switch mode {
					case "gzip":
						w.Header().Set("Content-Encoding", "gzip")
						_, _ = w.Write(gzipBytes(t, b))
					case "chunked": // no Content-Length: the limit is found while reading
						_, _ = w.Write(b[:10])
						w.(http.Flusher).Flush()
						_, _ = w.Write(b[10:])
					default:
						_, _ = w.Write(b)
					}
				})
				f := newTestFetcher(t, Options{MaxBody: limit})
				res := f.Fetch(t.Context(), Source{Name: "limit", Feed: srv.URL, ETag: `"old"`})
				if extra == 0 {
					mustOK(t, res)
					return
				}
				if !errors.Is(res.Err, ErrTooLarge) {
					t.Fatalf("err = %v, want ErrTooLarge", res.Err)
				}
				want := "response too large: over " + strconv.FormatInt(limit, 10) + " bytes"
				if !strings.Contains(res.Err.Error(), want) {
					t.Errorf("err = %q, want it to say %q", res.Err, want)
				}
				if res.Items != nil || res.ETag != `"old"` {
					t.Errorf("state touched on error: items=%v etag=%q", res.Items, res.ETag)
				}
			})
		}
	}
}

// TestFeedRetryAfter: feeds take the request path of pages: a 429 or 503 is
// waited out and retried, and every redirect hop waits for its host's turn.
func TestFeedRetryAfter(t *testing.T) {
	const delay = 300 * time.Millisecond
	var mu sync.Mutex
	var calls []string
	var times []time.Time
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.URL.Path)
		times = append(times, time.Now())
		n := len(calls)
		mu.Unlock()
		switch {
		case n == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/old":
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
		default:
			_, _ = w.Write(fixture(t, "rss2.xml"))
		}
	})
	f := newTestFetcher(t, Options{PerHostDelay: delay})
	res := fetchURL(t, f, srv.URL+"/old")
	mustOK(t, res)
	if want := "/old /old /feed"; strings.Join(calls, " ") != want {
		t.Fatalf("requests %q, want %q", strings.Join(calls, " "), want)
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Errorf("retry %v after the 503, want >= its Retry-After of 1s", gap)
	}
	// The retry may start only after the Retry-After, and the redirect hop
	// a per-host delay after the retry started: both bounds hold whatever
	// the latency of each request.
	if gap := times[2].Sub(times[0]); gap < time.Second+delay {
		t.Errorf("redirect hop %v after the 503, want >= Retry-After 1s + per-host delay %v", gap, delay)
	}
}

// TestFeedAdmit: a feed's body is parsed only once Admit lets it, which is
// called once, and not for a 304; Admit's error fails the fetch unparsed.
func TestFeedAdmit(t *testing.T) {
	body := fixture(t, "rss2.xml")
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(body)
	})
	f := newTestFetcher(t, Options{})
	calls := 0
	admit := func(context.Context) error { calls++; return nil }
	res := f.Fetch(t.Context(), Source{Name: "admitted", Feed: srv.URL, Admit: admit})
	mustOK(t, res)
	if calls != 1 || len(res.Items) != 3 {
		t.Errorf("Admit called %d times, %d items; want once, 3 items", calls, len(res.Items))
	}
	res = f.Fetch(t.Context(), Source{Name: "unchanged", Feed: srv.URL, ETag: `"v1"`, Admit: admit})
	mustOK(t, res)
	if calls != 1 || !res.NotModified {
		t.Errorf("304: Admit called %d times in all, not modified %v; want once in all, true", calls, res.NotModified)
	}
	refused := errors.New("no room")
	res = f.Fetch(t.Context(), Source{Name: "refused", Feed: srv.URL, Admit: func(context.Context) error { return refused }})
	if !errors.Is(res.Err, refused) || len(res.Items) != 0 {
		t.Errorf("refused: err %v, %d items; want %v, none", res.Err, len(res.Items), refused)
	}
}
