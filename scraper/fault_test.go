package scraper

// Tests named TestFaultNN are the cases of the fault suite (hostile feeds,
// broken servers) that concern fetching and parsing; internal/faulttest runs
// the rest against the built binary.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"newswatch/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	xunicode "golang.org/x/text/encoding/unicode"
)

// TestFault02GzipBomb: a few hundred KB that inflate to 1 GB, as
// Content-Encoding and as a .gz file over HTTP and file://: the body-limit
// error, with memory bounded by the limit.
func TestFault02GzipBomb(t *testing.T) {
	const limit = 1 << 20
	bomb := testutil.GzipBomb(t, 1<<30)
	path := filepath.Join(t.TempDir(), "feed.xml.gz")
	if err := os.WriteFile(path, bomb, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		source func(t *testing.T) string
	}{
		{"content-encoding", func(t *testing.T) string {
			return testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Type", "application/rss+xml")
				_, _ = w.Write(bomb)
			}).URL + "/feed"
		}},
		{"gz file over http", func(t *testing.T) string {
			return testutil.ServeBytes(t, "application/gzip", bomb).URL + "/feed.xml.gz"
		}},
		{"gz file on disk", func(t *testing.T) string {
			return (&url.URL{Scheme: "file", Path: path}).String()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.source(t)
			f := newTestFetcher(t, Options{MaxBody: limit})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res := fetchURL(t, f, src)
			runtime.ReadMemStats(&after)
			if !errors.Is(res.Err, ErrTooLarge) || !strings.Contains(res.Err.Error(), "too large") {
				t.Fatalf("err = %v, want ErrTooLarge", res.Err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MB for a %d MB limit", alloc>>20, limit>>20)
			}
		})
	}
}

// TestFault04BillionLaughsAndXXE: entity declarations are never expanded and
// external entities never resolved: fast, no file read, no request made.
func TestFault04BillionLaughsAndXXE(t *testing.T) {
	var requests atomic.Int32
	trap := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte(`<!ENTITY leak "LEAKED">`))
	})
	laughs := testutil.Laughs()
	docs := map[string]string{
		"billion laughs": `<?xml version="1.0"?><!DOCTYPE rss [` + laughs + `]>` +
			`<rss version="2.0"><channel><title>&lol9;</title><item><title>a &lol9; b</title><link>https://x.example/1</link><description>&lol9;&lol9;</description></item></channel></rss>`,
		"xxe file": `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			`<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><link>https://x.example/1</link><description>&xxe;</description></item></channel></rss>`,
		"xxe http": `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "` + trap.URL + `/entity">]>` +
			`<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><link>https://x.example/1</link></item></channel></rss>`,
		"parameter entity": `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % remote SYSTEM "` + trap.URL + `/dtd"> %remote;]>` +
			`<rss version="2.0"><channel><title>t</title><item><title>&leak;</title><link>https://x.example/1</link></item></channel></rss>`,
		"external dtd": `<?xml version="1.0"?><!DOCTYPE rss SYSTEM "` + trap.URL + `/rss.dtd">` +
			`<rss version="2.0"><channel><title>t</title><item><title>&leak;</title><link>https://x.example/1</link></item></channel></rss>`,
		"atom xxe": `<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			`<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>&xxe;</title><link href="https://x.example/1"/><id>1</id><content>&xxe;</content></entry></feed>`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			srv := testutil.ServeBytes(t, "application/xml", []byte(doc))
			res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
			if requests.Load() != 0 {
				t.Errorf("the parser made %d requests for external entities", requests.Load())
			}
			// Either outcome is safe: an error, or items with the entity
			// reference left as text. Never the expansion.
			for _, it := range res.Items {
				all := it.Title + it.Summary + it.Content
				if strings.Contains(all, "root:") || strings.Contains(all, "LEAKED") || strings.Count(all, "lol") > 100 {
					t.Errorf("entity expanded: %.200q", all)
				}
			}
		})
	}
}

// TestFault05DeepNesting: 100,000 nested elements end in a clean error.
func TestFault05DeepNesting(t *testing.T) {
	deep := func(prefix, open, close, suffix string) []byte {
		var b bytes.Buffer
		b.WriteString(prefix)
		for range 100_000 {
			b.WriteString(open)
		}
		for range 100_000 {
			b.WriteString(close)
		}
		b.WriteString(suffix)
		return b.Bytes()
	}
	tests := map[string][]byte{
		"rss description": deep(`<rss version="2.0"><channel><item><title>x</title><description>`, "<a>", "</a>", `</description></item></channel></rss>`),
		"rss extension":   deep(`<rss version="2.0" xmlns:x="urn:x"><channel>`, "<x:a>", "</x:a>", `</channel></rss>`),
		"atom xhtml":      deep(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title><content type="xhtml">`, "<div>", "</div>", `</content></entry></feed>`),
		"unclosed":        deep(`<rss version="2.0"><channel><item>`, "<a>", "", ""),
		"json":            deep(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","x":`, "[", "]", `}]}`),
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			srv := testutil.ServeBytes(t, "", body)
			res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
			if !errors.Is(res.Err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", res.Err)
			}
		})
	}
}

// publicSource starts a feed server that the Fetcher treats as a public
// address, so that the private-address rules apply to it as to any public
// source. Its handler redirects every request to target (when set).
func publicSource(t *testing.T, f *Fetcher, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := testutil.Serve(t, handler)
	ap := netip.MustParseAddrPort(srv.Listener.Addr().String())
	prev := f.treatAsPublic
	f.treatAsPublic = func(a netip.AddrPort) bool {
		return a == ap || prev != nil && prev(a)
	}
	return srv
}

func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}
}

// TestFault06PrivateRedirects: a public-looking source may not redirect to
// loopback, link-local or private addresses, literal or by name, on any hop;
// the refusal happens at dial time.
func TestFault06PrivateRedirects(t *testing.T) {
	var hits atomic.Int32
	private := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(testutil.RSS(`<item><title>secret</title></item>`)))
	})
	privatePort := private.Listener.Addr().String()
	privatePort = privatePort[strings.LastIndexByte(privatePort, ':')+1:]

	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "intranet.test":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %q", host)
	}
	tests := []struct {
		name   string
		target func(f *Fetcher) string
	}{
		{"loopback", func(*Fetcher) string { return private.URL + "/feed" }},
		{"localhost by name", func(*Fetcher) string { return "http://localhost:" + privatePort + "/feed" }},
		{"metadata link-local", func(*Fetcher) string { return "http://169.254.169.254/latest/meta-data/" }},
		{"ipv6 loopback", func(*Fetcher) string { return "http://[::1]:" + privatePort + "/feed" }},
		{"name resolving to 10.x", func(*Fetcher) string { return "http://intranet.test:" + privatePort + "/feed" }},
		{"unspecified", func(*Fetcher) string { return "http://0.0.0.0:" + privatePort + "/feed" }},
		{"second hop", func(f *Fetcher) string {
			return publicSource(t, f, redirectTo(private.URL+"/feed")).URL + "/hop"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			f := newTestFetcher(t, Options{})
			f.lookup = lookup
			target := tt.target(f)
			src := publicSource(t, f, redirectTo(target))
			res := fetchURL(t, f, src.URL+"/feed")
			if !errors.Is(res.Err, ErrBlockedAddress) {
				t.Fatalf("err = %v, want ErrBlockedAddress", res.Err)
			}
			if hits.Load() != 0 {
				t.Errorf("the private server was reached %d times", hits.Load())
			}
		})
	}

	t.Run("dns rebinding", func(t *testing.T) {
		// The source's name resolves to a public address when checked and
		// to a private one when dialled: the dial is refused.
		f := newTestFetcher(t, Options{})
		src := publicSource(t, f, func(w http.ResponseWriter, r *http.Request) {})
		srcAddr := netip.MustParseAddrPort(src.Listener.Addr().String())
		var calls atomic.Int32
		f.lookup = func(context.Context, string) ([]netip.Addr, error) {
			if calls.Add(1) == 1 {
				return []netip.Addr{srcAddr.Addr()}, nil
			}
			return []netip.Addr{netip.MustParseAddr("10.9.9.9")}, nil
		}
		res := fetchURL(t, f, fmt.Sprintf("http://rebind.test:%d/feed", srcAddr.Port()))
		if !errors.Is(res.Err, ErrBlockedAddress) {
			t.Fatalf("err = %v, want ErrBlockedAddress", res.Err)
		}
	})

	t.Run("private source may use private addresses", func(t *testing.T) {
		hits.Store(0)
		src := testutil.Serve(t, redirectTo(private.URL+"/feed")) // 127.0.0.1 itself
		res := fetchURL(t, newTestFetcher(t, Options{}), src.URL)
		mustOK(t, res)
		if hits.Load() != 1 {
			t.Errorf("hits = %d", hits.Load())
		}
	})

	t.Run("AllowPrivate", func(t *testing.T) {
		hits.Store(0)
		f := newTestFetcher(t, Options{AllowPrivate: true})
		src := publicSource(t, f, redirectTo(private.URL+"/feed"))
		mustOK(t, fetchURL(t, f, src.URL))
		if hits.Load() != 1 {
			t.Errorf("hits = %d", hits.Load())
		}
	})

	t.Run("article link of a public source", func(t *testing.T) {
		// Page and article fetches take their policy from the source's URL,
		// not from the link they follow.
		hits.Store(0)
		f := newTestFetcher(t, Options{})
		src := publicSource(t, f, func(http.ResponseWriter, *http.Request) {})
		_, err := f.get(t.Context(), request{URL: private.URL + "/article", Source: src.URL + "/feed"})
		if !errors.Is(err, ErrBlockedAddress) || hits.Load() != 0 {
			t.Fatalf("err = %v, hits = %d; want ErrBlockedAddress and no request", err, hits.Load())
		}
		if _, err := f.get(t.Context(), request{URL: "file:///etc/passwd", Source: src.URL + "/feed"}); !errors.Is(err, ErrScheme) {
			t.Fatalf("file link of an http source: err = %v, want ErrScheme", err)
		}
	})

	for _, target := range []string{"file:///etc/passwd", "ftp://ftp.example/feed", "gopher://x.example/"} {
		t.Run("scheme "+target, func(t *testing.T) {
			src := testutil.Serve(t, redirectTo(target))
			res := fetchURL(t, newTestFetcher(t, Options{}), src.URL)
			if !errors.Is(res.Err, ErrScheme) {
				t.Fatalf("err = %v, want ErrScheme", res.Err)
			}
		})
	}
}

// TestFault06RedirectLimit: a loop and an 11-hop chain end in a bounded
// error; 10 hops are followed.
func TestFault06RedirectLimit(t *testing.T) {
	var hits atomic.Int32
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/loop" {
			http.Redirect(w, r, "/loop", http.StatusMovedPermanently)
			return
		}
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/hop/%d", &n); err == nil && n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		_, _ = w.Write(fixture(t, "rss2.xml"))
	})
	tests := []struct {
		path    string
		wantErr bool
	}{
		{"/hop/10", false},
		{"/hop/11", true},
		{"/loop", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			hits.Store(0)
			res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL+tt.path)
			if tt.wantErr != (res.Err != nil) || tt.wantErr && !errors.Is(res.Err, ErrTooManyRedirects) {
				t.Fatalf("err = %v, want error: %v", res.Err, tt.wantErr)
			}
			if hits.Load() > 11 {
				t.Errorf("%d requests", hits.Load())
			}
		})
	}
}

// TestFault07Charsets: declared, implied and mislabelled encodings give the
// right text; invalid UTF-8 and forbidden characters are cleaned.
func TestFault07Charsets(t *testing.T) {
	latin1 := func(s string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cp1251 := func(s string) []byte {
		b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(order xunicode.Endianness, s string) []byte {
		b, err := xunicode.UTF16(order, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16NoBOM := func(order xunicode.Endianness, s string) []byte {
		b, err := xunicode.UTF16(order, xunicode.IgnoreBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	iso2022jp := func(s string) []byte {
		b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	doc := func(encoding, title string) string {
		decl := `<?xml version="1.0"?>`
		if encoding != "" {
			decl = `<?xml version="1.0" encoding="` + encoding + `"?>`
		}
		return decl + `<rss version="2.0"><channel><title>c</title><item><title>` + title + `</title><link>https://x.example/1</link></item></channel></rss>`
	}
	tests := []struct {
		name, contentType string
		body              []byte
		want              string
	}{
		{"iso-8859-1 in prolog", "application/rss+xml", latin1(doc("ISO-8859-1", "Café à Liège")), "Café à Liège"},
		{"windows-1251 in prolog", "text/xml", cp1251(doc("windows-1251", "Шпионаж в порту")), "Шпионаж в порту"},
		{"charset only in content-type", "application/xml; charset=windows-1251", cp1251(doc("", "Шпионаж")), "Шпионаж"},
		{"content-type wins over prolog", "text/xml; charset=iso-8859-1", latin1(doc("windows-1251", "Café")), "Café"},
		{"prolog says latin-1, bytes are utf-8", "", []byte(doc("ISO-8859-1", "Café 阿里巴巴")), "Café 阿里巴巴"},
		{"prolog says utf-8, bytes are latin-1", "", latin1(doc("UTF-8", "Café à Liège")), "Café à Liège"},
		{"no label, latin-1 bytes", "text/xml", latin1(doc("", "Café")), "Café"},
		{"utf-16le with bom", "", utf16(xunicode.LittleEndian, doc("UTF-16", "Alibaba 阿里巴巴 Шпион")), "Alibaba 阿里巴巴 Шпион"},
		{"utf-16be with bom", "", utf16(xunicode.BigEndian, doc("UTF-16", "Alibaba 阿里巴巴")), "Alibaba 阿里巴巴"},
		{"utf-16be without bom", "", utf16NoBOM(xunicode.BigEndian, doc("UTF-16", "Alibaba 阿里巴巴")), "Alibaba 阿里巴巴"},
		{"utf-16le without bom", "", utf16NoBOM(xunicode.LittleEndian, doc("UTF-16", "Alibaba 阿里巴巴")), "Alibaba 阿里巴巴"},
		// ISO-2022-JP is 7-bit: its bytes are valid UTF-8, yet the label decides.
		{"iso-2022-jp in prolog", "", iso2022jp(doc("ISO-2022-JP", "アリババ集団")), "アリババ集団"},
		{"iso-2022-jp in content-type", "text/xml; charset=iso-2022-jp", iso2022jp(doc("", "アリババ集団")), "アリババ集団"},
		{"utf-8 bom", "", append([]byte{0xEF, 0xBB, 0xBF}, doc("UTF-8", "Café")...), "Café"},
		{"invalid utf-8 among utf-8", "", []byte(doc("UTF-8", "Caf\xe9 \xff阿里")), "Caf\uFFFD \uFFFD阿里"},
		{"raw control characters", "", []byte(doc("", "a\x08b\x00c\x1bd")), "abcd"},
		{"U+FFFE and U+FFFF", "", []byte(doc("", "a\uFFFEb\uFFFFc")), "abc"},
		{"forbidden character references", "", []byte(doc("", "a&#8;b&#x0;c&#xFFFE;d&#xD800;e&#1114112;f")), "abcdef"},
		{"C1 controls and bidi overrides", "", []byte(doc("", "a\u0085b\u202Ec")), "abc"},
		{"noncharacters", "", []byte(doc("", "a\uFDD0b\uFDEFc\U0001FFFEd")), "abcd"},
		{"carriage return reference", "", []byte(doc("", "a&#13;b&#xD;&#xA;c")), "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testutil.ServeBytes(t, tt.contentType, tt.body)
			res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
			mustOK(t, res)
			if len(res.Items) != 1 {
				t.Fatalf("items = %d", len(res.Items))
			}
			if got := res.Items[0].Title; got != tt.want {
				t.Errorf("title = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFault07CleanTextNeverPanics: cleaning arbitrary bytes yields valid
// UTF-8 without control characters.
func TestFault07CleanTextNeverPanics(t *testing.T) {
	for _, s := range []string{"\xff\xfe\x00", "a\x08b", "\uFFFE", "\xed\xa0\x80", "ok", "\r\n", strings.Repeat("\x80", 1000)} {
		got := cleanText(s)
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\x00\x08\r\uFFFE") {
			t.Errorf("cleanText(%q) = %q", s, got)
		}
	}
}

// TestFault08CommentsBeforeRoot: more than 4 KB before the root element is
// a clear "not a feed" error, not an empty feed.
func TestFault08CommentsBeforeRoot(t *testing.T) {
	body := `<?xml version="1.0"?><!-- ` + strings.Repeat("padding ", 700) + ` -->` + testutil.RSS(`<item><title>x</title></item>`)[len(`<?xml version="1.0" encoding="UTF-8"?>`):]
	srv := testutil.ServeBytes(t, "application/rss+xml", []byte(body))
	res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
	if !errors.Is(res.Err, ErrNotFeed) || !strings.Contains(res.Err.Error(), "4 KB") {
		t.Fatalf("err = %v, want ErrNotFeed naming the 4 KB window", res.Err)
	}
}

// TestFault09Dates: odd dates keep the item with a sane date, the same under
// any local time zone (checked by re-running this test in child processes).
func TestFault09Dates(t *testing.T) {
	items := ""
	dates := []string{
		"Lun, 05 Jan 2026 10:00:00 +0100", // localised day name
		"Mon, 05 Jan 2026 10:00:00 EST",
		"Mon, 05 Jan 2026 10:00:00 PDT",
		"2026-01-05T10:00:00",             // no zone
		"Mon, 05 Jan 2026 10:00:00",       // no zone, RFC 822 style
		"Lun, 05 Jan 2026 10:00:00",       // localised, no zone
		"Mon, 05 Jan 2026 10:00:00 IST",   // an abbreviation that means something only in some zones
		"Lun, 05 Jan 2026 10:00:00 CEST",  // localised with a named zone
		"0001-01-01T00:00:00Z",            // year 1
		"Thu, 01 Jan 2099 00:00:00 +0000", // future
		"",                                // missing
		"not a date",
	}
	for i, d := range dates {
		pub := ""
		if d != "" {
			pub = "<pubDate>" + d + "</pubDate>"
		}
		items += fmt.Sprintf(`<item><title>item %d</title><link>https://x.example/%d</link>%s</item>`, i, i, pub)
	}
	want := []time.Time{
		time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC),
		{},
		fixedNow,
		{},
		{},
	}
	srv := testutil.ServeBytes(t, "application/rss+xml", []byte(testutil.RSS(items)))
	res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
	mustOK(t, res)
	if len(res.Items) != len(dates) {
		t.Fatalf("kept %d of %d items", len(res.Items), len(dates))
	}
	var out strings.Builder
	for i, it := range res.Items {
		if !it.Published.Equal(want[i]) || it.Published.Location() != time.UTC {
			t.Errorf("%q: published %v, want %v (UTC)", dates[i], it.Published, want[i])
		}
		fmt.Fprintf(&out, "%s %s\n", it.Key, it.Published.Format(time.RFC3339Nano))
	}
	if file := os.Getenv("SCRAPER_DATES_OUT"); file != "" {
		if err := os.WriteFile(file, []byte(out.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		return
	}
	var outputs []string
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Kolkata"} {
		file := filepath.Join(t.TempDir(), "dates")
		cmd := exec.Command(os.Args[0], "-test.run=^TestFault09Dates$")
		cmd.Env = append(os.Environ(), "TZ="+tz, "SCRAPER_DATES_OUT="+file)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("TZ=%s: %v\n%s", tz, err, b)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	for i := range outputs {
		if outputs[i] != out.String() {
			t.Errorf("results differ by time zone:\n%s\nvs\n%s", outputs[i], out.String())
		}
	}
}

// TestFault10RelativeLinksAfterRedirect: relative links, with and without
// xml:base, resolve against the final URL.
func TestFault10RelativeLinksAfterRedirect(t *testing.T) {
	rss := testutil.RSS(`<item><title>a</title><link>item-a</link></item><item><title>b</title><link>/root-b</link></item><item><title>c</title><link>//cdn.example/c</link></item>`)
	atom := `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/atom-base/"><title>t</title>` +
		`<entry><title>a</title><id>1</id><link href="entry-a"/></entry>` +
		`<entry xml:base="https://other.example/dir/"><title>b</title><id>2</id><link href="entry-b"/></entry></feed>`
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old/rss":
			http.Redirect(w, r, "/new/feeds/rss.xml", http.StatusMovedPermanently)
		case "/old/atom":
			http.Redirect(w, r, "/new/feeds/atom.xml", http.StatusMovedPermanently)
		case "/new/feeds/rss.xml":
			_, _ = w.Write([]byte(rss))
		case "/new/feeds/atom.xml":
			_, _ = w.Write([]byte(atom))
		default:
			http.NotFound(w, r)
		}
	})
	tests := []struct {
		path  string
		links []string
	}{
		{"/old/rss", []string{srv.URL + "/new/feeds/item-a", srv.URL + "/root-b", "http://cdn.example/c"}},
		{"/old/atom", []string{srv.URL + "/atom-base/entry-a", "https://other.example/dir/entry-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL+tt.path)
			mustOK(t, res)
			var got []string
			for _, it := range res.Items {
				got = append(got, it.Link)
			}
			if strings.Join(got, " ") != strings.Join(tt.links, " ") {
				t.Errorf("links = %q, want %q", got, tt.links)
			}
		})
	}
}

// TestFault11HTMLInsteadOfFeed: a rate-limit page served with 200 is a feed
// error, and the source's state is handed back untouched.
func TestFault11HTMLInsteadOfFeed(t *testing.T) {
	pages := map[string]struct{ contentType, body, want string }{
		"text/html":          {"text/html; charset=utf-8", `<!DOCTYPE html><html><head><title>Too Many Requests</title></head><body>Slow down</body></html>`, "got an HTML page"},
		"html as xml":        {"application/rss+xml", `<html><body><h1>Rate limited</h1></body></html>`, "got an HTML page"},
		"empty body":         {"application/rss+xml", ``, "empty body"},
		"blank body":         {"application/rss+xml", " \n ", "empty body"},
		"plain text message": {"text/plain", `rate limit exceeded`, "no <rss>, <rdf:RDF>, <feed> or JSON object"},
	}
	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", p.contentType)
				w.Header().Set("ETag", `"rate-limit"`)
				_, _ = w.Write([]byte(p.body))
			})
			f := newTestFetcher(t, Options{})
			res := f.Fetch(t.Context(), Source{Name: "limited", Feed: srv.URL, ETag: `"good"`, LastModified: "Mon, 05 Jan 2026 07:30:00 GMT"})
			if !errors.Is(res.Err, ErrNotFeed) || !strings.Contains(res.Err.Error(), p.want) {
				t.Fatalf("err = %v, want ErrNotFeed saying %q", res.Err, p.want)
			}
			if res.Items != nil || res.ETag != `"good"` || res.LastModified != "Mon, 05 Jan 2026 07:30:00 GMT" || res.NotModified {
				t.Errorf("state touched: %+v", res)
			}
		})
	}
}

// TestFault12ItemCounts: zero items is a success; 1,000 items all arrive with
// distinct keys; an item that leaves and comes back keeps its key.
func TestFault12ItemCounts(t *testing.T) {
	t.Run("zero items", func(t *testing.T) {
		srv := testutil.ServeBytes(t, "application/rss+xml", []byte(testutil.RSS("")))
		res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
		mustOK(t, res)
		if len(res.Items) != 0 {
			t.Errorf("items = %d", len(res.Items))
		}
	})
	t.Run("1000 items", func(t *testing.T) {
		var b strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&b, `<item><title>Story %d</title><link>https://x.example/s/%d?utm_source=rss</link><guid>g%d</guid></item>`, i, i, i)
		}
		srv := testutil.ServeBytes(t, "application/rss+xml", []byte(testutil.RSS(b.String())))
		res := fetchURL(t, newTestFetcher(t, Options{}), srv.URL)
		mustOK(t, res)
		keys := map[string]bool{}
		for _, it := range res.Items {
			keys[it.Key] = true
		}
		if len(res.Items) != 1000 || len(keys) != 1000 {
			t.Errorf("items = %d, distinct keys = %d", len(res.Items), len(keys))
		}
	})
	t.Run("item leaves and comes back", func(t *testing.T) {
		a := `<item><title>A</title><guid>ga</guid></item>`
		b := `<item><title>B</title><link>https://x.example/b</link></item>`
		c := `<item><title>C</title><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>`
		var body atomic.Value
		srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body.Load().(string))) })
		f := newTestFetcher(t, Options{})
		keys := func(items string) []string {
			body.Store(testutil.RSS(items))
			res := fetchURL(t, f, srv.URL)
			mustOK(t, res)
			var ks []string
			for _, it := range res.Items {
				ks = append(ks, it.Key)
			}
			return ks
		}
		first := keys(a + b + c)
		_ = keys(b)
		again := keys(c + a + b)
		if first[0] != again[1] || first[1] != again[2] || first[2] != again[0] {
			t.Errorf("keys changed: %q then %q", first, again)
		}
	})
}

// TestFault13DuplicateIdentities: items sharing a GUID or a link are told
// apart when they are different articles, and copies are kept once.
func TestFault13DuplicateIdentities(t *testing.T) {
	tests := []struct {
		name      string
		items     string
		wantItems int
		wantKeys  []string // when set, the keys in feed order
	}{
		{"same guid, different links", `<item><title>A</title><link>https://x.example/a</link><guid>same</guid></item>` +
			`<item><title>B</title><link>https://x.example/b</link><guid>same</guid></item>`, 2, []string{"https://x.example/a", "https://x.example/b"}},
		{"same guid, no links", `<item><title>A</title><guid>same</guid></item><item><title>B</title><guid>same</guid></item>`, 2, nil},
		{"same link, different guids", `<item><title>A</title><link>https://site.example/</link><guid>1</guid></item>` +
			`<item><title>B</title><link>https://site.example/</link><guid>2</guid></item>` +
			`<item><title>C</title><link>https://site.example/</link><guid>3</guid></item>`, 3, []string{"guid:1", "guid:2", "guid:3"}},
		{"guid permalink, no link", `<item><title>A</title><guid>https://x.example/a?utm_source=rss</guid></item>` +
			`<item><title>B</title><guid isPermaLink="false">tag:x.example,2026:b</guid></item>`, 2, []string{"https://x.example/a", "guid:tag:x.example,2026:b"}},
		{"same link, no guids", `<item><title>A</title><link>https://site.example/</link></item><item><title>B</title><link>https://site.example/</link></item>`, 2, nil},
		{"the same article twice", `<item><title>A</title><link>https://x.example/a?utm_source=1</link></item>` +
			`<item><title>A</title><link>http://x.example/a#c</link></item>`, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testutil.ServeBytes(t, "application/rss+xml", []byte(testutil.RSS(tt.items)))
			f := newTestFetcher(t, Options{})
			res := fetchURL(t, f, srv.URL)
			mustOK(t, res)
			keys := map[string]bool{}
			for _, it := range res.Items {
				keys[it.Key] = true
			}
			if len(res.Items) != tt.wantItems || len(keys) != tt.wantItems {
				t.Fatalf("items = %d, keys = %d, want %d", len(res.Items), len(keys), tt.wantItems)
			}
			for i, want := range tt.wantKeys {
				if res.Items[i].Key != want {
					t.Errorf("key of item %d = %q, want %q", i, res.Items[i].Key, want)
				}
			}
			again := fetchURL(t, f, srv.URL)
			for i := range again.Items {
				if again.Items[i].Key != res.Items[i].Key {
					t.Errorf("key of item %d changed between fetches", i)
				}
			}
		})
	}
}

// TestCheckDepth: the nesting count skips what is not an element (comments,
// CDATA, declarations) and empty-element tags, and is not fooled by a '>'
// or "/>" inside an attribute value.
func TestCheckDepth(t *testing.T) {
	const limit = 3
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"within the limit", `<a><b><c></c></b></a>`, true},
		{"over the limit", `<a><b><c><d></d></c></b></a>`, false},
		{"unclosed", `<a><b><c><d>`, false},
		{"siblings", `<a></a><b></b><c></c><d></d><e></e>`, true},
		{"empty elements", `<a><b/><b/><b /><b x="1"/><b/></a>`, true},
		{"tags in a comment", `<a><!-- -> <b><c><d><e> --></a>`, true},
		{"tags in CDATA", `<a><![CDATA[ x > <b><c><d><e> ]]></a>`, true},
		{"declaration and instruction", `<?xml version="1.0"?><!DOCTYPE a><a><?pi x?><b></b></a>`, true},
		{"quoted />", `<a t="/>"><b t='/>'><c t="x/>"><d>`, false},
		{"quoted >", `<a t=">"><b t='>'><c t=">"></c></b></a>`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDepth([]byte(tt.doc), limit)
			if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("checkDepth(%q) = %v, want ok %v", tt.doc, err, tt.ok)
			}
		})
	}
}
