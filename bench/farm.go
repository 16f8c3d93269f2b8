package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httputil"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// itemsPerFeed is the number of items in every feed; newItemsPerChange is how
// many a changed feed gains (dropping as many old ones).
const (
	itemsPerFeed      = 50
	newItemsPerChange = 5
	itemSpacing       = 20 * time.Minute
)

// Farm is a set of generated feeds served over HTTP on 127.0.0.1, with
// ETag/Last-Modified (304 on match), gzip when asked, optional latency, and
// counters of requests and bytes on the wire.
type Farm struct {
	epoch   time.Time // publication time of item 0 of every feed
	feeds   []*farmFeed
	latency time.Duration

	ln    net.Listener
	srv   *http.Server
	stats counters

	mu     sync.Mutex
	sample []byte // the first conditional request since Reset, as received
}

type farmFeed struct {
	index    int
	cur      atomic.Pointer[feedVersion]
	versions []*feedVersion // by generation; guarded by Farm callers (no requests in flight)
}

// feedVersion is one generation of a feed: generation g holds the items
// with sequence numbers [5g, 5g+50), newest first.
type feedVersion struct {
	gen     int
	plain   []byte
	gz      []byte
	etag    string
	lastMod time.Time
}

// counters are the farm's wire statistics since the last Reset.
type counters struct {
	requests, ok, notModified, gzipped, other atomic.Int64
	rx, tx, conns                             atomic.Int64
}

// Stats is a snapshot of the farm's counters.
type Stats struct {
	Requests, OK, NotModified, Gzipped, Other int64
	RxBytes, TxBytes                          int64 // bytes read from and written to the clients, headers included
	Conns                                     int64 // TCP connections accepted
	// Sample is the head of the first conditional request since Reset.
	Sample string
}

// Wire is the total number of bytes on the wire, both directions.
func (s Stats) Wire() int64 { return s.RxBytes + s.TxBytes }

// NewFarm generates n feeds (in parallel, deterministic content) whose
// items are dated relative to now.
func NewFarm(n int, now time.Time) *Farm {
	f := &Farm{
		epoch: now.Truncate(time.Hour).Add(-itemSpacing * (itemsPerFeed + 10)),
		feeds: make([]*farmFeed, n),
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				ff := &farmFeed{index: i}
				v := f.build(i, 0, zw)
				ff.versions = []*feedVersion{v}
				ff.cur.Store(v)
				f.feeds[i] = ff
			}
		})
	}
	wg.Wait()
	return f
}

// isAtom reports the format of feed i: RSS 2.0 and Atom alternate.
func isAtom(i int) bool { return i%2 == 1 }

// FeedPath is the URL path of feed i.
func FeedPath(i int) string {
	if isAtom(i) {
		return fmt.Sprintf("/feeds/%05d.atom", i)
	}
	return fmt.Sprintf("/feeds/%05d.rss", i)
}

// FeedName is the source name of feed i.
func FeedName(i int) string { return fmt.Sprintf("Wire %05d", i) }

func outletHost(i int) string { return fmt.Sprintf("www.outlet-%05d.example.com", i) }

func (f *Farm) itemTime(seq int) time.Time { return f.epoch.Add(time.Duration(seq) * itemSpacing) }

func (f *Farm) build(i, gen int, zw *gzip.Writer) *feedVersion {
	first := gen * newItemsPerChange
	last := first + itemsPerFeed - 1
	var b bytes.Buffer
	b.Grow(150 << 10)
	if isAtom(i) {
		f.writeAtom(&b, i, first, last)
	} else {
		f.writeRSS(&b, i, first, last)
	}
	var z bytes.Buffer
	zw.Reset(&z)
	zw.Write(b.Bytes())
	zw.Close()
	sum := sha256.Sum256(b.Bytes())
	return &feedVersion{
		gen:     gen,
		plain:   b.Bytes(),
		gz:      z.Bytes(),
		etag:    `W/"` + hex.EncodeToString(sum[:8]) + `"`,
		lastMod: f.itemTime(last).UTC().Truncate(time.Second),
	}
}

func itemLink(i, seq int, a article, published time.Time) string {
	slug := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == ' ':
			return '-'
		}
		return -1
	}, a.Title)
	if len(slug) > 60 {
		slug = slug[:60]
	}
	link := fmt.Sprintf("https://%s/%s/%s-%d", outletHost(i), published.Format("2006/01/02"), slug, seq)
	if i%4 == 3 { // some feeds tag their links, as many do
		link += "?utm_source=rss&utm_medium=feed"
	}
	return link
}

func paragraphsHTML(ps []string) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("<p>")
		b.WriteString(html.EscapeString(p))
		b.WriteString("</p>")
	}
	return b.String()
}

func (f *Farm) writeRSS(b *bytes.Buffer, i, first, last int) {
	esc := html.EscapeString
	host := outletHost(i)
	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>%s</title>
<link>https://%s/</link>
<description>Business and world news from outlet %05d</description>
<language>en</language>
<lastBuildDate>%s</lastBuildDate>
<generator>newswatch bench farm</generator>
<atom:link href="https://%s/feed" rel="self" type="application/rss+xml"/>
`, esc(FeedName(i)), host, i, f.itemTime(last).UTC().Format(time.RFC1123Z), host)
	for seq := last; seq >= first; seq-- {
		a := genArticle(i, seq)
		pub := f.itemTime(seq).UTC()
		link := itemLink(i, seq, a, pub)
		fmt.Fprintf(b, `<item>
<title>%s</title>
<link>%s</link>
<guid isPermaLink="false">%s-item-%d</guid>
<pubDate>%s</pubDate>
<dc:creator>%s</dc:creator>
<category>%s</category>
<description>%s</description>
<content:encoded><![CDATA[%s]]></content:encoded>
</item>
`, esc(a.Title), esc(link), host, seq, pub.Format(time.RFC1123Z), esc(a.Author), esc(a.Category),
			esc(paragraphsHTML(a.Paragraphs[:1])), paragraphsHTML(a.Paragraphs))
	}
	b.WriteString("</channel>\n</rss>\n")
}

func (f *Farm) writeAtom(b *bytes.Buffer, i, first, last int) {
	esc := html.EscapeString
	host := outletHost(i)
	fmt.Fprintf(b, `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<title>%s</title>
<subtitle>Business and world news from outlet %05d</subtitle>
<id>tag:%s,2025:feed</id>
<updated>%s</updated>
<link rel="alternate" type="text/html" href="https://%s/"/>
<link rel="self" type="application/atom+xml" href="https://%s/feed.atom"/>
<generator>newswatch bench farm</generator>
`, esc(FeedName(i)), i, host, f.itemTime(last).UTC().Format(time.RFC3339), host, host)
	for seq := last; seq >= first; seq-- {
		a := genArticle(i, seq)
		pub := f.itemTime(seq).UTC()
		link := itemLink(i, seq, a, pub)
		fmt.Fprintf(b, `<entry>
<title type="text">%s</title>
<link rel="alternate" type="text/html" href="%s"/>
<id>tag:%s,2025:item-%d</id>
<published>%s</published>
<updated>%s</updated>
<author><name>%s</name></author>
<category term="%s"/>
<summary type="html">%s</summary>
<content type="html">%s</content>
</entry>
`, esc(a.Title), esc(link), host, seq, pub.Format(time.RFC3339), pub.Format(time.RFC3339), esc(a.Author),
			esc(a.Category), esc(paragraphsHTML(a.Paragraphs[:1])), esc(paragraphsHTML(a.Paragraphs)))
	}
	b.WriteString("</feed>\n")
}

// Bodies returns the current uncompressed bodies of the feeds with the given indexes.
func (f *Farm) Bodies(idx []int) [][]byte {
	out := make([][]byte, len(idx))
	for k, i := range idx {
		out[k] = f.feeds[i].cur.Load().plain
	}
	return out
}

// Change moves every 20th feed among the first n (5 %) to its next
// generation: newItemsPerChange new items, as many old ones dropped. It
// returns the indexes changed. Call it with no request in flight.
func (f *Farm) Change(n int) []int {
	var changed []int
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	for i := 7 % 20; i < n; i += 20 {
		ff := f.feeds[i]
		g := ff.cur.Load().gen + 1
		if g >= len(ff.versions) {
			ff.versions = append(ff.versions, f.build(i, g, zw))
		}
		ff.cur.Store(ff.versions[g])
		changed = append(changed, i)
	}
	return changed
}

// Restore puts every feed back to its first generation.
func (f *Farm) Restore() {
	for _, ff := range f.feeds {
		ff.cur.Store(ff.versions[0])
	}
}

// Size returns the total plain and gzip sizes of the first n feeds.
func (f *Farm) Size(n int) (plain, gz int64) {
	for _, ff := range f.feeds[:n] {
		v := ff.cur.Load()
		plain += int64(len(v.plain))
		gz += int64(len(v.gz))
	}
	return plain, gz
}

// Start serves the farm on a free port of 127.0.0.1.
func (f *Farm) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("farm: listen: %w", err)
	}
	f.ln = &countingListener{Listener: ln, c: &f.stats}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go f.srv.Serve(f.ln)
	return nil
}

// Addr is the host:port the farm listens on.
func (f *Farm) Addr() string { return f.ln.Addr().String() }

// URL is the address of feed i.
func (f *Farm) URL(i int) string { return "http://" + f.Addr() + FeedPath(i) }

// Close stops the server.
func (f *Farm) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return f.srv.Shutdown(ctx)
}

// SetLatency sets the delay added before every response.
func (f *Farm) SetLatency(d time.Duration) { f.latency = d }

// Reset zeroes the counters.
func (f *Farm) Reset() {
	for _, c := range []*atomic.Int64{&f.stats.requests, &f.stats.ok, &f.stats.notModified, &f.stats.gzipped,
		&f.stats.other, &f.stats.rx, &f.stats.tx, &f.stats.conns} {
		c.Store(0)
	}
	f.mu.Lock()
	f.sample = nil
	f.mu.Unlock()
}

// Stats returns the counters since the last Reset.
func (f *Farm) Stats() Stats {
	c := &f.stats
	f.mu.Lock()
	sample := string(f.sample)
	f.mu.Unlock()
	return Stats{Sample: sample,
		Requests: c.requests.Load(), OK: c.ok.Load(), NotModified: c.notModified.Load(),
		Gzipped: c.gzipped.Load(), Other: c.other.Load(),
		RxBytes: c.rx.Load(), TxBytes: c.tx.Load(), Conns: c.conns.Load(),
	}
}

func (f *Farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.stats.requests.Add(1)
	if f.latency > 0 {
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	i, ok := feedIndex(r.URL.Path)
	if !ok || i >= len(f.feeds) || r.Method != http.MethodGet && r.Method != http.MethodHead {
		f.stats.other.Add(1)
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		f.mu.Lock()
		if f.sample == nil {
			f.sample, _ = httputil.DumpRequest(r, false)
		}
		f.mu.Unlock()
	}
	v := f.feeds[i].cur.Load()
	h := w.Header()
	h.Set("ETag", v.etag)
	h.Set("Last-Modified", v.lastMod.Format(http.TimeFormat))
	h.Set("Cache-Control", "max-age=300")
	h.Set("Vary", "Accept-Encoding")
	if notModified(r, v) {
		f.stats.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if isAtom(i) {
		h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/rss+xml; charset=utf-8")
	}
	body := v.plain
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = v.gz
		h.Set("Content-Encoding", "gzip")
		f.stats.gzipped.Add(1)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	f.stats.ok.Add(1)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

func feedIndex(path string) (int, bool) {
	rest, ok := strings.CutPrefix(path, "/feeds/")
	if !ok {
		return 0, false
	}
	num, ext, ok := strings.Cut(rest, ".")
	if !ok || len(num) != 5 {
		return 0, false
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || (ext == "atom") != isAtom(i) || ext != "atom" && ext != "rss" {
		return 0, false
	}
	return i, true
}

// notModified applies RFC 9110 §13.1: If-None-Match (weak comparison) wins
// over If-Modified-Since.
func notModified(r *http.Request, v *feedVersion) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		want := strings.TrimPrefix(v.etag, "W/")
		for tag := range strings.SplitSeq(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == want || tag == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !v.lastMod.After(t)
	}
	return false
}

func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

type countingListener struct {
	net.Listener
	c *counters
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.c.conns.Add(1)
	return &countingConn{Conn: conn, c: l.c}, nil
}

type countingConn struct {
	net.Conn
	c *counters
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.c.rx.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.c.tx.Add(int64(n))
	return n, err
}
