package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
	"newswatch/scraper"
	"newswatch/store"
)

const rss = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Cainiao accused of spying on customers</title><link>https://news.example/cainiao-spying</link>
<description>Officials say the Alibaba logistics arm shared data.</description></item>
<item><title>Markets close higher</title><link>https://news.example/markets</link>
<description>Nothing about tracked companies.</description></item>
</channel></rss>`

// server serves the RSS above at /feed (with an ETag, so a second fetch is a
// 304) and fails at /broken.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// pipeline builds the pipeline of a config with sources Wire (/feed) and
// Broken (/broken) over a fresh store, with its clock at now.
func pipeline(t *testing.T, now time.Time) (*Pipeline, *config.Config, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	toml := fmt.Sprintf(`database = "nw.db"
[http]
per_host_delay = "0s"
[output]
dir = "out"
[[sources]]
name = "Wire"
feed = "%[1]s/feed"
[[sources]]
name = "Broken"
feed = "%[1]s/broken"
[[companies]]
name = "Alibaba"
aliases = ["Cainiao"]
[[topics]]
name = "Espionage"
terms = ["spying"]
[[digests]]
name = "Morning"
schedule = "0 7 * * *"
to = ["a@example.org"]
`, server(t).URL)
	cfg, wl := loadConfig(t, path, toml)
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(cfg, st, wl, WithClock(func() time.Time { return now })), cfg, st
}

// loadConfig writes toml to path and loads it with its watchlist.
func loadConfig(t *testing.T, path, toml string) (*config.Config, *match.Watchlist) {
	t.Helper()
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	wl, err := CompileWatchlist(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, wl
}

// searchReadOnly is how many items a read-only store of cfg's database
// finds for text: those in the search index.
func searchReadOnly(t *testing.T, cfg *config.Config, text string) int {
	t.Helper()
	ctx := context.Background()
	ro, err := store.OpenReadOnly(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	res, err := ro.Search(ctx, store.SearchQuery{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// TestRunIndexesForTheConsole: with a console, the run's items are in the
// search index when it ends.
func TestRunIndexesForTheConsole(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	p, cfg, st := pipeline(t, now)
	cfg.Web = &config.Web{}
	p = New(cfg, st, p.Watchlist(), WithClock(func() time.Time { return now }))
	if _, err := p.Run(context.Background(), cfg.Sources, nil); err != nil {
		t.Fatal(err)
	}
	if n := searchReadOnly(t, cfg, "cainiao"); n != 1 {
		t.Errorf("the run's items in the search index: %d found, want 1", n)
	}
}

func TestRun(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	p, cfg, st := pipeline(t, now)
	ctx := context.Background()
	got := map[string]Outcome{}
	sum, err := p.Run(ctx, cfg.Sources, func(o Outcome) { got[o.Source] = o })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sources != 2 || sum.Failed != 1 || sum.New != 2 || sum.Matches != 1 {
		t.Errorf("summary %+v, want 2 sources, 1 failed, 2 new, 1 match", sum)
	}
	wire := got["Wire"]
	if wire.Err != nil || wire.Items != 2 || wire.New != 2 || len(wire.Matches) != 1 {
		t.Fatalf("Wire: %+v", wire)
	}
	m := wire.Matches[0]
	if m.Item.Link != "https://news.example/cainiao-spying" || len(m.Hits) != 1 || m.Hits[0].Company != "Alibaba" {
		t.Errorf("Wire's match: %+v", m)
	}
	if wire.Fetch <= 0 || wire.Save <= 0 {
		t.Errorf("Wire's timings: fetch %v, save %v", wire.Fetch, wire.Save)
	}
	if b := got["Broken"]; b.Err == nil {
		t.Errorf("Broken: no error: %+v", b)
	}
	// Without a console nothing reads the search index, so the run leaves
	// its items out of it: a read-only store, which does not index what it
	// finds missing, does not find them; a search that can write brings the
	// index up to date first.
	if n := searchReadOnly(t, cfg, "cainiao"); n != 0 {
		t.Errorf("a run without a console indexed its items: %d found", n)
	}
	if res, err := st.Search(ctx, store.SearchQuery{Text: "cainiao"}); err != nil || res.Total != 1 {
		t.Errorf("search of the run's items: %+v, %v; want 1 item", res, err)
	}

	hs, err := st.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 {
		t.Fatalf("health of %d sources, want 2: %+v", len(hs), hs)
	}
	for _, h := range hs {
		// Health is dated by the pipeline's clock, not the machine's.
		if h.LastRun.After(now) || h.LastRun.Before(now.Add(-time.Minute)) {
			t.Errorf("%s: last run %v, want just before %v (the pipeline's clock)", h.Source, h.LastRun, now)
		}
	}

	// A second run: the feed answers 304, nothing is new or matched again.
	got = map[string]Outcome{}
	sum, err = p.Run(ctx, cfg.Sources, func(o Outcome) { got[o.Source] = o })
	if err != nil {
		t.Fatal(err)
	}
	if !got["Wire"].NotModified || sum.New != 0 || sum.Matches != 0 {
		t.Errorf("second run: Wire %+v, summary %+v; want not modified, nothing new", got["Wire"], sum)
	}
}

// TestRunCutShortRecordsHealth: a run whose context ends (shutdown, job
// deadline) still records the health of the item-less sources it got an
// answer for, though those are saved in batches after they were reported.
func TestRunCutShortRecordsHealth(t *testing.T) {
	p, cfg, st := pipeline(t, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var itemless []string
	_, _ = p.Run(ctx, cfg.Sources, func(o Outcome) {
		cancel() // cut short once the first source is in
		if o.Items == 0 {
			itemless = append(itemless, o.Source)
		}
	})
	if len(itemless) == 0 {
		t.Fatal("no item-less source reported")
	}
	hs, err := st.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, h := range hs {
		recorded[h.Source] = true
	}
	for _, name := range itemless {
		if !recorded[name] {
			t.Errorf("%s answered but its health was not recorded (recorded: %v)", name, recorded)
		}
	}
}

// TestSaveAfterCancel: items that arrived before the fetch was cut short
// are stored, so the next run does not fetch them again.
func TestSaveAfterCancel(t *testing.T) {
	p, _, st := pipeline(t, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := scraper.Result{Source: "Wire", Items: []scraper.Item{
		{Key: "https://news.example/cut", Link: "https://news.example/cut", Title: "Cainiao spying probe", Body: "The article."},
	}}
	var out Outcome
	p.save(ctx, r, p.record(r), &out)
	if out.Err != nil || out.New != 1 || len(out.Matches) != 1 {
		t.Fatalf("save after cancel: err %v, %d new, %d matches", out.Err, out.New, len(out.Matches))
	}
	if known, err := st.Known(context.Background(), []string{"https://news.example/cut"}); err != nil || !known["https://news.example/cut"] {
		t.Errorf("the item is not stored: %v, %v", known, err)
	}
}

// TestFetcherReadsClock: the pipeline's fetcher, and one NewFetcher builds
// with WithClock, judge a Retry-After date by that clock.
func TestFetcherReadsClock(t *testing.T) {
	now := time.Date(2031, 3, 4, 5, 6, 0, 0, time.UTC)
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", now.Add(time.Hour).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close)
	p, cfg, _ := pipeline(t, now)
	for name, f := range map[string]*scraper.Fetcher{
		"pipeline":   p.fetcher,
		"NewFetcher": NewFetcher(cfg, WithClock(func() time.Time { return now })),
	} {
		res := f.Fetch(t.Context(), scraper.Source{Name: "Busy", Feed: busy.URL + "/feed"})
		var he *scraper.HTTPError
		if !errors.As(res.Err, &he) || he.RetryAfter != time.Hour {
			t.Errorf("%s: err %v; want a 503 to retry after 1h by the clock", name, res.Err)
		}
	}
}

// fakeSources builds, in dir, a pipeline of n sources S000, S001… on an
// SQLite store, with concurrency workers and fetch in place of the
// network.
func fakeSources(t *testing.T, dir string, n, concurrency int, fetch func(context.Context, scraper.Source) scraper.Result) (*Pipeline, *config.Config, *store.Store) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database = \"nw.db\"\n[http]\nper_host_delay = \"0s\"\nconcurrency = %d\n[output]\ndir = \"out\"\n", concurrency)
	for i := range n {
		fmt.Fprintf(&b, "[[sources]]\nname = \"S%03d\"\nfeed = \"https://feeds.example/s%03d\"\n", i, i)
	}
	b.WriteString("[[companies]]\nname = \"Alibaba\"\n[[digests]]\nname = \"D\"\nschedule = \"0 7 * * *\"\nto = [\"a@example.org\"]\n")
	cfg, wl := loadConfig(t, filepath.Join(dir, "newswatch.toml"), b.String())
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := New(cfg, st, wl)
	p.fetch = fetch
	return p, cfg, st
}

// oneItem is a fetch result of one new item for src.
func oneItem(src scraper.Source) scraper.Result {
	link := "https://news.example/" + src.Name
	return scraper.Result{Source: src.Name, Items: []scraper.Item{{Key: link, Link: link, Title: "News of " + src.Name, Body: "The article."}}}
}

// runInBackground runs p over cfg's sources; the channel gets the Summary.
func runInBackground(t *testing.T, p *Pipeline, cfg *config.Config) <-chan Summary {
	done := make(chan Summary)
	go func() {
		sum, err := p.Run(context.Background(), cfg.Sources, nil)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	return done
}

// TestRunFetchesWhileSaving: a worker whose source's save waits for the
// database writer fetches its next source meanwhile, but no further: the
// results fetched and not yet saved stay bounded (one per worker).
func TestRunFetchesWhileSaving(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		var (
			mu      sync.Mutex
			fetched []string
		)
		p, cfg, st := fakeSources(t, dir, 3, 1, func(_ context.Context, src scraper.Source) scraper.Result {
			mu.Lock()
			fetched = append(fetched, src.Name)
			mu.Unlock()
			return oneItem(src)
		})
		release := make(chan struct{})
		p.saveRun = func(ctx context.Context, run model.Run, items []model.Item) ([]model.Item, error) {
			if run.Source == "S000" {
				<-release // the writer is busy
			}
			return st.SaveRun(ctx, run, items)
		}
		done := runInBackground(t, p, cfg)
		synctest.Wait()
		mu.Lock()
		if want := []string{"S000", "S001"}; !slices.Equal(fetched, want) {
			t.Errorf("fetched %q while the first save waited, want %q", fetched, want)
		}
		mu.Unlock()
		close(release)
		if sum := <-done; sum.New != 3 {
			t.Errorf("%d new items saved, want 3", sum.New)
		}
	})
}

// TestRunParsesNoMoreThanItSaves: while the database writer is busy, a
// worker waits with its feed downloaded but not parsed; the feeds parsed
// and not yet saved are at most one per worker, not one per worker and
// one more waiting in each.
func TestRunParsesNoMoreThanItSaves(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		var (
			mu                 sync.Mutex
			downloaded, parsed []string
		)
		p, cfg, st := fakeSources(t, dir, 6, 2, func(ctx context.Context, src scraper.Source) scraper.Result {
			mu.Lock()
			downloaded = append(downloaded, src.Name)
			mu.Unlock()
			if src.Admit != nil {
				if err := src.Admit(ctx); err != nil {
					return scraper.Result{Source: src.Name, Err: err}
				}
			}
			mu.Lock()
			parsed = append(parsed, src.Name)
			mu.Unlock()
			return oneItem(src)
		})
		release := make(chan struct{})
		p.saveRun = func(ctx context.Context, run model.Run, items []model.Item) ([]model.Item, error) {
			<-release // the writer is busy
			return st.SaveRun(ctx, run, items)
		}
		done := runInBackground(t, p, cfg)
		synctest.Wait()
		mu.Lock()
		if len(parsed) != 2 || len(downloaded) != 4 {
			t.Errorf("while two saves waited: downloaded %q, parsed %q; want 4 downloaded (one waiting in each worker), 2 parsed", downloaded, parsed)
		}
		mu.Unlock()
		close(release)
		if sum := <-done; sum.New != 6 || sum.Failed != 0 {
			t.Errorf("%d new items saved, %d failed; want 6, 0", sum.New, sum.Failed)
		}
	})
}

// TestRunMasksSourceSecrets: a failing source's error is reported and
// recorded with the secrets of its URL masked (a password, a token in the
// path, query values), and errors.As still finds its cause.
func TestRunMasksSourceSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	feed := "http://user:hunter2@" + host + "/fail/0123456789abcdef0123456789abcdef/rss?apikey=SEKRET&x=1"
	masked := "http://user:***@" + host + "/fail/***/rss?apikey=***&x=***"
	got, st := runPaid(t, feed)
	var herr *scraper.HTTPError
	if got.Err == nil || !errors.As(got.Err, &herr) || herr.Status != http.StatusInternalServerError {
		t.Fatalf("outcome error %v, want a masked *scraper.HTTPError", got.Err)
	}
	hs, err := st.Health(context.Background())
	if err != nil || len(hs) != 1 {
		t.Fatalf("health: %+v, %v", hs, err)
	}
	for what, text := range map[string]string{"outcome": got.Err.Error(), "health": hs[0].LastError} {
		if strings.Contains(text, "hunter2") || strings.Contains(text, "SEKRET") || strings.Contains(text, "0123456789abcdef") || !strings.Contains(text, masked) {
			t.Errorf("%s error %q, want the URL as %s", what, text, masked)
		}
	}
}

// TestRunMasksDiscoveredFeed: a source whose feed URL is a web page with a
// password in it advertises a relative feed link; the feed it used, which
// the Outcome reports and app.LogOutcome logs as discovered_feed (and
// `fetch` prints), must not carry the password.
func TestRunMasksDiscoveredFeed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head><body>hi</body></html>`)
	})
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	feed := "http://user:hunter2@" + host + "/page"
	got, _ := runPaid(t, feed)
	if got.Err != nil || got.FeedURL == "" {
		t.Fatalf("outcome %+v: want the discovered feed used", got)
	}
	if strings.Contains(got.FeedURL, "hunter2") {
		t.Errorf("Outcome.FeedURL = %q: the source's password, logged as discovered_feed", got.FeedURL)
	}
}

// runPaid runs one source, "Paid", on feed (a URL with secrets in it) into
// a fresh database, and returns its outcome and the store.
func runPaid(t *testing.T, feed string) (Outcome, *store.Store) {
	t.Helper()
	p, srcs, st := paidPipeline(t, feed, "")
	var got Outcome
	if _, err := p.Run(context.Background(), srcs, func(o Outcome) { got = o }); err != nil {
		t.Fatal(err)
	}
	return got, st
}

// paidPipeline is a pipeline over a fresh database for one source, "Paid",
// on feed, with extra added to its table; it returns the sources to run.
func paidPipeline(t *testing.T, feed, extra string) (*Pipeline, []config.Source, *store.Store) {
	t.Helper()
	cfg, wl := loadConfig(t, filepath.Join(t.TempDir(), "newswatch.toml"), fmt.Sprintf(`database = "nw.db"
[output]
dir = "out"
[[sources]]
name = "Paid"
feed = %q
%s[[companies]]
name = "Alibaba"
`, feed, extra))
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(cfg, st, wl), cfg.Sources, st
}

// TestSaveCleansLinksAndCountsRicherCopies: an item's link is stored
// without its tracking parameters; a richer copy of a stored item is
// matched again but not counted as new.
func TestSaveCleansLinksAndCountsRicherCopies(t *testing.T) {
	p, _, st := pipeline(t, time.Now())
	ctx := context.Background()
	const key = "https://news.example/cut?id=7"
	title := scraper.Result{Source: "Aggregator", Items: []scraper.Item{
		{Key: key, Link: "https://news.example/cut?utm_source=agg&id=7&fbclid=x", Title: "Cainiao probe"},
	}}
	var out Outcome
	p.save(ctx, title, p.record(title), &out)
	if out.Err != nil || out.New != 1 || len(out.Matches) != 0 {
		t.Fatalf("title only: err %v, %d new, %d matches; want 1 new, no match", out.Err, out.New, len(out.Matches))
	}
	items, err := st.Items(ctx, store.ItemQuery{})
	if err != nil || len(items) != 1 || items[0].Link != "https://news.example/cut?id=7" {
		t.Fatalf("stored %+v, %v; want one item linked without tracking parameters", items, err)
	}

	full := scraper.Result{Source: "Wire", Items: []scraper.Item{
		{Key: key, Link: "https://news.example/cut?id=7", Title: "Cainiao probe", Body: "Officials say Cainiao was spying on its customers for years."},
	}}
	out = Outcome{}
	p.save(ctx, full, p.record(full), &out)
	if out.Err != nil || out.New != 0 || len(out.Matches) != 1 {
		t.Errorf("richer copy: err %v, %d new, %d matches; want 0 new, 1 match", out.Err, out.New, len(out.Matches))
	}
}

// TestRunMasksSourceWarning: a source that worked but lost articles
// reports the warning with its URL's secrets masked, as its errors are.
func TestRunMasksSourceWarning(t *testing.T) {
	const feed = "https://user:hunter2@feeds.example/rss?apikey=SEKRET"
	p, srcs, _ := paidPipeline(t, feed, "full_text = true\n")
	p.fetch = func(_ context.Context, src scraper.Source) scraper.Result {
		res := oneItem(src)
		res.Warning = fmt.Errorf("source %q: %s: 1 of 2 full texts yielded nothing", src.Name, src.Feed)
		return res
	}
	var got Outcome
	if _, err := p.Run(context.Background(), srcs, func(o Outcome) { got = o }); err != nil {
		t.Fatal(err)
	}
	if got.Warning == nil || strings.Contains(got.Warning.Error(), "hunter2") || strings.Contains(got.Warning.Error(), "SEKRET") {
		t.Errorf("warning %v, want one with the URL's secrets masked", got.Warning)
	}
}

// TestRecord: a source's run started its duration before the pipeline's
// clock reads now; its status says how it ended, and only a run that got
// the feed keeps the validators for the next conditional GET.
func TestRecord(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	p, _, _ := pipeline(t, now)
	run := p.record(scraper.Result{Source: "Wire", Duration: 30 * time.Second})
	if !run.Started.Equal(now.Add(-30*time.Second)) || run.Duration != 30*time.Second {
		t.Errorf("run started %v, took %v; want %v, 30s", run.Started, run.Duration, now.Add(-30*time.Second))
	}
	for _, tt := range []struct {
		name   string
		res    scraper.Result
		status string
		etag   string
	}{
		{"ok", scraper.Result{ETag: `"v2"`}, model.StatusOK, `"v2"`},
		{"not modified", scraper.Result{NotModified: true, ETag: `"v1"`}, model.StatusNotModified, ""},
		{"error", scraper.Result{Err: errors.New("boom"), ETag: `"v1"`}, model.StatusError, ""},
	} {
		run := p.record(tt.res)
		if run.Status != tt.status || run.ETag != tt.etag {
			t.Errorf("%s: status %q, ETag %q; want %q, %q", tt.name, run.Status, run.ETag, tt.status, tt.etag)
		}
	}
}

// TestScraperSource: every setting of a configured source reaches the
// scraper.
func TestScraperSource(t *testing.T) {
	got := ScraperSource(config.Source{Name: "S", Page: "https://s.example/", Links: "h3 a", Body: "main", FullText: true, MaxArticles: 7})
	want := scraper.Source{Name: "S", Page: "https://s.example/", Links: "h3 a", Body: "main", FullText: true, MaxArticles: 7}
	if got.Name != want.Name || got.Page != want.Page || got.Links != want.Links || got.Body != want.Body ||
		got.FullText != want.FullText || got.MaxArticles != want.MaxArticles {
		t.Errorf("ScraperSource = %+v, want %+v", got, want)
	}
}

// TestCompileWatchlistKeepsEveryRule: exclude phrases, all_news and near
// of the configuration reach the matcher.
func TestCompileWatchlistKeepsEveryRule(t *testing.T) {
	_, wl := loadConfig(t, filepath.Join(t.TempDir(), "newswatch.toml"), `database = "nw.db"
[output]
dir = "out"
[[companies]]
name = "Alibaba"
exclude = ["Alibaba Pictures"]
[[companies]]
name = "Huawei"
all_news = true
[[companies]]
name = "Tencent"
near = 3
[[topics]]
name = "Espionage"
terms = ["spying"]
`)
	for text, want := range map[string]string{
		"Alibaba Pictures denies spying":           "",
		"Huawei opens a store":                     "Huawei",
		"Tencent results were strong, said spying": "",
		"Tencent denies spying":                    "Tencent",
	} {
		var got []string
		for _, h := range wl.Match(match.Text{Body: text}) {
			got = append(got, h.Company)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("Match(%q) = %q, want %q", text, got, want)
		}
	}
}

// TestRunReportsUnrecordedHealth: when the batch holding item-less
// sources' health cannot be saved, those sources, reported as fetched,
// come back in Summary.Unrecorded with the error, and count as failed.
func TestRunReportsUnrecordedHealth(t *testing.T) {
	var st *store.Store
	p, cfg, st := fakeSources(t, t.TempDir(), 1, 1, func(_ context.Context, src scraper.Source) scraper.Result {
		st.Close() // the database goes away after the sources' state was read
		return scraper.Result{Source: src.Name, NotModified: true}
	})
	sum, err := p.Run(context.Background(), cfg.Sources, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || len(sum.Unrecorded) != 1 || sum.Unrecorded[0].Err == nil ||
		!strings.Contains(sum.Unrecorded[0].Err.Error(), `store health of "S000"`) {
		t.Errorf("summary %+v, want S000 unrecorded and failed", sum)
	}
}
