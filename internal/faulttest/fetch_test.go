package faulttest

// Fault cases 1–13 (see the package doc) under the full pipeline: `newswatch once` fetches a
// hostile source beside a good one, stores, matches and delivers to the
// loopback SMTP server. Each test asserts the pipeline's outcome: the
// hostile source fails (or is cleaned) with a clear error in its health, the
// good source's story is delivered once, and nothing else is touched.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
)

// wantSourceFailed fails unless the source's last run is an error that
// contains want.
func wantSourceFailed(t *testing.T, w *world, name, want string) {
	t.Helper()
	h := w.health(name)
	if h.LastStatus != model.StatusError || !strings.Contains(h.LastError, want) {
		t.Errorf("source %q: status %q, error %q; want an error containing %q", name, h.LastStatus, h.LastError, want)
	}
}

// TestFault01SilentAndTricklingServers: a server that accepts the
// connection and sends nothing, and one that trickles a byte a second, end
// at the 1 s request timeout; the good source and the digest proceed, and
// the digest's footer names the failed sources.
func TestFault01SilentAndTricklingServers(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	trickle := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.WriteHeader(http.StatusOK)
		for _, b := range []byte(testutil.RSS(story("t01trickled"))) {
			_, _ = w.Write([]byte{b})
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	})
	w := newWorld(t, conf{timeout: "1s", sources: []src{
		{name: "Silent", feed: "http://" + ln.Addr().String() + "/feed"},
		{name: "Trickle", feed: trickle.URL + "/feed"},
		goodSource(t, "t01good"),
	}}, smtptest.Options{})
	r := w.mustRun(0, "once")
	if r.took > 10*time.Second {
		t.Errorf("once took %v with a 1 s timeout", r.took)
	}
	for _, name := range []string{"Silent", "Trickle"} {
		wantSourceFailed(t, w, name, "timed out after 1s")
	}
	ls := w.letters()
	wantDeliveredOnce(t, ls, "t01good")
	wantNotDelivered(t, ls, "t01trickled")
	if mentions(ls, "Silent") != 1 || mentions(ls, "Trickle") != 1 {
		t.Errorf("the digest's footer does not name both failed sources:\n%s", ls[0].text)
	}
}

// TestFault02GzipBomb: a gzip bomb as Content-Encoding, as a .gz file over
// HTTP and as a .gz file on disk: each source fails "too large" under a 1 MB
// limit, the process stays small, the good source is delivered.
func TestFault02GzipBomb(t *testing.T) {
	t.Parallel()
	bomb := testutil.GzipBomb(t, 1<<30)
	path := filepath.Join(t.TempDir(), "feed.xml.gz")
	if err := os.WriteFile(path, bomb, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/encoded" {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/rss+xml")
		} else {
			w.Header().Set("Content-Type", "application/gzip")
		}
		_, _ = w.Write(bomb)
	})
	w := newWorld(t, conf{maxBody: "1MB", sources: []src{
		{name: "Encoded bomb", feed: srv.URL + "/encoded"},
		{name: "File bomb", feed: srv.URL + "/feed.xml.gz"},
		{name: "Disk bomb", feed: (&url.URL{Scheme: "file", Path: path}).String()},
		goodSource(t, "t02good"),
	}}, smtptest.Options{})
	r := w.mustRun(0, "once")
	for _, name := range []string{"Encoded bomb", "File bomb", "Disk bomb"} {
		wantSourceFailed(t, w, name, "too large")
	}
	wantDeliveredOnce(t, w.letters(), "t02good")
	if r.maxRSS > 200<<20 {
		t.Errorf("newswatch peaked at %d MB of memory for a 1 MB body limit", r.maxRSS>>20)
	}
	t.Logf("peak RSS %d MB", r.maxRSS>>20)
}

// TestFault03BodyLimitPlusOne: a body of exactly max_body is read; one byte
// more is an explicit error, nothing of it is stored, and the source's state
// (ETag, items) stays as the last good fetch left it.
func TestFault03BodyLimitPlusOne(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"content-length", "chunked"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			first := testutil.RSS(story("t03first"))
			second := testutil.RSS(story("t03first"), story("t03second"))
			limit := len(second)
			first += strings.Repeat("\n", limit-len(first)) // exactly the limit
			second += "\n"                                  // the limit + 1
			var phase atomic.Int32
			var inm sync.Map // phase → If-None-Match received
			srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
				p := phase.Load()
				inm.Store(p, r.Header.Get("If-None-Match"))
				body, etag := first, `"v1"`
				if p > 0 {
					body, etag = second, `"v2"`
				}
				w.Header().Set("ETag", etag)
				w.Header().Set("Content-Type", "application/rss+xml")
				if mode == "chunked" {
					_, _ = io.WriteString(w, body[:10])
					w.(http.Flusher).Flush()
					body = body[10:]
				}
				_, _ = io.WriteString(w, body)
			})
			w := newWorld(t, conf{maxBody: fmt.Sprint(limit), sources: []src{{name: "Limited", feed: srv.URL + "/feed"}}}, smtptest.Options{})
			w.mustRun(0, "once")
			wantDeliveredOnce(t, w.letters(), "t03first")

			phase.Store(1)
			r := w.run("once")
			if r.code != 1 { // its only source failed: cron must see it
				t.Errorf("once after the oversized body: want exit 1, got %s", r)
			}
			wantSourceFailed(t, w, "Limited", fmt.Sprintf("response too large: over %d bytes", limit))
			etag, _, err := w.store().Validators(context.Background(), "Limited")
			if err != nil || etag != `"v1"` {
				t.Errorf("ETag after the failed fetch = %q, %v; want the last good one", etag, err)
			}
			var keys []string
			for _, it := range w.items() {
				keys = append(keys, it.Link)
			}
			if len(keys) != 1 || !strings.HasSuffix(keys[0], "t03first") {
				t.Errorf("stored items after the failed fetch: %q, want only the first fetch's", keys)
			}
			phase.Store(2)
			w.run("once")
			if got, _ := inm.Load(int32(2)); got != `"v1"` {
				t.Errorf("next request sent If-None-Match %q, want the last good ETag", got)
			}
			wantNotDelivered(t, w.letters(), "t03second")
		})
	}
}

// TestFault04BillionLaughsAndXXE: entity bombs and external entities are
// neither expanded nor fetched nor read: the run is fast and small, no
// request reaches the trap, no file content reaches a digest.
func TestFault04BillionLaughsAndXXE(t *testing.T) {
	t.Parallel()
	var trapped atomic.Int32
	trap := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		trapped.Add(1)
		_, _ = io.WriteString(w, `<!ENTITY leak "LEAKED">`)
	})
	laughs := testutil.Laughs()
	body := func(dtd, title string) string {
		return `<?xml version="1.0"?>` + dtd + `<rss version="2.0"><channel><title>t</title>` +
			testutil.Item("Cainiao espionage "+title, "https://x.example/"+strings.Trim(title, "&;"), "", "Spying: "+title) + `</channel></rss>`
	}
	docs := map[string]string{
		"/laughs":  body(`<!DOCTYPE rss [`+laughs+`]>`, "&lol9;"),
		"/xxefile": body(`<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, "&xxe;"),
		"/xxehttp": body(`<!DOCTYPE rss [<!ENTITY xxe SYSTEM "`+trap.URL+`/entity">]>`, "&xxe;"),
		"/param":   body(`<!DOCTYPE rss [<!ENTITY % remote SYSTEM "`+trap.URL+`/dtd"> %remote;]>`, "&leak;"),
		"/extdtd":  body(`<!DOCTYPE rss SYSTEM "`+trap.URL+`/rss.dtd">`, "&leak;"),
	}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = io.WriteString(w, docs[r.URL.Path])
	})
	var srcs []src
	for path := range docs {
		srcs = append(srcs, src{name: "Hostile " + path, feed: srv.URL + path})
	}
	w := newWorld(t, conf{sources: append(srcs, goodSource(t, "t04good"))}, smtptest.Options{})
	r := w.mustRun(0, "once")
	if r.took > 5*time.Second {
		t.Errorf("once took %v", r.took)
	}
	if r.maxRSS > 200<<20 {
		t.Errorf("newswatch peaked at %d MB", r.maxRSS>>20)
	}
	if n := trapped.Load(); n != 0 {
		t.Errorf("%d requests for external entities", n)
	}
	ls := w.letters()
	wantDeliveredOnce(t, ls, "t04good")
	wantNotDelivered(t, ls, "root:", "LEAKED", "lollollol")
	for _, it := range w.items() {
		if all := it.Title + it.Summary + it.Content; strings.Contains(all, "root:") || strings.Count(all, "lol") > 20 {
			t.Errorf("stored item %s holds an expansion: %.100q", it.Key, all)
		}
	}
}

// TestFault05DeepNesting: 100,000 nested elements are a clean error for
// their source; the process neither crashes nor stops the others.
func TestFault05DeepNesting(t *testing.T) {
	t.Parallel()
	deep := func(prefix, open, close, suffix string) string {
		return prefix + strings.Repeat(open, 100_000) + strings.Repeat(close, 100_000) + suffix
	}
	docs := map[string]string{
		"/rss":  deep(`<rss version="2.0"><channel><item><title>Cainiao espionage t05deep</title><description>`, "<a>", "</a>", `</description></item></channel></rss>`),
		"/atom": deep(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Cainiao espionage t05deep</title><content type="xhtml">`, "<div>", "</div>", `</content></entry></feed>`),
		"/json": deep(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"Cainiao espionage t05deep","x":`, "[", "]", `}]}`),
	}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, docs[r.URL.Path]) })
	w := newWorld(t, conf{sources: []src{
		{name: "Deep RSS", feed: srv.URL + "/rss"},
		{name: "Deep Atom", feed: srv.URL + "/atom"},
		{name: "Deep JSON", feed: srv.URL + "/json"},
		goodSource(t, "t05good"),
	}}, smtptest.Options{})
	r := w.mustRun(0, "once")
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Errorf("stderr shows a crash:\n%s", r.stderr)
	}
	for _, name := range []string{"Deep RSS", "Deep Atom", "Deep JSON"} {
		wantSourceFailed(t, w, name, "malformed feed")
	}
	ls := w.letters()
	wantDeliveredOnce(t, ls, "t05good")
	wantNotDelivered(t, ls, "t05deep")
}

// TestFault06Redirects: a redirect loop and an 11-hop chain end in a bounded
// error, a 10-hop chain is followed, a redirect to file:// is refused; the
// rest of the run proceeds. (The dial-time refusal of private addresses for
// a public source needs a source that is not on loopback: scraper's
// TestFault06PrivateRedirects covers it with a test hook.)
func TestFault06Redirects(t *testing.T) {
	t.Parallel()
	srv := serveRedirects(t)
	w := newWorld(t, conf{sources: []src{
		{name: "Loop", feed: srv.URL + "/loop"},
		{name: "Eleven hops", feed: srv.URL + "/hop/11/t06eleven"},
		{name: "Ten hops", feed: srv.URL + "/hop/10/t06ten"},
		{name: "To file", feed: srv.URL + "/file"},
		{name: "To javascript", feed: srv.URL + "/js"},
		goodSource(t, "t06good"),
	}}, smtptest.Options{})
	r := w.mustRun(0, "once")
	if r.took > 10*time.Second {
		t.Errorf("once took %v", r.took)
	}
	wantSourceFailed(t, w, "Loop", "too many redirects")
	wantSourceFailed(t, w, "Eleven hops", "too many redirects")
	wantSourceFailed(t, w, "To file", "unsupported URL scheme")
	wantSourceFailed(t, w, "To javascript", "unsupported URL scheme")
	ls := w.letters()
	wantDeliveredOnce(t, ls, "t06good", "t06ten")
	wantNotDelivered(t, ls, "news.example/t06eleven", "root:")
	if t.Failed() {
		t.Logf("digest:\n%s", ls[0].text)
	}
	if n := srv.hits.Load(); n > 100 {
		t.Errorf("%d requests for 5 sources", n)
	}
}

// httptestServer is an httptest server that counts its requests.
type httptestServer struct {
	URL  string
	hits atomic.Int32
}

// serveRedirects answers /loop with a redirect to itself, /hop/N/token with
// a redirect to /hop/N-1/token and /hop/0/token with a feed of one story,
// /file with a redirect to file:///etc/passwd and /js to javascript:.
func serveRedirects(t *testing.T) *httptestServer {
	t.Helper()
	s := &httptestServer{}
	h := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		var n int
		var token string
		switch {
		case r.URL.Path == "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case r.URL.Path == "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case r.URL.Path == "/js":
			w.Header().Set("Location", "javascript:alert(1)")
			w.WriteHeader(http.StatusFound)
		default:
			if _, err := fmt.Sscanf(strings.ReplaceAll(r.URL.Path, "/", " "), " hop %d %s", &n, &token); err != nil {
				http.NotFound(w, r)
				return
			}
			if n > 0 {
				http.Redirect(w, r, fmt.Sprintf("/hop/%d/%s", n-1, token), http.StatusMovedPermanently)
				return
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = io.WriteString(w, testutil.RSS(story(token)))
		}
	})
	s.URL = h.URL
	return s
}

// TestFault07Charsets: legacy charsets declared in the prolog or only in
// Content-Type, a prolog that lies about UTF-8 bytes, UTF-16 with a BOM:
// the digest shows the right text. Invalid UTF-8, U+0008 and U+FFFE are
// cleaned away; nothing panics.
func TestFault07Charsets(t *testing.T) {
	t.Parallel()
	latin1 := func(s string) string {
		b, err := charmap.ISO8859_1.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cp1251 := func(s string) string {
		b, err := charmap.Windows1251.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(s string) string {
		b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Each item gets words of its own, so that no two are grouped into
	// one story (which would show only the lead's title).
	doc := func(encoding, title, token string) string {
		decl := `<?xml version="1.0"?>`
		if encoding != "" {
			decl = `<?xml version="1.0" encoding="` + encoding + `"?>`
		}
		desc := strings.Repeat(token+"word"+token[len(token)-2:]+" ", 20)
		return decl + `<rss version="2.0"><channel><title>c</title>` +
			testutil.Item(title+" "+token, "https://x.example/"+token, "", desc) + `</channel></rss>`
	}
	type feed struct{ contentType, body, want string }
	feeds := map[string]feed{
		"/latin1":   {"application/rss+xml", latin1(doc("ISO-8859-1", "Cainiao espionage à Liège", "t07latin")), "Cainiao espionage à Liège t07latin"},
		"/cp1251":   {"text/xml", cp1251(doc("windows-1251", "Cainiao: шпионаж в порту", "t07cyr")), "Cainiao: шпионаж в порту t07cyr"},
		"/ctype":    {"application/xml; charset=windows-1251", cp1251(doc("", "Cainiao шпионаж Одесса", "t07ctype")), "Cainiao шпионаж Одесса t07ctype"},
		"/lying":    {"", doc("ISO-8859-1", "Cainiao espionage Café 阿里巴巴", "t07lying"), "Cainiao espionage Café 阿里巴巴 t07lying"},
		"/utf16":    {"", utf16(doc("UTF-16", "Cainiao шпионаж 北京 Ω", "t07utf16")), "Cainiao шпионаж 北京 Ω t07utf16"},
		"/dirty":    {"", doc("UTF-8", "Cainiao espionage Caf\xe9 \xffne\x08at\uFFFEly\x00", "t07dirty"), "Cainiao espionage Caf\uFFFD \uFFFDneatly t07dirty"},
		"/charrefs": {"", doc("", "Cainiao espionage a&#8;b&#xFFFE;c&#xD800;d", "t07refs"), "Cainiao espionage abcd t07refs"},
	}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		f := feeds[r.URL.Path]
		if f.contentType != "" {
			w.Header().Set("Content-Type", f.contentType)
		}
		_, _ = io.WriteString(w, f.body)
	})
	var srcs []src
	for path := range feeds {
		srcs = append(srcs, src{name: "Charset " + path, feed: srv.URL + path})
	}
	w := newWorld(t, conf{sources: srcs}, smtptest.Options{})
	r := w.mustRun(0, "once")
	if strings.Contains(r.stderr, "panic") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	ls := w.letters()
	if len(ls) != 1 {
		t.Fatalf("%d digests, want 1\n%s", len(ls), r)
	}
	for path, f := range feeds {
		if !strings.Contains(ls[0].html, f.want) && mentions(ls, f.want) == 0 {
			t.Errorf("%s: the digest lacks %q", path, f.want)
		}
	}
	if t.Failed() {
		t.Logf("digest:\n%s", ls[0].text)
	}
	for _, bad := range []string{"\x08", "\uFFFE", "\x00", "Ã"} {
		if strings.Contains(ls[0].text, bad) || strings.Contains(ls[0].html, bad) {
			t.Errorf("the digest contains %q", bad)
		}
	}
}

// TestFault08CommentsBeforeRoot: more than 4 KB of comments before the root
// element is a clear feed error for the source, not an empty feed.
func TestFault08CommentsBeforeRoot(t *testing.T) {
	t.Parallel()
	body := `<?xml version="1.0"?><!-- ` + strings.Repeat("padding ", 700) + ` -->` +
		`<rss version="2.0"><channel><title>t</title>` + story("t08late") + `</channel></rss>`
	w := newWorld(t, conf{sources: []src{
		{name: "Padded", feed: serveFeed(t, body).URL},
		goodSource(t, "t08good"),
	}}, smtptest.Options{})
	w.mustRun(0, "once")
	wantSourceFailed(t, w, "Padded", "not a feed")
	wantSourceFailed(t, w, "Padded", "4 KB")
	ls := w.letters()
	wantDeliveredOnce(t, ls, "t08good")
	wantNotDelivered(t, ls, "t08late")
}

// TestFault09Dates: localised day names, EST/PDT, no zone, the years 1 and
// 2099, a missing or broken date: every item is kept and delivered with a
// sane date (first seen when unknown, the fetch time when in the future),
// and the stored dates are the same when newswatch runs under TZ=UTC and
// under TZ=America/New_York.
func TestFault09Dates(t *testing.T) {
	t.Parallel()
	dates := []string{
		"Lun, 05 Jan 2026 10:00:00 +0100",
		"Mon, 05 Jan 2026 10:00:00 EST",
		"Mon, 05 Jan 2026 10:00:00 PDT",
		"2026-01-05T10:00:00",
		"Mon, 05 Jan 2026 10:00:00",
		"Lun, 05 Jan 2026 10:00:00 CEST",
		"0001-01-01T00:00:00Z",
		"Thu, 01 Jan 2099 00:00:00 +0000",
		"",
		"not a date",
	}
	var items []string
	for i, d := range dates {
		it := story(fmt.Sprintf("t09d%02d", i))
		if d != "" {
			it = strings.Replace(it, "</item>", "<pubDate>"+d+"</pubDate></item>", 1)
		}
		items = append(items, it)
	}
	feed := serveFeed(t, testutil.RSS(items...))
	stored := map[string]map[string]time.Time{}
	for _, tz := range []string{"UTC", "America/New_York"} {
		w := newWorld(t, conf{sources: []src{{name: "Dates", feed: feed.URL}}}, smtptest.Options{})
		w.env = append(w.env, "TZ="+tz)
		start := time.Now()
		w.mustRun(0, "once")
		end := time.Now()
		ls := w.letters()
		stored[tz] = map[string]time.Time{}
		for i, d := range dates {
			token := fmt.Sprintf("t09d%02d", i)
			if mentions(ls, token) != 1 {
				t.Errorf("TZ=%s: item dated %q not delivered once", tz, d)
			}
		}
		for _, it := range w.items() {
			stored[tz][it.Key] = it.Published
			switch p := it.Published; {
			case p.IsZero():
			case p.Year() < 1990 || p.After(end):
				t.Errorf("TZ=%s: %s published %v", tz, it.Link, p)
			case strings.HasSuffix(it.Link, "t09d07") && (p.Before(start.Add(-time.Second)) || p.After(end)):
				t.Errorf("TZ=%s: 2099 date stored as %v, want the fetch time", tz, p)
			}
		}
	}
	for key, p := range stored["UTC"] {
		q := stored["America/New_York"][key]
		if strings.HasSuffix(key, "t09d07") {
			continue // clamped to each run's own fetch time
		}
		if !p.Equal(q) {
			t.Errorf("%s: published %v under TZ=UTC, %v under TZ=America/New_York", key, p, q)
		}
	}
}

// TestFault10RelativeLinks: relative links, with and without xml:base, in
// feeds reached through a redirect, point at the final URL in the digest.
func TestFault10RelativeLinks(t *testing.T) {
	t.Parallel()
	var srvURL string
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old/rss":
			http.Redirect(w, r, "/new/feeds/rss.xml", http.StatusMovedPermanently)
		case "/old/atom":
			http.Redirect(w, r, "/new/feeds/atom.xml", http.StatusMovedPermanently)
		case "/new/feeds/rss.xml":
			_, _ = io.WriteString(w, testutil.RSS(
				testutil.Item("Cainiao espionage t10rel", "t10rel", "", "Spying."),
				testutil.Item("Cainiao espionage t10root", "/t10root", "", "More spying.")))
		case "/new/feeds/atom.xml":
			_, _ = io.WriteString(w, `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/atom-base/"><title>t</title>`+
				`<entry><title>Cainiao espionage t10base</title><id>1</id><link href="t10base"/><summary>Spying there.</summary></entry>`+
				`<entry xml:base="https://other.example/dir/"><title>Cainiao espionage t10other</title><id>2</id><link href="t10other"/><summary>Spying elsewhere.</summary></entry></feed>`)
		default:
			http.NotFound(w, r)
		}
	})
	srvURL = srv.URL
	w := newWorld(t, conf{sources: []src{
		{name: "Moved RSS", feed: srvURL + "/old/rss"},
		{name: "Moved Atom", feed: srvURL + "/old/atom"},
	}}, smtptest.Options{})
	w.mustRun(0, "once")
	ls := w.letters()
	if len(ls) != 1 {
		t.Fatalf("%d digests", len(ls))
	}
	for _, link := range []string{
		srvURL + "/new/feeds/t10rel",
		srvURL + "/t10root",
		srvURL + "/atom-base/t10base",
		"https://other.example/dir/t10other",
	} {
		if !strings.Contains(ls[0].html, `href="`+link+`"`) || !strings.Contains(ls[0].text, link) {
			t.Errorf("the digest does not link %s", link)
		}
	}
}

// TestFault11HTMLInsteadOfFeed: a rate-limit page served with 200 in place
// of the feed is a feed error; the stored items and the validators stay;
// nothing is re-announced when the feed comes back.
func TestFault11HTMLInsteadOfFeed(t *testing.T) {
	t.Parallel()
	var limited atomic.Bool
	var body atomic.Value
	body.Store(testutil.RSS(story("t11a")))
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		if limited.Load() {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("ETag", `"rate-limit"`)
			_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><title>Too Many Requests</title></head><body>Cainiao espionage t11page. Slow down.</body></html>`)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, body.Load().(string))
	})
	w := newWorld(t, conf{sources: []src{{name: "Limited", feed: srv.URL + "/feed"}}}, smtptest.Options{})
	w.mustRun(0, "once")
	limited.Store(true)
	w.mustRun(1, "once") // its only source failed: exit 1 so that cron sees it
	wantSourceFailed(t, w, "Limited", "not a feed")
	if etag, _, _ := w.store().Validators(context.Background(), "Limited"); etag != `"v1"` {
		t.Errorf("ETag after the HTML page = %q, want \"v1\"", etag)
	}
	if its := w.items(); len(its) != 1 || !strings.HasSuffix(its[0].Link, "t11a") {
		t.Errorf("stored items after the HTML page: %d", len(its))
	}
	limited.Store(false)
	body.Store(testutil.RSS(story("t11a"), story("t11b")))
	w.mustRun(0, "once")
	ls := w.letters()
	wantNotDelivered(t, ls, "t11page")
	wantDeliveredOnce(t, ls, "t11a")
	// t11b is new: it is in the digest of the next slot, which preview shows.
	if mentions(ls, "t11b") == 0 {
		if p := w.mustRun(0, "preview"); !strings.Contains(p.stdout, "t11b") {
			t.Errorf("t11b neither delivered nor pending:\n%s", p.stdout)
		}
	}
}

// TestFault12ItemCounts: a valid feed with zero items is a success; a feed of
// 1,000 items is stored whole and its 100 matches delivered once; items that
// leave the feed and come back are not announced again.
func TestFault12ItemCounts(t *testing.T) {
	t.Parallel()
	var big []string
	for i := range 1000 {
		title := fmt.Sprintf("Harbour log %d: cargo manifest t12n%03d", i, i)
		if i%10 == 0 {
			title = fmt.Sprintf("Cainiao espionage report %d t12m%03d", i, i)
		}
		big = append(big, testutil.Item(title, fmt.Sprintf("https://big.example/%d?utm_source=rss", i), "", fmt.Sprintf("Entry %d of the register, filed under t12x%03d.", i, i)))
	}
	var window atomic.Value // the items the big feed lists now
	window.Store(big)
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/empty" {
			_, _ = io.WriteString(w, testutil.RSS())
			return
		}
		_, _ = io.WriteString(w, testutil.RSS(window.Load().([]string)...))
	})
	w := newWorld(t, conf{sources: []src{
		{name: "Empty", feed: srv.URL + "/empty"},
		{name: "Big", feed: srv.URL + "/big"},
	}}, smtptest.Options{})
	w.mustRun(0, "once")
	if h := w.health("Empty"); h.LastStatus != model.StatusOK {
		t.Errorf("empty feed: status %q, error %q", h.LastStatus, h.LastError)
	}
	if n := len(w.items()); n != 1000 {
		t.Errorf("%d items stored, want 1000", n)
	}
	ls := w.letters()
	if len(ls) != 1 {
		t.Fatalf("%d digests, want 1", len(ls))
	}
	for i := 0; i < 1000; i += 10 {
		if tok := fmt.Sprintf("t12m%03d", i); mentions(ls, tok) != 1 {
			t.Errorf("%s not in the digest", tok)
		}
	}
	wantNotDelivered(t, ls, "t12n001")

	window.Store(big[500:])
	w.mustRun(0, "once")
	window.Store(append(append([]string{}, big[:500]...), big[500:]...))
	w.mustRun(0, "once")
	if n := len(w.items()); n != 1000 {
		t.Errorf("%d items stored after items left and came back, want 1000", n)
	}
	if n := len(w.letters()); n != 1 {
		t.Errorf("%d digests after items left and came back, want 1", n)
	}
	if p := w.mustRun(0, "preview"); strings.Contains(p.stdout, "t12m") {
		t.Errorf("items that came back are pending again:\n%.500s", p.stdout)
	}
}

// TestFault13DuplicateIdentities: items that share a GUID or a link are
// different articles and each is delivered once; the same article under
// tracking parameters, http and https, from two sources, is delivered once
// with both sources; a second run announces nothing again.
func TestFault13DuplicateIdentities(t *testing.T) {
	t.Parallel()
	docs := map[string]string{
		"/guid": testutil.RSS(
			testutil.Item("Cainiao espionage warehouse t13g1", "https://g.example/1", "same", "Warehouse staff questioned."),
			testutil.Item("Cainiao spying scanners t13g2", "https://g.example/2", "same", "Scanners sent data abroad."),
			testutil.Item("Cainiao espionage fine t13g3", "", "same", "Regulator fines the firm.")),
		"/link": testutil.RSS(
			testutil.Item("Cainiao espionage trial opens t13l1", "https://l.example/", "", "A trial opens in Liège."),
			testutil.Item("Cainiao spying audit published t13l2", "https://l.example/", "", "Auditors publish findings."),
			testutil.Item("Cainiao espionage minister resigns t13l3", "https://l.example/", "", "The minister resigns.")),
		"/wire-a": testutil.RSS(
			testutil.Item("Cainiao espionage ring exposed t13same", "https://same.example/story?id=7&utm_source=rss&fbclid=x", "a-1", "Police exposed a ring."),
			testutil.Item("Cainiao espionage ring exposed t13same", "http://same.example/story?id=7#comments", "a-2", "Police exposed a ring.")),
		"/wire-b": testutil.RSS(
			testutil.Item("Cainiao espionage ring exposed t13same", "https://SAME.example:443/story?utm_medium=x&id=7", "b-1", "Police exposed a ring.")),
	}
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, docs[r.URL.Path]) })
	w := newWorld(t, conf{sources: []src{
		{name: "Same GUID", feed: srv.URL + "/guid"},
		{name: "Same link", feed: srv.URL + "/link"},
		{name: "Wire A", feed: srv.URL + "/wire-a"},
		{name: "Wire B", feed: srv.URL + "/wire-b"},
	}}, smtptest.Options{})
	w.mustRun(0, "once")
	ls := w.letters()
	if len(ls) != 1 {
		t.Fatalf("%d digests, want 1", len(ls))
	}
	for _, tok := range []string{"t13g1", "t13g2", "t13g3", "t13l1", "t13l2", "t13l3", "t13same"} {
		// The title appears once per story in the text part.
		if n := strings.Count(flat(ls[0].text), tok); n != 1 {
			t.Errorf("%s appears %d times in the digest, want once", tok, n)
		}
	}
	var same []model.Item
	for _, it := range w.items() {
		if strings.Contains(it.Title, "t13same") {
			same = append(same, it)
		}
	}
	if len(same) != 1 || len(same[0].Sources) != 2 {
		t.Errorf("the same article is stored %d times (sources %v), want once with both wires", len(same), same)
	}
	w.mustRun(0, "once")
	if n := len(w.letters()); n != 1 {
		t.Errorf("a second run sent %d more digests", n-1)
	}
}
