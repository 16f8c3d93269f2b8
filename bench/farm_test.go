package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/match"
)

// TestMain lets the test binary play the roles the harness re-executes
// itself for (-measure-child, -serve).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "-measure-child" || os.Args[1] == "-serve") {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestFeedsParse(t *testing.T) {
	farm := NewFarm(4, time.Now())
	mentions, items := 0, 0
	for i, body := range farm.Bodies([]int{0, 1, 2, 3}) {
		f, err := newParser().Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("feed %d: %v", i, err)
		}
		if want := map[bool]string{false: "rss", true: "atom"}[isAtom(i)]; f.FeedType != want {
			t.Errorf("feed %d is %s, want %s", i, f.FeedType, want)
		}
		if len(f.Items) != itemsPerFeed {
			t.Fatalf("feed %d has %d items, want %d", i, len(f.Items), itemsPerFeed)
		}
		for _, it := range f.Items {
			text := match.Prepare(it.Content)
			if len(text) < 900 || len(text) > 3300 {
				t.Errorf("feed %d item %q: %d bytes of prose, want 1–3 KB", i, it.Title, len(text))
			}
			if it.PublishedParsed == nil || it.PublishedParsed.After(time.Now()) {
				t.Errorf("feed %d item %q: published %v", i, it.Title, it.PublishedParsed)
			}
			items++
		}
	}
	for feed := range 40 {
		for seq := range itemsPerFeed {
			if genArticle(feed, seq).Mentions {
				mentions++
			}
		}
	}
	if rate := float64(mentions) / (40 * itemsPerFeed); rate < 0.01 || rate > 0.06 {
		t.Errorf("%.1f %% of items mention a tracked company, want a few %%", 100*rate)
	}
	again := NewFarm(2, time.Now())
	if !bytes.Equal(farm.Bodies([]int{1})[0], again.Bodies([]int{1})[0]) {
		t.Error("the same feed generated twice differs")
	}
}

func TestServer(t *testing.T) {
	farm := NewFarm(40, time.Now())
	if err := farm.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer farm.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	url := farm.URL(7)
	resp, body := get(t, url)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != 200 || etag == "" || lm == "" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("plain GET: %s, ETag %q, Last-Modified %q, Content-Encoding %q", resp.Status, etag, lm, resp.Header.Get("Content-Encoding"))
	}
	resp, gz := get(t, url, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("no gzip when asked")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if unz, _ := io.ReadAll(zr); !bytes.Equal(unz, body) {
		t.Error("gzip body differs from the plain one")
	}
	for name, hdr := range map[string][]string{
		"etag":          {"If-None-Match", etag},
		"strong etag":   {"If-None-Match", strings.TrimPrefix(etag, "W/")},
		"last-modified": {"If-Modified-Since", lm},
	} {
		if resp, _ := get(t, url, hdr...); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s: %s, want 304", name, resp.Status)
		}
	}
	if resp, _ := get(t, farm.URL(8), "If-None-Match", etag); resp.StatusCode != 200 {
		t.Errorf("another feed's ETag: %s, want 200", resp.Status)
	}
	farm.Reset()
	changed := farm.Change(40)
	if len(changed) != 2 || changed[0] != 7 {
		t.Fatalf("Change(40) = %v, want 2 feeds (5 %%) starting at 7", changed)
	}
	resp, _ = get(t, url, "If-None-Match", etag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag {
		t.Errorf("changed feed: %s, ETag %q (was %q)", resp.Status, resp.Header.Get("ETag"), etag)
	}
	farm.Restore()
	if resp, _ := get(t, url, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("restored feed: %s, want 304", resp.Status)
	}
	if resp, _ := get(t, "http://"+farm.Addr()+"/feeds/00007.rss"); resp.StatusCode != 404 {
		t.Errorf("wrong extension: %s, want 404", resp.Status)
	}
	client.CloseIdleConnections()
	s := farm.Stats()
	if s.Requests != 3 || s.OK != 1 || s.NotModified != 1 || s.Other != 1 || s.RxBytes == 0 || s.TxBytes == 0 {
		t.Errorf("counters after Reset: %+v", s)
	}
}

func TestDownloader(t *testing.T) {
	farm := NewFarm(6, time.Now())
	if err := farm.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer farm.Close()
	urls := []string{farm.URL(0), farm.URL(1), farm.URL(2), farm.URL(3), farm.URL(4), farm.URL(5)}
	v := newValidators()
	ctx := context.Background()
	for _, want := range []Stats{{Requests: 6, OK: 6, Gzipped: 6}, {Requests: 6, NotModified: 6}} {
		farm.Reset()
		if _, err := download(ctx, urls, 3, v); err != nil {
			t.Fatal(err)
		}
		s := farm.Stats()
		if s.Requests != want.Requests || s.OK != want.OK || s.NotModified != want.NotModified || s.Gzipped != want.Gzipped {
			t.Errorf("downloader: %+v, want %+v", s, want)
		}
	}
	if _, n, err := parseAll(farm.Bodies([]int{0, 1, 2}), 2); err != nil || n != 3*itemsPerFeed {
		t.Errorf("parseAll: %d items, %v", n, err)
	}
}

// TestConfig checks that the bench config is one newswatch accepts, with a
// watchlist of the size asked for.
func TestConfig(t *testing.T) {
	dir := t.TempDir()
	path, err := writeConfig(dir, "127.0.0.1:9", configOptions{Feeds: 3, Concurrency: 4, Terms: 1000})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 3 || cfg.HTTP.Concurrency != 4 || cfg.HTTP.PerHostDelay != 0 {
		t.Errorf("sources %d, concurrency %d, per-host delay %s", len(cfg.Sources), cfg.HTTP.Concurrency, cfg.HTTP.PerHostDelay)
	}
	cs, ts := watchlist(1000)
	if n := countTerms(cs, ts); n < 1000 || n > 1010 {
		t.Errorf("watchlist of %d terms, want about 1000", n)
	}
	var mcs []match.Company
	for _, c := range cfg.Companies {
		mcs = append(mcs, match.Company{Name: c.Name, Aliases: c.Aliases, Exclude: c.Exclude})
	}
	var mts []match.Topic
	for _, tp := range cfg.Topics {
		mts = append(mts, match.Topic{Name: tp.Name, Terms: tp.Terms})
	}
	wl, err := match.Compile(mcs, mts)
	if err != nil {
		t.Fatal(err)
	}
	// The prose's tracked mentions are relevant under this watchlist.
	matched := 0
	for seq := range 400 {
		a := genArticle(3, seq)
		hits := wl.Match(match.Text{Title: match.Prepare(a.Title), Body: strings.Join(a.Paragraphs, "\n")})
		if a.Mentions != (len(hits) > 0) {
			t.Errorf("item %d (mentions a tracked company: %v): hits %+v", seq, a.Mentions, hits)
		}
		if a.Mentions && len(hits) > 0 {
			matched++
		}
	}
	if matched == 0 {
		t.Error("no generated item matched the watchlist")
	}
}

// TestHarness runs the whole harness on a small farm. It builds and runs
// the newswatch binary, so it only runs when NEWSWATCH_BENCH is set.
func TestHarness(t *testing.T) {
	if os.Getenv("NEWSWATCH_BENCH") == "" {
		t.Skip("set NEWSWATCH_BENCH=1 to build newswatch and run the harness on 40 feeds")
	}
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"-n", "40", "-reps", "1", "-latency-n", "40", "-match-n", "40", "-latency", "10ms"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, errs.String(), out.String())
	}
	if strings.Contains(errs.String(), "warning") {
		t.Errorf("warnings:\n%s", errs.String())
	}
	t.Log(out.String())
}
