package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// offlineCopy copies examples/offline.toml and its feeds into a fresh folder.
func offlineCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "feeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"offline.toml", "feeds/markets.rss", "feeds/europe.atom"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "offline.toml")
}

func TestCheckBacktest(t *testing.T) {
	cfg := offlineCopy(t)
	code, out, errOut := runCmd(t, "-config", cfg, "check")
	if code != exitOK || !strings.Contains(out, "no database yet") {
		t.Fatalf("check before any fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", cfg, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	// The seed stories were published in 2025: the backtest window is the
	// items stored (first seen) in the last 7 days, whatever their date.
	code, out, errOut = runCmd(t, "-config", cfg, "check")
	if code != exitOK {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^  Alibaba\s+2$`),
		regexp.MustCompile(`(?m)^  Espionage\s+2$`),
		regexp.MustCompile(`Belgium monitoring China's Alibaba over spying concerns  \(Alibaba.*\+ .*espionage`),
		regexp.MustCompile(`warning: term "entity list" of Sanctions matched nothing in the last 7 days`),
	} {
		if !want.MatchString(out) {
			t.Errorf("check output lacks %s:\n%s", want, out)
		}
	}

	code, out, errOut = runCmd(t, "-config", cfg, "check", "-item", "https://europe.example.com/business/2025/11/13/belgium-monitoring-chinas-alibaba-over-spying-concerns")
	if code != exitOK || !strings.Contains(out, "Alibaba: MATCHES") {
		t.Fatalf("check -item (seed): exit %d\n%s\n%s", code, out, errOut)
	}
	// Times are in the configuration's zone (Europe/Brussels), as everywhere.
	if !regexp.MustCompile(`first seen \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00`).MatchString(out) {
		t.Errorf("check -item gives the first-seen time outside the config's zone:\n%s", out)
	}
	code, out, errOut = runCmd(t, "-config", cfg, "check", "-item", "https://markets.example.com/news/alibaba-quarterly-results")
	if code != exitOK || !strings.Contains(out, "Alibaba: no match: no topic term") {
		t.Fatalf("check -item (decoy): exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "-config", cfg, "check", "-item", "https://nowhere.example/x"); code != exitUsage {
		t.Fatalf("check -item of an unknown item: exit %d, want %d", code, exitUsage)
	}
}

func TestCheckReportsFileLineAndKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	cfg := "[[sources]]\nname = \"A\"\nfeed = \"https://a.example/feed\"\npage = \"https://a.example/\"\n\n[[digests]]\nname = \"D\"\nschedule = \"61 7 * * *\"\nto = [\"x@example.org\"]\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "-config", path, "check")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	for _, want := range []string{"newswatch.toml:", "sources[0]", "digests[0].schedule"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error lacks %q:\n%s", want, errOut)
		}
	}
}

func TestBrokenTemplateIsAConfigError(t *testing.T) {
	cfg := offlineCopy(t)
	dir := filepath.Dir(cfg)
	if err := os.MkdirAll(filepath.Join(dir, "tmpl"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmpl", "digest.txt.tmpl"), []byte("{{range .Sections}"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append([]byte("templates = \"tmpl\"\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "-config", cfg, "check")
	if code != exitUsage || !strings.Contains(errOut, "digest.txt.tmpl") {
		t.Fatalf("broken template: exit %d\n%s", code, errOut)
	}
}

func TestTemplatesCommand(t *testing.T) {
	code, out, _ := runCmd(t, "templates")
	if code != exitOK || !strings.Contains(out, "==> digest.html.tmpl <==") || !strings.Contains(out, "==> digest.txt.tmpl <==") {
		t.Fatalf("templates: exit %d\n%.300s", code, out)
	}
	dir := filepath.Join(t.TempDir(), "t")
	if code, _, errOut := runCmd(t, "templates", "-dir", dir); code != exitOK {
		t.Fatalf("templates -dir: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "digest.html.tmpl")); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCmd(t, "templates", "-dir", dir); code == exitOK {
		t.Fatal("templates -dir overwrote existing files")
	}
}

// TestCheckPrintsWarnings: check reads the configuration's warnings, which
// the other commands do not look for.
func TestCheckPrintsWarnings(t *testing.T) {
	cfg := offlineCopy(t)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n[[topics]]\nname = \"Spying\"\nterms = [\"spy\", \"spy agency\"]\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "-config", cfg, "check")
	if code != exitOK || !strings.Contains(out, `"spy agency" is redundant: "spy"`) {
		t.Fatalf("check: exit %d, want the redundant term named\n%s\n%s", code, out, errOut)
	}
}

// The backtest, and the tally of items marked not relevant, read the
// stored items one at a time: over 64 MB of stored text the Go heap stays
// a fraction of it.
func TestCheckBacktestHoldsOneItem(t *testing.T) {
	cfg := offlineCopy(t)
	if code, out, errOut := runCmd(t, "-config", cfg, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg), "offline.db"))
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 64, 1 << 20
	body := strings.Repeat("Markets were calm and the harbour was busy today. ", size/50)
	batch := make([]model.Item, n)
	for i := range batch {
		link := fmt.Sprintf("https://wire.example/calm-%d", i)
		batch[i] = model.Item{Key: link, Link: link, Title: fmt.Sprintf("A calm day %d", i), Body: body}
	}
	if _, err := st.SaveRun(ctx, model.Run{Source: "Wire", Started: time.Now(), Status: model.StatusOK, Items: n}, batch); err != nil {
		t.Fatal(err)
	}
	st.Close()
	batch, body = nil, ""

	var (
		code        int
		out, errOut string
	)
	top := testutil.HeapPeak(func() { code, out, errOut = runCmd(t, "-config", cfg, "check") })
	if code != exitOK || !regexp.MustCompile(`(?m)^  Alibaba\s+2$`).MatchString(out) || !strings.Contains(out, fmt.Sprintf("Backtest on %d items", n+4)) {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	if top > n*size/2 {
		t.Errorf("a backtest over %d MB of stored text peaked at a heap of %d MB", n*size>>20, top>>20)
	}
}
