package web

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newswatch/model"
)

// BrowserRequiredEnv, set to 1 (as CI does), turns a missing chromium into
// a failure of the browser tests instead of a skip.
const BrowserRequiredEnv = "NEWSWATCH_TEST_BROWSER_REQUIRED"

// browser starts a headless chromium with a fresh profile and returns a
// context driving one tab of it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "no chromium on PATH (apt-get install chromium)"
		if os.Getenv(BrowserRequiredEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// A fresh profile, not in t.TempDir(): chromium's helper processes
	// outlive the browser by a moment and still write into it, which fails
	// TempDir's cleanup under load. It is removed once they are done.
	profile, err := os.MkdirTemp("", "newswatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeProfile(t, profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// removeProfile removes a browser profile folder, trying again for a few
// seconds while chromium's exiting helper processes still write into it.
func removeProfile(t *testing.T, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("browser profile %s left behind: %v", dir, err)
}

// submit runs an action that leaves the page (a form sent, a link
// followed) and waits until the next page has loaded.
func submit(t *testing.T, ctx context.Context, what string, a chromedp.Action) {
	t.Helper()
	if _, err := chromedp.RunResponse(ctx, a); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// until waits for a JavaScript condition on the page.
func until(cond string) chromedp.Action {
	return chromedp.Poll(cond, nil, chromedp.WithPollingInterval(50*time.Millisecond))
}

func TestBrowser(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) { browserSuite(t) })
	}
}

func browserSuite(t *testing.T) {
	f := newFixture(t, token)
	f.srv.opts.Now = time.Now
	added, err := f.st.SaveRun(context.Background(), model.Run{Source: "Wire", Status: model.StatusOK, Items: 1, Started: now},
		[]model.Item{{Key: "aliyun", Link: "https://wire.example.org/aliyun", Title: "Aliyun accused of spying",
			Body: "The cloud arm faces espionage claims.", Published: time.Now().Add(-time.Hour)}})
	if err != nil || len(added) != 1 {
		t.Fatal(added, err)
	}
	ts := httptest.NewServer(f.h)
	defer ts.Close()
	ctx := browser(t)
	before, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}

	// Log in: the search page answers with the login form first.
	var heading string
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(`#token`, chromedp.ByQuery),
		chromedp.SendKeys(`#token`, token, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "log in", chromedp.Submit(`#token`, chromedp.ByQuery))
	err = chromedp.Run(ctx,
		chromedp.WaitVisible(`input[name=q]`, chromedp.ByQuery),
		chromedp.Text(`h1`, &heading, chromedp.ByQuery),
	)
	if err != nil || heading != "Search" {
		t.Fatalf("log in: %q %v", heading, err)
	}

	// Search.
	var results string
	if err := chromedp.Run(ctx, chromedp.SendKeys(`input[name=q]`, `"accused of spying"`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "search", chromedp.Submit(`input[name=q]`, chromedp.ByQuery))
	err = chromedp.Run(ctx,
		chromedp.WaitVisible(`.results li`, chromedp.ByQuery),
		chromedp.Text(`.results`, &results, chromedp.ByQuery),
	)
	if err != nil || !strings.Contains(results, "Cainiao accused of spying on customers") || !strings.Contains(results, "Aliyun accused of spying") ||
		strings.Contains(results, "Alibaba Cloud price cut") {
		t.Fatalf("search: %q %v", results, err)
	}

	// Open a digest as it was mailed.
	var mailed string
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/digests")); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "open a digest", chromedp.Click(`a[href="/digests/`+itoa(f.digest)+`"]`, chromedp.ByQuery))
	err = chromedp.Run(ctx,
		chromedp.WaitVisible(`p`, chromedp.ByQuery),
		chromedp.Text(`body`, &mailed, chromedp.ByQuery),
	)
	if err != nil || !strings.Contains(mailed, "Mailed digest") {
		t.Fatalf("digest: %q %v", mailed, err)
	}

	// Edit an alias: the preview follows as it is typed.
	var preview string
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/watchlist/edit?kind=company&name=Alibaba"),
		chromedp.WaitVisible(`#aliases`, chromedp.ByQuery),
		until(`document.querySelector('#preview .count') !== null && document.querySelector('#preview .count').textContent.includes('0 gained')`),
		chromedp.SetValue(`#aliases`, "Alibaba Group\nCainiao\nAliyun", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('aliases').dispatchEvent(new Event('input', {bubbles: true}))`, nil),
		until(`document.querySelector('#preview .count') !== null && document.querySelector('#preview .count').textContent.includes('1 gained')`),
		chromedp.Text(`#preview`, &preview, chromedp.ByQuery),
	)
	if err != nil || !strings.Contains(preview, "Aliyun accused of spying") {
		t.Fatalf("preview: %q %v", preview, err)
	}

	// Save: the file changes by that line only.
	var saved string
	submit(t, ctx, "save", chromedp.Click(`button[value=save]`, chromedp.ByQuery))
	err = chromedp.Run(ctx,
		chromedp.WaitVisible(`p.ok`, chromedp.ByQuery),
		chromedp.Text(`p.ok`, &saved, chromedp.ByQuery),
	)
	if err != nil || saved != "Saved." {
		t.Fatalf("save: %q %v", saved, err)
	}
	after, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := changedLines(string(before), string(after)); len(diff) != 1 ||
		diff[0] != `aliases = ["Alibaba Group", "Cainiao", "Aliyun"] # logistics arm` {
		t.Errorf("the save changed %q", diff)
	}

	// Mark an item not relevant.
	err = chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/search?q=aliyun"),
		chromedp.WaitVisible(`.results li button`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "not relevant", chromedp.Click(`.results li button`, chromedp.ByQuery))
	err = chromedp.Run(ctx, chromedp.WaitVisible(`.tag.marked`, chromedp.ByQuery))
	if err != nil {
		t.Fatalf("not relevant: %v", err)
	}
	marks, err := f.st.Marks(context.Background())
	ids := marks["Alibaba"]
	if err != nil || len(ids) != 1 || ids[0] != added[0].ID {
		t.Errorf("marked %v %v, want [%d]", ids, err, added[0].ID)
	}
}

// changedLines returns the lines of after that differ from before, line by
// line; a file of another length counts every line past the shorter.
func changedLines(before, after string) []string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			out = append(out, "-"+b[i])
		case i >= len(b):
			out = append(out, a[i])
		case a[i] != b[i]:
			out = append(out, a[i])
		}
	}
	return out
}
