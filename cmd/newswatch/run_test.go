package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// TestMain lets a test run the real binary's main as a subprocess: the test
// binary re-executes itself with NEWSWATCH_BE_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("NEWSWATCH_BE_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// liveFeed is an RSS feed whose items a test adds while the daemon runs.
type liveFeed struct {
	mu    sync.Mutex
	items []string
}

func (f *liveFeed) add(id, title, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, fmt.Sprintf(`<item><title>%s</title><link>https://news.example/%s</link><guid>%s</guid><description>%s</description></item>`, title, id, id, body))
}

func (f *liveFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Live</title><link>https://news.example/</link>%s</channel></rss>`, strings.Join(f.items, ""))
}

const daemonConfig = `fetch_schedule = "@every 1s"
database = "nw.db"
max_age = "87600h"

[http]
timeout = "2s"
per_host_delay = "0s"

[smtp]
host = "127.0.0.1"
port = %d
security = "none"
from = "Newswatch <newswatch@example.org>"

[[sources]]
name = "Live"
feed = "%s"

[[companies]]
name = "Alibaba"
aliases = ["Cainiao"]
%s
[[topics]]
name = "Espionage"
terms = ["espionage", "spying"]

[[topics]]
name = "Sanctions"
terms = ["sanctions"]

[[digests]]
name = "Brief"
schedule = "@every 2s"
to = ["analyst@example.org"]
`

const huaweiCompany = `
[[companies]]
name = "Huawei"
`

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// deliveredWith counts the accepted messages whose body mentions s.
func deliveredWith(srv *smtptest.Server, s string) int {
	n := 0
	for _, m := range srv.Messages() {
		if bytes.Contains(m.Data, []byte(s)) {
			n++
		}
	}
	return n
}

// TestDaemonEndToEnd runs `newswatch run` as a subprocess against a live feed
// and a loopback SMTP server: new items arrive in exactly one digest, a
// config edit adding a company takes effect, an invalid edit changes nothing,
// and SIGTERM exits 0 within the shutdown deadline.
func TestDaemonEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("daemon end-to-end test runs for several seconds")
	}
	feed := &liveFeed{}
	feed.add("a1", "Cainiao hub under espionage watch", "Belgium's security service watches Cainiao for spying.")
	feed.add("h0", "Huawei hit by new sanctions", "Huawei faces sanctions before the edit.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "newswatch.toml")
	writeCfg := func(extra string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, extra)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("")

	stderr := &testutil.LockedBuffer{}
	cmd := exec.Command(os.Args[0], "-config", cfgPath, "-log-format", "text", "run")
	cmd.Env = append(os.Environ(), "NEWSWATCH_BE_MAIN=1")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", stderr.String())
		}
	}()

	waitFor(t, 20*time.Second, "the first digest", func() bool { return deliveredWith(msrv, "Cainiao hub under espionage watch") > 0 })

	feed.add("a2", "Alibaba accused of spying on customers", "Alibaba denies spying.")
	waitFor(t, 20*time.Second, "the new item's digest", func() bool { return deliveredWith(msrv, "Alibaba accused of spying") > 0 })

	writeCfg(huaweiCompany)
	waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(stderr.String(), "config reloaded") })
	feed.add("h1", "Huawei sanctions widened to chip suppliers", "Washington widened sanctions on Huawei.")
	waitFor(t, 20*time.Second, "the new company's story", func() bool { return deliveredWith(msrv, "Huawei sanctions widened") > 0 })

	// An invalid edit: logged, and the running configuration (with Huawei) stays.
	if err := os.WriteFile(cfgPath, []byte("fetch_schedule = \"every now and then\"\n[[companies]]\nname = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the rejected reload", func() bool { return strings.Contains(stderr.String(), "config reload rejected") })
	feed.add("h2", "Huawei espionage case opens in Poland", "A Huawei employee is on trial for espionage.")
	waitFor(t, 20*time.Second, "a story after the invalid edit", func() bool { return deliveredWith(msrv, "Huawei espionage case") > 0 })

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exit after SIGTERM: %v", err)
		}
	case <-time.After(shutdownDeadline + 5*time.Second):
		t.Fatalf("daemon still running %v after SIGTERM, past its %v shutdown deadline", shutdownDeadline+5*time.Second, shutdownDeadline)
	}
	t.Logf("daemon stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))

	for _, title := range []string{"Cainiao hub under espionage watch", "Alibaba accused of spying", "Huawei sanctions widened", "Huawei espionage case"} {
		if n := deliveredWith(msrv, title); n != 1 {
			t.Errorf("%q delivered in %d digests, want exactly 1", title, n)
		}
	}
	if n := deliveredWith(msrv, "Huawei hit by new sanctions"); n > 1 {
		t.Errorf("pre-edit Huawei item delivered %d times", n)
	}
}

// TestDaemonCatchUp: a database whose last delivered slot is three days old
// gets one digest at start-up, not three.
func TestDaemonCatchUp(t *testing.T) {
	feed := &liveFeed{}
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "newswatch.toml")
	cfg := strings.Replace(fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, ""), `schedule = "@every 2s"`, `schedule = "0 7 * * *"`, 1)
	cfg = strings.Replace(cfg, `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`, 1)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, 0, -3).Truncate(24 * time.Hour).Add(7 * time.Hour)
	m := model.Message{Digest: "Brief", Slot: old, MessageID: "<old@example.org>", Subject: "old", To: []string{"analyst@example.org"},
		Status: model.MessagePending, Created: old, CoveredUntil: old}
	if err := st.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSent(ctx, m.ID, old); err != nil {
		t.Fatal(err)
	}
	items := []model.Item{
		{Key: "https://news.example/x1", Link: "https://news.example/x1", Title: "Cainiao espionage probe widens", Summary: "Spying claims."},
		{Key: "https://news.example/x2", Link: "https://news.example/x2", Title: "Alibaba faces sanctions", Summary: "Cainiao too."},
	}
	if _, err := st.SaveRun(ctx, model.Run{Source: "Live", Started: time.Now(), Status: model.StatusOK, Items: 2}, items); err != nil {
		t.Fatal(err)
	}
	st.Close()

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan int, 1)
	var out, errb testutil.LockedBuffer
	go func() { done <- run(runCtx, []string{"-config", cfgPath, "run"}, &out, &errb) }()
	waitFor(t, 20*time.Second, "the catch-up digest", func() bool { return len(msrv.Messages()) > 0 })
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("run exit %d\n%s", code, errb.String())
	}
	msgs := msrv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("catch-up sent %d digests, want 1", len(msgs))
	}
	for _, title := range []string{"Cainiao espionage probe widens", "Alibaba faces sanctions"} {
		if !bytes.Contains(msgs[0].Data, []byte(title)) {
			t.Errorf("catch-up digest lacks %q", title)
		}
	}
}

// TestDaemonSingleInstance: a second `run` on the same database refuses to
// start while `send` may run beside it.
func TestDaemonSingleInstance(t *testing.T) {
	feed := &liveFeed{}
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})
	cfgPath := filepath.Join(t.TempDir(), "newswatch.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb testutil.LockedBuffer
	go func() { done <- run(ctx, []string{"-config", cfgPath, "-log-format", "text", "run"}, &out, &errb) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 10*time.Second, "the first daemon", func() bool {
		return strings.Contains(errb.String(), "daemon started")
	})

	code, _, stderr := runCmd(t, "-config", cfgPath, "run")
	if code != exitFailure || !strings.Contains(stderr, "another newswatch run") {
		t.Fatalf("second run: exit %d, stderr %q; want exit 1 naming the other run", code, stderr)
	}
	if code, _, stderr := runCmd(t, "-config", cfgPath, "send"); code != exitOK {
		t.Fatalf("send beside the daemon: exit %d\n%s", code, stderr)
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}

// startDaemon runs the daemon in process on cfgPath; stop it with the
// returned function, which returns the exit code.
func startDaemon(t *testing.T, cfgPath string, setup func(*daemon)) (stop func() int, log *testutil.LockedBuffer) {
	t.Helper()
	log = &testutil.LockedBuffer{}
	e := &env{stdout: log, stderr: log}
	e.config, e.daemon, e.logFormat = cfgPath, true, "text"
	e.log = newLogger(log, e.level(), e.logFormat)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := openApp(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(e, a)
	if setup != nil {
		setup(d)
	}
	done := make(chan error, 1)
	go func() { done <- d.serve(ctx) }()
	return func() int {
		cancel()
		err := <-done
		a.Close()
		if err != nil {
			t.Errorf("daemon: %v", err)
			return exitFailure
		}
		return exitOK
	}, log
}

// TestDaemonJobPanics: a job that panics is logged and the next tick runs.
func TestDaemonJobPanics(t *testing.T) {
	feed := &liveFeed{}
	feed.add("p1", "Cainiao espionage inquiry", "Spying claims.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})
	cfgPath := filepath.Join(t.TempDir(), "newswatch.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	stop, log := startDaemon(t, cfgPath, func(d *daemon) {
		d.beforeFetch = func() {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 1 {
				panic("injected failure")
			}
		}
	})
	defer func() {
		if t.Failed() {
			t.Log(log.String())
		}
	}()
	waitFor(t, 15*time.Second, "a fetch after the panic", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return calls >= 2 && strings.Contains(log.String(), "fetch done")
	})
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(log.String(), "injected failure") {
		t.Errorf("the panic was not logged:\n%s", log.String())
	}
}

// TestDaemonHealthzMetrics: with listen set, /healthz answers JSON with the
// sources' health and /metrics the Prometheus metrics.
func TestDaemonHealthzMetrics(t *testing.T) {
	feed := &liveFeed{}
	feed.add("m1", "Cainiao espionage inquiry", "Spying claims.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})
	addr := freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "newswatch.toml")
	cfg := fmt.Sprintf("listen = %q\n", addr) + fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, "")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	stop, _ := startDaemon(t, cfgPath, nil)
	defer stop()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	waitFor(t, 15*time.Second, "a digest", func() bool { return len(msrv.Messages()) > 0 })
	code, body := get("/healthz")
	if code != http.StatusOK || !strings.Contains(body, `"name": "Live"`) || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("/healthz: %d\n%s", code, body)
	}
	waitFor(t, 15*time.Second, "metrics", func() bool {
		_, body := get("/metrics")
		return strings.Contains(body, `newswatch_fetch_duration_seconds_count{source="Live"}`) &&
			strings.Contains(body, `newswatch_digests_total{result="sent"}`)
	})
}

// TestDaemonPrunesAtStartup: `run` drops the text of the items first seen
// more than retain ago when it starts (and daily at 03:30).
func TestDaemonPrunesAtStartup(t *testing.T) {
	fsrv := httptest.NewServer(&liveFeed{})
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "newswatch.toml")
	cfg := strings.Replace(fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, ""), `max_age = "87600h"`, "max_age = \"72h\"\nretain = \"720h\"", 1)
	cfg = strings.Replace(cfg, `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`, 1)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dbPath := filepath.Join(dir, "nw.db")
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	old := model.Item{Key: "https://news.example/old", Link: "https://news.example/old", Title: "Cainiao spying", Summary: "Old text."}
	if _, err := st.SaveRun(ctx, model.Run{Source: "Live", Started: time.Now(), Status: model.StatusOK, Items: 1}, []model.Item{old}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE items SET first_seen = first_seen - ?`, int64(60*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	summary := func() string {
		var s string
		if err := db.QueryRowContext(ctx, `SELECT summary FROM items WHERE key = ?`, old.Key).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan int, 1)
	var out, errb testutil.LockedBuffer
	go func() { done <- run(runCtx, []string{"-config", cfgPath, "run"}, &out, &errb) }()
	waitFor(t, 20*time.Second, "the old item's text to go", func() bool { return summary() == "" })
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("run exit %d\n%s", code, errb.String())
	}
	db.Close()
	if !strings.Contains(errb.String(), "pruned the store") {
		t.Errorf("the daemon does not log the prune:\n%s", errb.String())
	}
}

// TestDaemonReloadsSymlinkedConfig: a config reached through symlinks, as a
// Kubernetes ConfigMap mounts it (newswatch.toml -> ..data/newswatch.toml,
// ..data -> a dated folder), is reloaded when ..data is swapped to a new
// folder; entries of the folder that change without changing the config
// (the database) do not reload it.
func TestDaemonReloadsSymlinkedConfig(t *testing.T) {
	fsrv := httptest.NewServer(&liveFeed{})
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{})
	dir := t.TempDir()
	version := func(name, extra string) {
		t.Helper()
		cfg := strings.Replace(fmt.Sprintf(daemonConfig, msrv.Port(), fsrv.URL, extra), `database = "nw.db"`, `database = "`+filepath.Join(dir, "nw.db")+`"`, 1)
		cfg = strings.Replace(cfg, `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`, 1)
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "newswatch.toml"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_11_30_v1", "")
	if err := os.Symlink("..2026_11_30_v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "newswatch.toml")
	if err := os.Symlink(filepath.Join("..data", "newswatch.toml"), cfgPath); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb testutil.LockedBuffer
	go func() { done <- run(ctx, []string{"-config", cfgPath, "run"}, &out, &errb) }()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("run exit %d\n%s", code, errb.String())
		}
	}()
	waitFor(t, 20*time.Second, "the daemon to start", func() bool { return strings.Contains(errb.String(), "daemon started") })

	// A new file in the folder: no reload (a slow machine could only make
	// this pass wrongly, never fail wrongly).
	if err := os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if strings.Contains(errb.String(), "config reloaded") {
		t.Errorf("a new file beside the config reloaded it:\n%s", errb.String())
	}
	// The ConfigMap update: a new dated folder, a temporary link to it,
	// renamed over ..data.
	version("..2026_11_30_v2", huaweiCompany)
	if err := os.Symlink("..2026_11_30_v2", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(errb.String(), "config reloaded") })
	if !strings.Contains(errb.String(), "companies=2") && !strings.Contains(errb.String(), `"companies":2`) {
		t.Errorf("the reload did not pick up the new company:\n%s", errb.String())
	}
}
