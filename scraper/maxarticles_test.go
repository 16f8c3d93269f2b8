package scraper

import (
	"context"
	"fmt"
	"net/http"
	"newswatch/internal/testutil"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMaxArticles: a full_text feed fetches at most max_articles pages per
// run, newest first; the other new items are not returned (so they are not
// stored as known) and the feed's validators are not advanced, so the next
// run gets them, with their pages.
func TestMaxArticles(t *testing.T) {
	var pages atomic.Int32
	var srvURL string
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/a/") {
			pages.Add(1)
			fmt.Fprintf(w, `<html><body><article><p>Text of article %s, long enough to read.</p></article></body></html>`, r.URL.Path)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		var b strings.Builder
		b.WriteString(`<rss version="2.0"><channel><title>t</title>`)
		for i := 1; i <= 5; i++ { // item i is i days old: 1 is the newest
			d := fixedNow.Add(-time.Duration(i) * 24 * time.Hour).Format(time.RFC1123Z)
			fmt.Fprintf(&b, `<item><title>Item %d</title><link>%s/a/%d</link><pubDate>%s</pubDate></item>`, i, srvURL, i, d)
		}
		b.WriteString(`</channel></rss>`)
		fmt.Fprint(w, b.String())
	})
	srvURL = srv.URL
	stored := map[string]bool{}
	f := newTestFetcher(t, Options{Known: func(_ context.Context, keys []string) (map[string]bool, error) {
		m := map[string]bool{}
		for _, k := range keys {
			m[k] = stored[k]
		}
		return m, nil
	}})
	src := Source{Name: "full", Feed: srv.URL + "/feed", FullText: true, MaxArticles: 2}
	var titles []string
	for run := 1; run <= 3; run++ {
		res := f.Fetch(t.Context(), src)
		mustOK(t, res)
		var got []string
		for _, it := range res.Items {
			if stored[it.Key] {
				continue
			}
			if it.Body == "" {
				t.Errorf("run %d: %q stored without its page", run, it.Title)
			}
			stored[it.Key] = true
			got = append(got, it.Title)
		}
		titles = append(titles, strings.Join(got, ", "))
		if run < 3 && res.ETag != "" {
			t.Errorf("run %d: validators advanced to %q with items held back", run, res.ETag)
		}
		src.ETag, src.LastModified = res.ETag, res.LastModified
	}
	want := []string{"Item 1, Item 2", "Item 3, Item 4", "Item 5"}
	if strings.Join(titles, " | ") != strings.Join(want, " | ") {
		t.Errorf("new items per run %q, want %q", titles, want)
	}
	if n := pages.Load(); n != 5 {
		t.Errorf("%d article pages fetched, want 5", n)
	}
}
