package main

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"newswatch/internal/smtptest"
)

// TestTooOldForDigests: an item older than max_age that matches is shown
// by fetch and check -item as too old for digests, since no digest will
// carry it.
func TestTooOldForDigests(t *testing.T) {
	path := offlineConfig(t, `max_age = "72h"`)
	code, out, errOut := runCmd(t, "-config", path, "fetch")
	if code != exitOK || !strings.Contains(out, "too old for digests: published 2025-11-15") || !strings.Contains(out, "max_age 72h") {
		t.Fatalf("fetch of items past max_age: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "-config", path, "check", "-item", "https://markets.example.com/news/alibaba-denies-ft-report")
	if code != exitOK || !strings.Contains(out, "MATCHES") || !strings.Contains(out, "too old for digests") {
		t.Fatalf("check -item of an item past max_age: exit %d\n%s%s", code, out, errOut)
	}
}

// offlineConfig copies examples/offline.toml into a scratch folder, its
// feeds by absolute path and its max_age line replaced by maxAge.
func offlineConfig(t *testing.T, maxAge string) string {
	t.Helper()
	feeds, err := filepath.Abs(filepath.Join("..", "..", "examples", "feeds"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "examples", "offline.toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(cfg), "file:feeds", "file:"+feeds)
	text = strings.Replace(text, `max_age = "87600h"`, maxAge, 1)
	path := filepath.Join(t.TempDir(), "offline.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDryRunCreatesNothing: fetch -source NAME -dry-run stores nothing,
// and does not even create the database file.
func TestDryRunCreatesNothing(t *testing.T) {
	path := onceConfig(t, false)
	code, out, errOut := runCmd(t, "-config", path, "fetch", "-source", "Markets Wire", "-dry-run")
	if code != exitOK || !strings.Contains(out, "Markets Wire: 2 items") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "nw.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dry run created the database (stat: %v)", err)
	}
}

// TestSaidOnce: messages that used to say one thing twice.
func TestSaidOnce(t *testing.T) {
	// status -h shows the config's default once.
	_, _, errOut := runCmd(t, "status", "-h")
	if strings.Count(errOut, "(default") > 2 || strings.Contains(errOut, "NEWSWATCH_CONFIG, else") {
		t.Errorf("status -h repeats its defaults:\n%s", errOut)
	}
	// A database that cannot be opened is named once.
	path := onceConfig(t, false)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(file, "nw.db")
	if err := os.WriteFile(path, []byte(strings.Replace(string(cfg), `database = "nw.db"`, `database = "`+bad+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, errOut = runCmd(t, "-config", path, "fetch")
	if strings.Count(errOut, bad) != 1 || strings.Contains(errOut, "store:") {
		t.Errorf("open failure names the database %d times:\n%s", strings.Count(errOut, bad), errOut)
	}
}

// TestFooterNamesTheSourceOnce: the digest footer's line for a failing
// source names it once, not again inside the error.
func TestFooterNamesTheSourceOnce(t *testing.T) {
	path := onceConfig(t, true)
	if code, out, errOut := runCmd(t, "-config", path, "once"); code != exitFailure {
		t.Fatalf("once with the only source broken: exit %d\n%s%s", code, out, errOut)
	}
	files := digestFiles(t, filepath.Dir(path), ".eml")
	if len(files) != 1 {
		t.Fatalf("%d digests, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(data)), " ")
	if !strings.Contains(text, "Markets Wire failing since") || strings.Contains(text, `source "Markets Wire"`) {
		t.Errorf("footer of a failing source:\n%s", data)
	}
}

// TestOnceQuietPrintsFailuresOnly: once -q under cron, with a source
// failing, prints that failure and the exit reason as plain lines: no
// fetch listing, no digest written line, no log records.
func TestOnceQuietPrintsFailuresOnly(t *testing.T) {
	path := offlineConfig(t, `max_age = "87600h"`)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(cfg), "europe.atom", "missing.atom", 1)
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "-config", path, "once", "-q")
	if code != exitOK {
		t.Fatalf("once -q with one of two sources failing: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out+errOut), "\n")
	if len(lines) != 2 || lines[0] != "errors:" || !strings.Contains(lines[1], "Europe Desk") {
		t.Errorf("once -q printed %d lines, want the failing source alone:\n%s%s", len(lines), out, errOut)
	}
	if strings.Contains(out+errOut, "{") {
		t.Errorf("once -q printed log records:\n%s", errOut)
	}
}

// TestOfflineTryOut: the offline try-out names the file it wrote, in the
// folder examples/offline.toml names, and its stories from another year
// carry that year.
func TestOfflineTryOut(t *testing.T) {
	path := offlineConfig(t, `max_age = "87600h"`)
	code, out, errOut := runCmd(t, "-config", path, "once")
	if code != exitOK {
		t.Fatalf("once: exit %d\n%s%s", code, out, errOut)
	}
	i := strings.Index(out, "written to ")
	if i < 0 {
		t.Fatalf("once does not say where it wrote the digest:\n%s", out)
	}
	file, _, _ := strings.Cut(out[i+len("written to "):], ": ")
	if !strings.HasSuffix(file, ".eml") {
		t.Fatalf("once names %q, want the .eml file", file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "15 Nov 2025") {
		t.Errorf("a story of 2025 in a digest of another year has no year:\n%s", data)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "offline.toml"))
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Base(filepath.Dir(file))
	if !strings.Contains(string(example), "examples/digests/"+folder+"/") {
		t.Errorf("examples/offline.toml does not name the folder %s the digest went to", folder)
	}
}

// TestSendSaysWhatTheOtherSideAnswered: send -test shows a webhook's status
// and answer, posted with the configured User-Agent; send shows each mail's
// recipients and the server's answer, as send -test does.
func TestSendSaysWhatTheOtherSideAnswered(t *testing.T) {
	var ua string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua = r.Header.Get("User-Agent")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"queued": true}`)
	}))
	t.Cleanup(hook.Close)
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := smtpConfig(t, msrv)
	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), "send_empty = true\n", "send_empty = true\nnotify = [\""+hook.URL+"/hook\"]\n", 1)
	text = strings.Replace(text, "[output]", "[http]\nuser_agent = \"newswatch-test/1 (+https://example.org)\"\n[output]", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "-config", path, "send", "-test")
	if code != exitOK || !strings.Contains(out, "accepted by webhook "+hook.URL+"/hook: 202 Accepted {\"queued\": true}") {
		t.Fatalf("send -test: exit %d, want the webhook's status and answer\n%s%s", code, out, errOut)
	}
	if ua != "newswatch-test/1 (+https://example.org)" {
		t.Errorf("webhook User-Agent %q, want [http] user_agent", ua)
	}
	code, out, errOut = runCmd(t, "-config", path, "send", "Daily")
	if code != exitOK || !strings.Contains(out, "accepted by "+msrv.Addr()+" for analyst@example.org: 250 ") {
		t.Errorf("send: exit %d, want the recipients and the server's answer\n%s%s", code, out, errOut)
	}
}

// TestJSONDocumentAsDocumented: the webhook document shows the Message-ID
// as README's example does, "<…@…>", not "\u003c…\u003e".
func TestJSONDocumentAsDocumented(t *testing.T) {
	path := offlineConfig(t, `max_age = "87600h"`)
	if code, out, errOut := runCmd(t, "-config", path, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, "-config", path, "preview", "-format", "json")
	if code != exitOK || !strings.Contains(out, `"message_id": "<offline-brief.`) || strings.Contains(out, `\u003c`) {
		t.Errorf("preview -format json: exit %d\n%s%s", code, out, errOut)
	}
}

// TestCheckItemNamesAnExclusionOnce: check -item names the exclude phrase
// that stopped a match once, and the other phrases present after it.
func TestCheckItemNamesAnExclusionOnce(t *testing.T) {
	path := offlineConfig(t, `max_age = "87600h"`)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), `exclude = ["Alibaba Pictures"]`, `exclude = ["FT report", "completely false"]`, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "-config", path, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, "-config", path, "check", "-item", "https://markets.example.com/news/alibaba-denies-ft-report")
	if code != exitOK || strings.Count(out, `"FT report"`) != 1 || !strings.Contains(out, `(also excluded: "completely false")`) {
		t.Errorf("check -item of an excluded item: exit %d\n%s%s", code, out, errOut)
	}
}
