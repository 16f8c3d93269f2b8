package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/app"
	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
)

// onceConfig writes a config with one file:// feed (or a missing one when
// broken) and a send_empty digest "Daily" at 07:00 Brussels time.
func onceConfig(t *testing.T, broken bool) string {
	t.Helper()
	feed, err := filepath.Abs(filepath.Join("..", "..", "examples", "feeds", "markets.rss"))
	if err != nil {
		t.Fatal(err)
	}
	if broken {
		feed += ".missing"
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`timezone = "Europe/Brussels"
database = "nw.db"
max_age = "87600h"
[output]
dir = "out"
[[sources]]
name = "Markets Wire"
feed = "file://%s"
[[companies]]
name = "Alibaba"
aliases = ["Cainiao"]
[[topics]]
name = "Espionage"
terms = ["espionage", "spying"]
[[digests]]
name = "Daily"
schedule = "0 7 * * *"
to = ["analyst@example.org"]
send_empty = true
`, feed)
	path := filepath.Join(dir, "newswatch.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// onceApp opens the app of the config at path with logs discarded, and
// returns a counter of the digests written to its output folder.
func onceApp(t *testing.T, path string) (*cli, *env, func() int) {
	t.Helper()
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	e.config = path
	a, err := openApp(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	mails := func() int {
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "out", "Daily", "*.eml"))
		return len(files)
	}
	return a, e, mails
}

// onceAt runs once with the app's clock at now and checks the digests
// written so far.
func onceAt(t *testing.T, a *cli, e *env, mails func() int, now time.Time, want int) {
	t.Helper()
	a.Now = func() time.Time { return now }
	if _, err := a.once(context.Background(), e, io.Discard, nil); err != nil {
		t.Fatalf("%v: %v", now, err)
	}
	if got := mails(); got != want {
		t.Fatalf("after once at %v: %d digests, want %d", now, got, want)
	}
}

// TestOnceSendsWhenDue: once delivers a digest only when its latest
// scheduled slot is later than its last delivery, one digest for a whole
// missed window; a digest never delivered goes out on the first run.
func TestOnceSendsWhenDue(t *testing.T) {
	a, e, mails := onceApp(t, onceConfig(t, false))
	loc := a.Config.Location
	for _, step := range []struct {
		now  time.Time
		want int // mails written so far
	}{
		{time.Date(2026, 3, 2, 8, 0, 0, 0, loc), 1},   // never delivered: now
		{time.Date(2026, 3, 2, 8, 10, 0, 0, loc), 1},  // not due again
		{time.Date(2026, 3, 2, 23, 50, 0, 0, loc), 1}, // nor later that day
		{time.Date(2026, 3, 3, 7, 0, 30, 0, loc), 2},  // the 07:00 slot has come
		{time.Date(2026, 3, 3, 7, 10, 0, 0, loc), 2},  // and is delivered
		{time.Date(2026, 3, 6, 9, 0, 0, 0, loc), 3},   // three slots missed: one digest
	} {
		onceAt(t, a, e, mails, step.now, step.want)
	}
}

// TestOnceEmptySlotIsDone: a due digest with nothing to send (send_empty
// off) completes its slot once it has been delivered before; a story
// arriving later that day waits for the next slot instead of going out at
// the next cron run. A digest never delivered is different: its first run
// found nothing (the feeds failed, or had nothing yet), and it goes out at
// the next run that has something, not a day later.
func TestOnceEmptySlotIsDone(t *testing.T) {
	path := onceConfig(t, false)
	feed := filepath.Join(filepath.Dir(path), "wire.rss")
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.NewReplacer("send_empty = true", "send_empty = false",
		`feed = "file://`, `feed = "file:wire.rss" # `).Replace(string(cfg)))
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	quiet := testutil.Item("Markets close higher", "https://news.example/markets", "", "Nothing tracked.")
	first := testutil.Item("Cainiao accused of spying", "https://news.example/cainiao-spying", "", "Espionage claims.")
	second := testutil.Item("Cainiao spying claims grow", "https://news.example/cainiao-spying-2", "", "More espionage claims.")
	a, e, mails := onceApp(t, path)
	loc := a.Config.Location
	for _, step := range []struct {
		now   time.Time
		items []string // the feed from this step on
		want  int
	}{
		{time.Date(2026, 3, 1, 9, 0, 0, 0, loc), []string{quiet}, 0},                 // never delivered, nothing to send
		{time.Date(2026, 3, 1, 9, 10, 0, 0, loc), []string{quiet, first}, 1},         // the next run sends the first digest
		{time.Date(2026, 3, 2, 7, 0, 30, 0, loc), []string{quiet, first}, 1},         // due, nothing new: the slot is done
		{time.Date(2026, 3, 2, 10, 0, 0, 0, loc), []string{quiet, first, second}, 1}, // a story arrives: not due
		{time.Date(2026, 3, 2, 23, 50, 0, 0, loc), nil, 1},                           // still not
		{time.Date(2026, 3, 3, 7, 0, 30, 0, loc), nil, 2},                            // the next slot takes it
	} {
		if step.items != nil {
			if err := os.WriteFile(feed, []byte(testutil.RSS(step.items...)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		onceAt(t, a, e, mails, step.now, step.want)
	}
}

// TestOnceQuietAndExit: `once -q` prints nothing when all went well, and
// prints the errors and exits 1 when every source failed.
func TestOnceQuietAndExit(t *testing.T) {
	path := onceConfig(t, false)
	code, out, errOut := runCmd(t, "-config", path, "once", "-q")
	if code != exitOK || out != "" || errOut != "" {
		t.Errorf("once -q: exit %d, stdout %q, stderr %q; want 0 and nothing printed", code, out, errOut)
	}
	code, out, _ = runCmd(t, "-config", path, "once")
	if code != exitOK || out == "" {
		t.Errorf("once: exit %d, stdout %q; want 0 and the fetch summary", code, out)
	}

	broken := onceConfig(t, true)
	code, out, errOut = runCmd(t, "-config", broken, "once", "-q")
	if code != exitFailure {
		t.Errorf("once -q with every source failing: exit %d, want %d", code, exitFailure)
	}
	if out == "" || errOut == "" {
		t.Errorf("once -q with every source failing printed stdout %q, stderr %q; want the errors", out, errOut)
	}
}

// TestSendAgainSameMinute: a send after a completed one in the same minute
// delivers again under a new Message-ID instead of reporting the slot as
// recorded.
func TestSendAgainSameMinute(t *testing.T) {
	path := onceConfig(t, false)
	for i := range 2 {
		if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitOK {
			t.Fatalf("send %d: exit %d\n%s%s", i+1, code, out, errOut)
		}
	}
	files, err := filepath.Glob(filepath.Join(filepath.Dir(path), "out", "Daily", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\r\n") {
			if strings.HasPrefix(line, "Message-ID:") || strings.HasPrefix(line, "Message-Id:") {
				ids[line] = true
			}
		}
	}
	if len(files) != 2 || len(ids) != 2 {
		t.Errorf("%d digests with %d Message-IDs (%v), want 2 and 2", len(files), len(ids), ids)
	}
}

// TestSendTest: send -test delivers a test message now, to -to when given,
// through SMTP (or to the output folder without it), and records nothing.
func TestSendTest(t *testing.T) {
	path := onceConfig(t, false)
	code, out, errOut := runCmd(t, "-config", path, "send", "-test")
	if code != exitOK || !strings.Contains(out, "Daily: test message written to") {
		t.Fatalf("send -test without smtp: exit %d\n%s%s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "out", "Daily", "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d test messages written, want 1", len(files))
	}

	msrv := smtptest.New(t, smtptest.Options{})
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	smtp := fmt.Sprintf("[smtp]\nhost = \"127.0.0.1\"\nport = %d\nsecurity = \"none\"\nfrom = \"Newswatch <newswatch@example.org>\"\n", msrv.Port())
	if err := os.WriteFile(path, []byte(strings.Replace(string(cfg), "[output]", smtp+"[output]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "-config", path, "send", "-test", "-to", "me@example.org", "Daily")
	if code != exitOK || !strings.Contains(out, "accepted by 127.0.0.1") || !strings.Contains(out, ": 250 2.0.0 OK") {
		t.Fatalf("send -test through smtp: exit %d\n%s%s", code, out, errOut)
	}
	msgs := msrv.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "me@example.org" {
		t.Fatalf("smtp server got %+v, want one message to me@example.org", msgs)
	}
	// Nothing was recorded: the first real send is still due.
	if code, out, _ := runCmd(t, "-config", path, "status"); code != exitOK || !strings.Contains(out, "Daily  never") {
		t.Errorf("status after send -test: exit %d\n%s", code, out)
	}
}

// TestReadersOnANewDatabase: on a database without newswatch's tables (a
// new PostgreSQL database; here an empty SQLite file), check validates and
// says there is nothing to backtest yet, status says to fetch first, and
// preview shows an empty digest.
func TestReadersOnANewDatabase(t *testing.T) {
	path := onceConfig(t, false)
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "nw.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "-config", path, "check"); code != exitOK || !strings.Contains(out, "no backtest yet") {
		t.Errorf("check on a new database: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "-config", path, "status"); code != exitFailure || !strings.Contains(errOut, "run `newswatch fetch` or `newswatch once` first") {
		t.Errorf("status on a new database: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", path, "preview"); code != exitOK || !strings.Contains(out, "Subject: Daily") {
		t.Errorf("preview on a new database: exit %d\n%s%s", code, out, errOut)
	}
	if fi, err := os.Stat(filepath.Join(filepath.Dir(path), "nw.db")); err != nil || fi.Size() != 0 {
		t.Errorf("preview wrote the new database: %v, %v", fi, err)
	}
	// And where no database exists, preview creates none.
	missing := onceConfig(t, false)
	if code, out, errOut := runCmd(t, "-config", missing, "preview"); code != exitOK || !strings.Contains(out, "Subject: Daily") {
		t.Errorf("preview without a database: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(missing), "nw.db")); err == nil {
		t.Error("preview created the database")
	}
}

// TestEmptySlotIsDone: a scheduled slot with nothing to send (the daemon's
// or once's) is recorded as done, so that catching up after a restart
// later that day does not find it due and mail later stories off schedule
// (and a daemon down at the next slot catches that one up); but a digest
// never delivered, composed off its schedule (once's first run), stays due.
func TestEmptySlotIsDone(t *testing.T) {
	path := onceConfig(t, true) // no feed: nothing to send
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(cfg), "send_empty = true", "send_empty = false", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _, _ := onceApp(t, path)
	specs, err := a.specs(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := time.Date(2026, 3, 1, 9, 13, 0, 0, a.Config.Location) // once's first run, off the schedule
	if what, _, err := a.Compose(ctx, specs[0], first, false); err != nil || what != app.NothingNew {
		t.Fatalf("compose of an empty digest: %v, %v; want nothing new", what, err)
	}
	if last, ok, err := a.Store.LastSlot(ctx, "Daily"); err != nil || ok {
		t.Fatalf("last slot after the first, empty digest off the schedule = %v, %v, %v; want none: a digest never delivered stays due", last, ok, err)
	}
	slot := time.Date(2026, 3, 2, 7, 0, 2, 0, a.Config.Location) // the daemon's first scheduled slot, its tick 2 s late (SQLite: the tick's time)
	if what, _, err := a.Compose(ctx, specs[0], slot, false); err != nil || what != app.NothingNew {
		t.Fatalf("compose of an empty digest: %v, %v; want nothing new", what, err)
	}
	last, ok, err := a.Store.LastSlot(ctx, "Daily")
	if err != nil || !ok || !last.Equal(slot) {
		t.Errorf("last slot after the daemon's empty digest = %v, %v, %v; want %v", last, ok, err, slot)
	}
}
