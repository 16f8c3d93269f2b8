package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/store"

	"golang.org/x/sys/unix"
)

// feedServer serves the example feeds (built from the seed stories, with
// decoys) and three broken sources.
func feedServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for path, file := range map[string]string{"/markets.rss": "markets.rss", "/europe.atom": "europe.atom"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "examples", "feeds", file))
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Write(body)
		})
	}
	mux.HandleFunc("/broken-500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/malformed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>broken`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// writeConfig writes a config for the feed server in a fresh folder.
func writeConfig(t *testing.T, base string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`timezone = "Europe/Brussels"
database = "nw.db"
max_age = "87600h"

[http]
timeout = "3s"  # the healthy feeds answer well within it on a loaded machine; "Too Slow" never does
per_host_delay = "0s"

[output]
dir = "out"

[[sources]]
name = "Markets Wire"
feed = "%[1]s/markets.rss"

[[sources]]
name = "Europe Desk"
feed = "%[1]s/europe.atom"

[[sources]]
name = "Broken 500"
feed = "%[1]s/broken-500"

[[sources]]
name = "Malformed XML"
feed = "%[1]s/malformed"

[[sources]]
name = "Too Slow"
feed = "%[1]s/slow"

[[companies]]
name = "Alibaba"
aliases = ["Alibaba Group", "Alibaba Cloud", "Aliyun", "Cainiao", "阿里巴巴"]
exclude = ["Alibaba Pictures"]

[[topics]]
name = "Espionage"
terms = ["espionage", "spying", "intelligence service"]

[[topics]]
name = "Military ties"
terms = ["People's Liberation Army", "PLA"]

[[digests]]
name = "Morning brief"
schedule = "0 7 * * *"
to = ["analyst@example.org"]
%s`, base, extra)
	path := filepath.Join(dir, "newswatch.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCmd runs the real wiring and returns exit code, stdout and stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func digestFiles(t *testing.T, dir, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "out", "*", "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestEndToEndOnce(t *testing.T) {
	srv := feedServer(t)
	cfg := writeConfig(t, srv.URL, "")
	dir := filepath.Dir(cfg)

	code, out, errOut := runCmd(t, "-config", cfg, "once")
	if code != exitOK {
		t.Fatalf("once exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, broken := range []string{"Broken 500", "Malformed XML", "Too Slow"} {
		if !strings.Contains(out, `source "`+broken+`"`) {
			t.Errorf("fetch output does not report %q:\n%s", broken, out)
		}
	}
	emls := digestFiles(t, dir, ".eml")
	htmls := digestFiles(t, dir, ".html")
	if len(emls) != 1 || len(htmls) != 1 {
		t.Fatalf("digest files: eml %v html %v, want one of each", emls, htmls)
	}
	html, err := os.ReadFile(htmls[0])
	if err != nil {
		t.Fatal(err)
	}
	eml, err := os.ReadFile(emls[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Alibaba condemns FT report",
		"Belgium monitoring China",
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML digest lacks seed story %q", want)
		}
	}
	for _, decoy := range []string{"quarterly revenue", "rising espionage threat"} {
		if strings.Contains(string(html), decoy) || strings.Contains(string(eml), decoy) {
			t.Errorf("digest contains decoy %q", decoy)
		}
	}
	if !strings.Contains(string(eml), "multipart/alternative") {
		t.Errorf(".eml is not multipart/alternative:\n%.500s", eml)
	}

	// A second fetch stores nothing new; a second send writes nothing.
	code, out, errOut = runCmd(t, "-config", cfg, "fetch")
	if code != exitOK {
		t.Fatalf("fetch exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, " 0 new items") {
		t.Errorf("second fetch stored something new:\n%s", out)
	}
	code, out, errOut = runCmd(t, "-config", cfg, "send")
	if code != exitOK {
		t.Fatalf("send exit %d\n%s\n%s", code, out, errOut)
	}
	if got := digestFiles(t, dir, ".eml"); len(got) != 1 {
		t.Errorf("second send wrote more digests: %v", got)
	}
}

// exampleCopy copies config.example.toml into a fresh folder, so its
// database lands there.
func exampleCopy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "newswatch.toml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckExampleConfig(t *testing.T) {
	code, out, errOut := runCmd(t, "check", "-config", exampleCopy(t))
	if code != exitOK {
		t.Fatalf("check config.example.toml: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, exitUsage},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"missing config", []string{"-config", "/nonexistent/newswatch.toml", "check"}, exitUsage},
		{"unknown digest", []string{"-config", exampleCopy(t), "preview", "No such digest"}, exitUsage},
		{"version", []string{"version"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, errOut)
			}
		})
	}
}

// TestOncePrunes: `once` drops the text of the items first seen more than
// retain ago, keeps their titles and links, and the feeds that still list
// them do not bring them back as new; younger items keep their text.
func TestOncePrunes(t *testing.T) {
	ctx := context.Background()
	srv := feedServer(t)
	cfg := writeConfig(t, srv.URL, "")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text = bytes.Replace(text, []byte(`max_age = "87600h"`), []byte("max_age = \"720h\"\nretain = \"1440h\""), 1)
	if err := os.WriteFile(cfg, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "-config", cfg, "once"); code != exitOK {
		t.Fatalf("once exit %d\n%s\n%s", code, out, errOut)
	}

	// Age the items stored first: first seen 100 days ago.
	dbPath := filepath.Join(filepath.Dir(cfg), "nw.db")
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	var mid int64
	if err := db.QueryRowContext(ctx, `SELECT (min(id) + max(id)) / 2 FROM items`).Scan(&mid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE items SET first_seen = first_seen - ? WHERE id <= ?`, int64(100*24*time.Hour), mid); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := runCmd(t, "-config", cfg, "once")
	if code != exitOK {
		t.Fatalf("second once exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, " 0 new items") {
		t.Errorf("pruned items came back as new:\n%s", out)
	}
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	items, err := st.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var aged, young int
	for _, it := range items {
		if it.Title == "" || it.Link == "" {
			t.Errorf("item %s lost its title or link", it.Key)
		}
		hasText := it.Summary != "" || it.Content != "" || it.Body != ""
		switch {
		case it.ID <= mid && hasText:
			t.Errorf("item %s, first seen 100 days ago, kept its text", it.Key)
		case it.ID <= mid:
			aged++
		case hasText:
			young++
		}
	}
	if aged == 0 || young == 0 {
		t.Errorf("%d aged items without text, %d young items with text; want some of each", aged, young)
	}
}

// TestProgressLine: the progress line is drawn only on a terminal, and not
// under -v, whose log lines it would garble; it ends by clearing itself.
func TestProgressLine(t *testing.T) {
	tty := openTerminal(t)
	if (&env{}).progressTo(tty, 2) == nil {
		t.Error("no progress line on a terminal")
	}
	if (&env{globals: globals{verbose: true}}).progressTo(tty, 2) != nil {
		t.Error("a progress line under -v, between the debug log lines")
	}
	if (&env{}).progressTo(&bytes.Buffer{}, 2) != nil {
		t.Error("a progress line into a pipe or file")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if (&env{}).progressTo(null, 2) != nil {
		t.Error("a progress line into /dev/null, a character device but no terminal")
	}
}

// openTerminal opens the terminal side of a new pseudo-terminal, closed
// (with its other side) when the test ends; the test is skipped where
// there is none.
func openTerminal(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}

// TestNamesListedPlainly: a name that is not in the config is answered
// with the names there are, as "a, b" rather than Go's "[a b]", and a
// suggestion.
func TestNamesListedPlainly(t *testing.T) {
	cfg := exampleCopy(t)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text = append(text, "\n[[digests]]\nname = \"Evening brief\"\nschedule = \"0 19 * * *\"\nto = [\"analyst@example.org\"]\n"...)
	if err := os.WriteFile(cfg, text, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "-config", cfg, "preview", "Morning brif")
	if code != exitUsage || !strings.Contains(errOut, "have: Morning brief, Evening brief") || !strings.Contains(errOut, `did you mean "Morning brief"`) {
		t.Errorf("preview of a misspelt digest: exit %d\n%s", code, errOut)
	}
}
