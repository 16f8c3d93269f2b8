package scraper

import (
	"fmt"
	"net/http"
	"newswatch/internal/testutil"
	"testing"
)

// TestFeedDiscovery: a source URL that is a web page is followed to the
// feed it advertises, or to a feed at a common path, and the result says
// which feed was used; Discover lists a page's feeds.
func TestFeedDiscovery(t *testing.T) {
	rss := fixture(t, "rss2.xml")
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/news":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html><head><title>News</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="Business RSS" href="/business/rss.xml">
<link rel="alternate" type="application/atom+xml" title="All (Atom)" href="feeds/all.atom">
</head><body><a href="/other.rss">not advertised</a></body></html>`)
		case "/bare":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><head><title>Bare</title></head><body>No links here.</body></html>`)
		case "/business/rss.xml", "/rss.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = w.Write(rss)
		default:
			http.NotFound(w, r)
		}
	})
	f := newTestFetcher(t, Options{})

	res := fetchURL(t, f, srv.URL+"/news")
	mustOK(t, res)
	if res.FeedURL != srv.URL+"/business/rss.xml" || len(res.Items) == 0 {
		t.Errorf("FeedURL = %q with %d items, want the advertised RSS feed", res.FeedURL, len(res.Items))
	}
	res = fetchURL(t, f, srv.URL+"/bare")
	mustOK(t, res)
	if res.FeedURL != srv.URL+"/rss.xml" {
		t.Errorf("FeedURL = %q, want the common path /rss.xml", res.FeedURL)
	}
	feeds, err := f.Discover(t.Context(), srv.URL+"/news")
	if err != nil {
		t.Fatal(err)
	}
	want := []FeedLink{
		{URL: srv.URL + "/business/rss.xml", Title: "Business RSS", Type: "application/rss+xml"},
		{URL: srv.URL + "/feeds/all.atom", Title: "All (Atom)", Type: "application/atom+xml"},
	}
	if fmt.Sprint(feeds) != fmt.Sprint(want) {
		t.Errorf("Discover = %v, want %v", feeds, want)
	}
	if res := fetchURL(t, f, srv.URL+"/business/rss.xml"); res.FeedURL != "" {
		t.Errorf("a plain feed reports FeedURL %q", res.FeedURL)
	}
}
