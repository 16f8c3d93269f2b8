package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestDiscoverCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><link rel="alternate" type="application/atom+xml" title="Europe Desk" href="/europe.atom"></head><body></body></html>`)
	}))
	t.Cleanup(srv.Close)
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-config", filepath.Join(t.TempDir(), "none.toml"), "discover", srv.URL + "/news"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc struct{ Sources []sourceEntry }
	if err := toml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, out.String())
	}
	if len(doc.Sources) != 1 || doc.Sources[0].Name != "Europe Desk" || doc.Sources[0].Feed != srv.URL+"/europe.atom" {
		t.Errorf("sources %+v\n%s", doc.Sources, out.String())
	}
}

// TestOPML: import prints an entry for each feed of a feed reader's export
// (names from the outlines, nested folders included), skipping the feeds
// the config has; export writes the configured feeds, which import reads
// back as already configured.
func TestOPML(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "newswatch.toml")
	cfg := `[[sources]]
name = "Krebs"
feed = "http://KrebsOnSecurity.com/feed/?utm_source=x"

[[sources]]
name = "Page"
page = "https://example.org/news"
links = "h3 a"

[[companies]]
name = "Alibaba"

[[digests]]
name = "Morning"
schedule = "0 7 * * *"
to = ["me@example.org"]
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-config", cfgPath, "opml", "import", filepath.Join("testdata", "feedly.opml")}, &out, &errOut); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut.String())
	}
	var doc struct{ Sources []sourceEntry }
	if err := toml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, out.String())
	}
	var got []string
	for _, s := range doc.Sources {
		got = append(got, s.Name+" = "+s.Feed)
	}
	want := []string{
		"Euronews Business = https://www.euronews.com/rss?level=vertical&name=business",
		"Reuters – Markets = https://example.org/markets/rss.xml",
		"The Hacker News = https://feeds.feedburner.com/TheHackersNews",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("imported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(out.String(), "1 feed already configured") {
		t.Errorf("no note of the skipped feed:\n%s", out.String())
	}

	out.Reset()
	if code := run(t.Context(), []string{"-config", cfgPath, "opml", "export"}, &out, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	exported := filepath.Join(dir, "out.opml")
	if err := os.WriteFile(exported, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `xmlUrl="http://KrebsOnSecurity.com/feed/?utm_source=x"`) || strings.Contains(out.String(), "example.org/news") {
		t.Errorf("export:\n%s", out.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"-config", cfgPath, "opml", "import", exported}, &out, &errOut); code != 0 {
		t.Fatalf("re-import: exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "[[sources]]") {
		t.Errorf("re-import of the export prints entries:\n%s", out.String())
	}
}

// TestFetchSaysDiscoveredFeed: fetch follows a page to the feed it
// advertises and says which feed it used.
func TestFetchSaysDiscoveredFeed(t *testing.T) {
	rss, err := os.ReadFile(filepath.Join("..", "..", "examples", "feeds", "markets.rss"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/markets.rss" {
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = w.Write(rss)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><link rel="alternate" type="application/rss+xml" href="/markets.rss"></head><body></body></html>`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "newswatch.toml")
	cfg := fmt.Sprintf(`database = "nw.db"
[http]
per_host_delay = "0s"
[output]
dir = "out"
[[sources]]
name = "Markets"
feed = "%s/markets"
[[companies]]
name = "Alibaba"
[[digests]]
name = "Morning"
schedule = "0 7 * * *"
to = ["me@example.org"]
`, srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-config", cfgPath, "fetch"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	if want := "Markets: its feed URL is a web page; used the feed it advertises, " + srv.URL + "/markets.rss"; !strings.Contains(out.String(), want) {
		t.Errorf("output does not say %q:\n%s", want, out.String())
	}
}

// TestDiscoverBelowThePage: a page that advertises no feed is probed for
// the common feed paths below its own folder first (/markets/rss.xml for
// /markets/), before the site's root.
func TestDiscoverBelowThePage(t *testing.T) {
	const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://example.org/</link>` +
		`<item><title>One</title><link>https://example.org/one</link></item></channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/markets/rss.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, rss, "Markets")
		case "/feed":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, rss, "Everything")
		case "/markets/", "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><title>Markets</title></head><body></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	code, out, errOut := runCmd(t, "-config", filepath.Join(t.TempDir(), "none.toml"), "discover", srv.URL+"/markets/")
	if code != exitOK || !strings.Contains(out, srv.URL+"/markets/rss.xml") || strings.Contains(out, srv.URL+"/feed'") || !strings.Contains(out, "name = 'Markets'") {
		t.Errorf("discover of /markets/: exit %d, want the feed below it\n%s%s", code, out, errOut)
	}
}

// sourceEntry is one [[sources]] entry as discover and opml import print it.
type sourceEntry struct {
	Name string `toml:"name"`
	Feed string `toml:"feed"`
}
