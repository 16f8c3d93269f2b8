package web

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"newswatch/model"
)

// TestScreenshots writes a screenshot of every page at 1280 and 390 pixels
// wide into the folder named by NEWSWATCH_SCREENSHOTS (the README's are in
// docs/): go test ./web -run Screenshots with NEWSWATCH_SCREENSHOTS=$PWD/docs.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("NEWSWATCH_SCREENSHOTS")
	if dir == "" {
		t.Skip("NEWSWATCH_SCREENSHOTS is not set")
	}
	f := newFixture(t, token)
	ctx0 := context.Background()
	_, err := f.st.SaveRun(ctx0, model.Run{Source: "Page", Status: model.StatusOK, Items: 2, Started: now}, []model.Item{
		{Key: "liege", Link: "https://page.example.org/liege", Title: "Belgium watches Cainiao's Liège hub over espionage fears",
			Body: "Belgium's State Security Service is monitoring the Liège logistics hub run by Cainiao over possible espionage.", Published: now.Add(-2 * time.Hour)},
		{Key: "aliyun", Link: "https://page.example.org/aliyun", Title: "Aliyun customers hit by spying campaign",
			Body: "Researchers found a spying campaign against customers of Aliyun, Alibaba's cloud.", Published: now.Add(-5 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.MarkNotRelevant(ctx0, f.ids["cloud"], "Alibaba"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.h)
	defer ts.Close()
	ctx := browser(t)
	if err := chromedp.Run(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(`#token`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	shots := []struct {
		name string
		path string
		prep []chromedp.Action
	}{
		{"login", "/login", nil},
	}
	for _, width := range []int64{1280, 390} {
		for _, s := range shots {
			shoot(t, ctx, ts.URL+s.path, filepath.Join(dir, "console-"+s.name+"-"+itoa(width)+".png"), width, s.prep...)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(ts.URL+"/login"), chromedp.SendKeys(`#token`, token, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "log in", chromedp.Submit(`#token`, chromedp.ByQuery))
	pages := []struct {
		name string
		path string
		prep []chromedp.Action
	}{
		{"search", "/search?q=spying&matched=1", nil},
		{"digests", "/digests", nil},
		{"watchlist", "/watchlist", nil},
		{"edit", "/watchlist/edit?kind=company&name=Alibaba", []chromedp.Action{
			chromedp.WaitVisible(`#preview .count`, chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById('aliases').value = "Alibaba Group\nAliyun";
				document.getElementById('exclude').value = "";
				document.getElementById('aliases').dispatchEvent(new Event('input', {bubbles: true}))`, nil),
			until(`document.querySelector('#preview h2') !== null`),
		}},
		{"sources", "/sources", nil},
	}
	for _, width := range []int64{1280, 390} {
		for _, p := range pages {
			shoot(t, ctx, ts.URL+p.path, filepath.Join(dir, "console-"+p.name+"-"+itoa(width)+".png"), width, p.prep...)
		}
	}
}

func shoot(t *testing.T, ctx context.Context, url, file string, width int64, prep ...chromedp.Action) {
	t.Helper()
	var png []byte
	actions := []chromedp.Action{
		chromedp.EmulateViewport(width, 900),
		chromedp.Navigate(url),
		chromedp.WaitReady(`body`, chromedp.ByQuery),
	}
	actions = append(actions, prep...)
	actions = append(actions, chromedp.FullScreenshot(&png, 100))
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
