package scraper

import (
	"bytes"
	"fmt"
	"net/http"
	"newswatch/internal/testutil"
	"strconv"
	"strings"
	"testing"
)

// benchFeed returns an RSS or Atom feed of n items with about 2 KB of prose
// each, close to the feed farm of bench/.
func benchFeed(seed, n int, atom bool) []byte {
	prose := strings.Repeat("Officials said the logistics company had shared customer data with partners abroad, and analysts questioned the ties. ", 17)
	var b bytes.Buffer
	if atom {
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Feed ` + strconv.Itoa(seed) + `</title><link href="https://news.example/"/><id>urn:feed:` + strconv.Itoa(seed) + `</id><updated>2026-01-05T10:00:00Z</updated>`)
	} else {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed ` + strconv.Itoa(seed) + `</title><link>https://news.example/</link><description>d</description>`)
	}
	for i := range n {
		if atom {
			fmt.Fprintf(&b, `<entry><title>Story %d-%d about Alibaba</title><link href="https://news.example/%d/%d"/><id>urn:%d:%d</id><updated>2026-01-05T10:%02d:00Z</updated><summary>%s</summary><content type="html">&lt;p&gt;%s&lt;/p&gt;</content></entry>`,
				seed, i, seed, i, seed, i, i%60, prose[:300], prose)
		} else {
			fmt.Fprintf(&b, `<item><title>Story %d-%d about Alibaba</title><link>https://news.example/%d/%d?utm_source=rss</link><guid>%d-%d</guid><pubDate>Mon, 05 Jan 2026 10:%02d:00 GMT</pubDate><description>&lt;p&gt;%s&lt;/p&gt;</description></item>`,
				seed, i, seed, i, seed, i, i%60, prose)
		}
	}
	if atom {
		b.WriteString(`</feed>`)
	} else {
		b.WriteString(`</channel></rss>`)
	}
	return b.Bytes()
}

// BenchmarkFetchAll fetches 1,000 gzip-served feeds of 50 items (a cold run
// of the feed farm, scraper only): ns/op is the time for all 1,000.
func BenchmarkFetchAll(b *testing.B) {
	const distinct, total = 20, 1000
	bodies := make([][]byte, distinct)
	var raw int
	for i := range bodies {
		f := benchFeed(i, 50, i%2 == 1)
		raw += len(f)
		bodies[i] = gzipBytes(&testing.T{}, f)
	}
	srv := testutil.Serve(&testing.T{}, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("ETag", `"`+r.URL.Path+`"`)
		_, _ = w.Write(bodies[n%distinct])
	})
	defer srv.Close()
	srcs := make([]Source, total)
	for i := range srcs {
		srcs[i] = Source{Name: strconv.Itoa(i), Feed: srv.URL + "/" + strconv.Itoa(i)}
	}
	f := New(Options{Concurrency: 4})
	b.ReportMetric(float64(raw/distinct)/1024, "KB/feed")
	b.ResetTimer()
	for b.Loop() {
		f.FetchAll(b.Context(), srcs, func(r Result) {
			if r.Err != nil || len(r.Items) != 50 {
				b.Errorf("%s: %d items, %v", r.Source, len(r.Items), r.Err)
			}
		})
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "feeds/s")
}

// BenchmarkParseOnly is gofeed alone over the same bytes: the floor that
// BenchmarkFetchAll is compared with (ns/op per feed).
func BenchmarkParseOnly(b *testing.B) {
	body := benchFeed(1, 50, false)
	p := newFeedParser()
	for b.Loop() {
		if _, err := p.Parse(bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFeed is our parse path (charset, checks, gofeed, items) per feed.
func BenchmarkParseFeed(b *testing.B) {
	body := benchFeed(1, 50, false)
	f := New(Options{})
	for b.Loop() {
		if _, err := f.parseFeed(body, "application/rss+xml", nil, fixedNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchAllNotModified is a warm run: 1,000 conditional GETs, each
// answered 304 (ns/op and allocs/op are for all 1,000).
func BenchmarkFetchAllNotModified(b *testing.B) {
	const total = 1000
	srv := testutil.Serve(&testing.T{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `W/"`+r.URL.Path[1:]+`"`)
		w.WriteHeader(http.StatusNotModified)
	})
	defer srv.Close()
	srcs := make([]Source, total)
	for i := range srcs {
		srcs[i] = Source{Name: strconv.Itoa(i), Feed: srv.URL + "/" + strconv.Itoa(i), ETag: `W/"` + strconv.Itoa(i) + `"`}
	}
	f := New(Options{Concurrency: 8})
	b.ResetTimer()
	for b.Loop() {
		f.FetchAll(b.Context(), srcs, func(r Result) {
			if r.Err != nil || !r.NotModified {
				b.Errorf("%s: not modified %v, %v", r.Source, r.NotModified, r.Err)
			}
		})
	}
}
