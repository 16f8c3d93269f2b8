package scraper

import (
	"net/url"
	"newswatch/internal/testutil"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFetchFeedFormats(t *testing.T) {
	type want struct {
		key, link, title string
		published        time.Time
	}
	tests := []struct {
		name        string
		fixture     string
		contentType string
		want        []want
	}{
		{
			name: "rss2", fixture: "rss2.xml", contentType: "application/rss+xml",
			want: []want{
				{key: "https://therecord.example/cainiao-espionage", link: "https://therecord.example/cainiao-espionage?utm_source=rss&utm_medium=feed",
					title: "Cainiao accused of espionage in Belgian port", published: time.Date(2026, 1, 5, 6, 30, 0, 0, time.UTC)},
				{key: "/2026/01/relative-item", link: "/2026/01/relative-item", title: "Relative link item", published: time.Date(2026, 1, 6, 8, 0, 0, 0, time.UTC)},
				{key: "guid:rec-1003", title: "Guid only"},
			},
		},
		{
			name: "atom", fixture: "atom.xml", contentType: "application/atom+xml",
			want: []want{
				{key: "https://blog.example/news/zero-day", link: "https://blog.example/news/zero-day", title: "Alibaba Cloud zero-day", published: time.Date(2026, 1, 5, 18, 30, 2, 0, time.UTC)},
				{key: "https://blog.example/news/sanctions", link: "https://blog.example/news/sanctions", title: "Relative via xml:base", published: time.Date(2026, 1, 4, 15, 0, 0, 0, time.UTC)},
			},
		},
		{
			name: "rss091", fixture: "rss091.xml", contentType: "text/xml",
			want: []want{
				{key: "https://old.example/sanctions.html", link: "http://old.example/sanctions.html", title: "Sanctions on a logistics firm"},
			},
		},
		{
			name: "rss1", fixture: "rss1.xml", contentType: "application/rdf+xml",
			want: []want{
				{key: "https://rdf.example/a", link: "https://rdf.example/a", title: "RDF item about spying", published: time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC)},
			},
		},
		{
			name: "jsonfeed", fixture: "feed.json", contentType: "application/feed+json",
			want: []want{
				{key: "https://json.example/military-ties", link: "https://json.example/military-ties#comments", title: "Military ties of a logistics firm", published: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)},
				{key: "guid:j2", title: "No url", published: fixedNow}, // 2099 clamped
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testutil.ServeBytes(t, tt.contentType, fixture(t, tt.fixture))
			f := newTestFetcher(t, Options{})
			res := fetchURL(t, f, srv.URL+"/feed")
			mustOK(t, res)
			if len(res.Items) != len(tt.want) {
				t.Fatalf("got %d items, want %d: %+v", len(res.Items), len(tt.want), res.Items)
			}
			for i, w := range tt.want {
				it := res.Items[i]
				if w.link != "" && w.link[0] == '/' { // relative in the fixture: resolved against the server
					w.link = srv.URL + w.link
					k, _ := NormalizeURL(w.link)
					w.key = k
				}
				if it.Key != w.key || it.Link != w.link || it.Title != w.title || !it.Published.Equal(w.published) {
					t.Errorf("item %d:\n got key=%q link=%q title=%q published=%v\nwant key=%q link=%q title=%q published=%v",
						i, it.Key, it.Link, it.Title, it.Published, w.key, w.link, w.title, w.published)
				}
			}
		})
	}
}

func TestFetchFileSource(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("testdata", "rss2.xml"))
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: path}).String()
	f := newTestFetcher(t, Options{})
	res := fetchURL(t, f, u)
	mustOK(t, res)
	if len(res.Items) != 3 || res.Items[0].Title != "Cainiao accused of espionage in Belgian port" {
		t.Fatalf("items = %+v", res.Items)
	}
	// The relative link cannot resolve to http(s) against a file URL.
	if res.Items[1].Link != "" || res.Items[1].Key != "guid:rec-1002" {
		t.Errorf("relative link in a file feed: link=%q key=%q", res.Items[1].Link, res.Items[1].Key)
	}
	if res.ETag == "" {
		t.Fatal("no validator for a file source")
	}
	again := f.Fetch(t.Context(), Source{Name: "file", Feed: u, ETag: res.ETag})
	mustOK(t, again)
	if !again.NotModified {
		t.Errorf("unchanged file not reported as not modified")
	}
}

// TestFetchFileSourceRefused: a file:// URL naming another host, or a
// path that is not a regular file (a directory, a device, a pipe), is
// not read.
func TestFetchFileSourceRefused(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]struct {
		url  string
		want string
	}{
		"other host": {(&url.URL{Scheme: "file", Host: "intranet.example", Path: "/feeds/rss.xml"}).String(), `file URL with host "intranet.example"`},
		"directory":  {(&url.URL{Scheme: "file", Path: dir}).String(), "is not a regular file"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res := fetchURL(t, newTestFetcher(t, Options{}), tt.url)
			if res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", res.Err, tt.want)
			}
		})
	}
}

// TestFetchFeedWithCredentials: a feed whose URL carries a user name and
// password, with a relative item link: the item's link, shown to every
// reader, has no credentials (nor has its key).
func TestFetchFeedWithCredentials(t *testing.T) {
	srv := testutil.ServeBytes(t, "application/rss+xml", fixture(t, "rss2.xml"))
	f := newTestFetcher(t, Options{})
	res := fetchURL(t, f, "http://user:hunter2@"+strings.TrimPrefix(srv.URL, "http://")+"/feed")
	mustOK(t, res)
	it := res.Items[1] // "/2026/01/relative-item" in the fixture
	if want := srv.URL + "/2026/01/relative-item"; it.Link != want {
		t.Errorf("link %q, want %q: no credentials", it.Link, want)
	}
	if strings.Contains(it.Key, "hunter2") {
		t.Errorf("key %q holds the password", it.Key)
	}
}
