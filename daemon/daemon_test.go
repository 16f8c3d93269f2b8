package daemon

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/app"
	"newswatch/digest"
	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

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

// waiters are the waitFor calls in progress, each woken by wake.
var (
	waitersMu sync.Mutex
	waiters   = map[chan struct{}]bool{}
)

// wake tells every waitFor that what its condition reads may have
// changed. The tests' hooks call it: each log line the daemon writes,
// each message the SMTP server accepts, each request a test server gets.
func wake() {
	waitersMu.Lock()
	defer waitersMu.Unlock()
	for ch := range waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// waitFor judges cond now and at each wake until it holds; the test fails
// if it does not within d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ch := make(chan struct{}, 1)
	waitersMu.Lock()
	waiters[ch] = true
	waitersMu.Unlock()
	defer func() {
		waitersMu.Lock()
		delete(waiters, ch)
		waitersMu.Unlock()
	}()
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for !cond() {
		select {
		case <-ch:
		case <-timeout.C:
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
	}
}

// wakingLog is a log that wakes waitFor after every line.
type wakingLog struct{ *testutil.LockedBuffer }

func (l wakingLog) Write(p []byte) (int, error) {
	defer wake()
	return l.LockedBuffer.Write(p)
}

// wakingHandler wakes waitFor after serving each request.
func wakingHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer wake()
		h.ServeHTTP(w, r)
	})
}

// newSMTP is a loopback SMTP server that wakes waitFor after accepting
// each message.
func newSMTP(t *testing.T) *smtptest.Server {
	return smtptest.New(t, smtptest.Options{OnStage: func(ev smtptest.Event) {
		if ev.Stage == smtptest.Accepted {
			wake()
		}
	}})
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

// openApp opens the app of the configuration at cfgPath, closed when the
// test ends.
func openApp(t *testing.T, cfgPath string) *app.App {
	t.Helper()
	s, err := app.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), s.Config.Database)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(s, st, time.Now)
	t.Cleanup(func() { a.Close() })
	return a
}

// startDaemon runs the daemon in process on cfgPath, logging as text to
// log; stop cancels it and returns Run's error.
func startDaemon(t *testing.T, cfgPath string, setup func(*Daemon)) (stop func() error, log *testutil.LockedBuffer) {
	t.Helper()
	log = &testutil.LockedBuffer{}
	a := openApp(t, cfgPath)
	d := New(a, Options{Logger: slog.New(slog.NewTextHandler(wakingLog{log}, nil))})
	if setup != nil {
		setup(d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop, log
}

// writeDaemonConfig writes daemonConfig for the feed and mail servers, with
// extra appended to the companies and each replacement made, and returns
// its path.
func writeDaemonConfig(t *testing.T, dir string, smtpPort int, feedURL, extra string, replace ...string) string {
	t.Helper()
	cfg := fmt.Sprintf(daemonConfig, smtpPort, feedURL, extra)
	cfg = strings.NewReplacer(replace...).Replace(cfg)
	path := filepath.Join(dir, "newswatch.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDaemonEndToEnd runs the daemon against a live feed and a loopback
// SMTP server: new items arrive in exactly one digest, a config edit adding
// a company takes effect, an invalid edit changes nothing, and Run returns
// nil once its context is cancelled.
func TestDaemonEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("daemon end-to-end test runs for several seconds")
	}
	feed := &liveFeed{}
	feed.add("a1", "Cainiao hub under espionage watch", "Belgium's security service watches Cainiao for spying.")
	feed.add("h0", "Huawei hit by new sanctions", "Huawei faces sanctions before the edit.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := newSMTP(t)
	dir := t.TempDir()
	cfgPath := writeDaemonConfig(t, dir, msrv.Port(), fsrv.URL, "")
	stop, log := startDaemon(t, cfgPath, nil)
	defer func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", log.String())
		}
	}()

	waitFor(t, 20*time.Second, "the first digest", func() bool { return deliveredWith(msrv, "Cainiao hub under espionage watch") > 0 })

	feed.add("a2", "Alibaba accused of spying on customers", "Alibaba denies spying.")
	waitFor(t, 20*time.Second, "the new item's digest", func() bool { return deliveredWith(msrv, "Alibaba accused of spying") > 0 })

	writeDaemonConfig(t, dir, msrv.Port(), fsrv.URL, huaweiCompany)
	waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(log.String(), "config reloaded") })
	feed.add("h1", "Huawei sanctions widened to chip suppliers", "Washington widened sanctions on Huawei.")
	waitFor(t, 20*time.Second, "the new company's story", func() bool { return deliveredWith(msrv, "Huawei sanctions widened") > 0 })

	// An invalid edit: logged, and the running configuration (with Huawei) stays.
	if err := os.WriteFile(cfgPath, []byte("fetch_schedule = \"every now and then\"\n[[companies]]\nname = \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the rejected reload", func() bool { return strings.Contains(log.String(), "config reload rejected") })
	feed.add("h2", "Huawei espionage case opens in Poland", "A Huawei employee is on trial for espionage.")
	waitFor(t, 20*time.Second, "a story after the invalid edit", func() bool { return deliveredWith(msrv, "Huawei espionage case") > 0 })

	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
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
	msrv := newSMTP(t)
	dir := t.TempDir()
	cfgPath := writeDaemonConfig(t, dir, msrv.Port(), fsrv.URL, "",
		`schedule = "@every 2s"`, `schedule = "0 7 * * *"`, `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`)

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

	stop, log := startDaemon(t, cfgPath, nil)
	waitFor(t, 20*time.Second, "the catch-up digest", func() bool { return len(msrv.Messages()) > 0 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
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

// TestDaemonSingleInstance: a second daemon on the same SQLite database
// refuses to start, with store.ErrLocked.
func TestDaemonSingleInstance(t *testing.T) {
	fsrv := httptest.NewServer(&liveFeed{})
	defer fsrv.Close()
	msrv := newSMTP(t)
	cfgPath := writeDaemonConfig(t, t.TempDir(), msrv.Port(), fsrv.URL, "")
	_, log := startDaemon(t, cfgPath, nil)
	waitFor(t, 10*time.Second, "the first daemon", func() bool { return strings.Contains(log.String(), "daemon started") })

	err := New(openApp(t, cfgPath), Options{}).Run(context.Background())
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "stop the other `newswatch run` first") {
		t.Fatalf("second daemon: %v; want store.ErrLocked saying what to do", err)
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

// TestDaemonJobPanics: a job that panics is logged and the next tick runs.
func TestDaemonJobPanics(t *testing.T) {
	feed := &liveFeed{}
	feed.add("p1", "Cainiao espionage inquiry", "Spying claims.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := newSMTP(t)
	cfgPath := writeDaemonConfig(t, t.TempDir(), msrv.Port(), fsrv.URL, "")
	var mu sync.Mutex
	calls := 0
	stop, log := startDaemon(t, cfgPath, func(d *Daemon) {
		d.beforeFetch = func() {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n <= 2 { // the start-up fetch, then a scheduled one
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
		return calls >= 3 && strings.Contains(log.String(), "fetch done")
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "injected failure") {
		t.Errorf("the panic was not logged:\n%s", log.String())
	}
}

// httpGet returns the status code and body of a GET of url.
func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestDaemonHealthzMetrics: with listen set, /healthz answers JSON with the
// sources' health and /metrics the Prometheus metrics.
func TestDaemonHealthzMetrics(t *testing.T) {
	feed := &liveFeed{}
	feed.add("m1", "Cainiao espionage inquiry", "Spying claims.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := newSMTP(t)
	addr := freeAddr(t)
	cfgPath := writeDaemonConfig(t, t.TempDir(), msrv.Port(), fsrv.URL, "", `fetch_schedule =`, fmt.Sprintf("timezone = \"Asia/Tokyo\"\nlisten = %q\nfetch_schedule =", addr))
	startDaemon(t, cfgPath, nil)
	waitFor(t, 15*time.Second, "a digest", func() bool { return len(msrv.Messages()) > 0 })
	code, body := httpGet("http://" + addr + "/healthz")
	if code != http.StatusOK || !strings.Contains(body, `"name": "Live"`) || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("/healthz: %d\n%s", code, body)
	}
	// Times in RFC 3339 in the configuration's zone, durations in seconds.
	var health struct {
		Sources []struct {
			LastRun  string  `json:"last_run"`
			Duration float64 `json:"duration"`
		} `json:"sources"`
		Next map[string]string `json:"next"`
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil || len(health.Sources) != 1 {
		t.Fatalf("/healthz: %v\n%s", err, body)
	}
	if run, err := time.Parse(time.RFC3339, health.Sources[0].LastRun); err != nil || !strings.HasSuffix(health.Sources[0].LastRun, "+09:00") || time.Since(run) > time.Hour {
		t.Errorf("/healthz: last_run %q, want RFC 3339 in Asia/Tokyo", health.Sources[0].LastRun)
	}
	if !strings.HasSuffix(health.Next["fetch"], "+09:00") {
		t.Errorf("/healthz: next fetch %q, want RFC 3339 in Asia/Tokyo", health.Next["fetch"])
	}
	if d := health.Sources[0].Duration; d <= 0 || d > 60 {
		t.Errorf("/healthz: duration %v, want the last run's in seconds", d)
	}
	waitFor(t, 15*time.Second, "metrics", func() bool {
		_, body := httpGet("http://" + addr + "/metrics")
		return strings.Contains(body, "newswatch_fetch_duration_seconds_count ") &&
			strings.Contains(body, `newswatch_last_success_timestamp_seconds{what="fetch:Live"}`) &&
			strings.Contains(body, `newswatch_digests_total{result="sent"}`)
	})
}

// TestDaemonPrunesAtStartup: the daemon drops the text of the items first
// seen more than retain ago when it starts (and daily at 03:30).
func TestDaemonPrunesAtStartup(t *testing.T) {
	fsrv := httptest.NewServer(&liveFeed{})
	defer fsrv.Close()
	msrv := newSMTP(t)
	dir := t.TempDir()
	cfgPath := writeDaemonConfig(t, dir, msrv.Port(), fsrv.URL, "",
		`max_age = "87600h"`, "max_age = \"72h\"\nretain = \"720h\"", `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`)
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
	defer db.Close()
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

	stop, log := startDaemon(t, cfgPath, nil)
	waitFor(t, 20*time.Second, "the old item's text to go", func() bool { return summary() == "" })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "pruned the store") {
		t.Errorf("the daemon does not log the prune:\n%s", log.String())
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
	msrv := newSMTP(t)
	dir := t.TempDir()
	version := func(name, extra string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeDaemonConfig(t, filepath.Join(dir, name), msrv.Port(), fsrv.URL, extra,
			`database = "nw.db"`, `database = "`+filepath.Join(dir, "nw.db")+`"`, `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`)
	}
	version("..2026_11_30_v1", "")
	if err := os.Symlink("..2026_11_30_v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "newswatch.toml")
	if err := os.Symlink(filepath.Join("..data", "newswatch.toml"), cfgPath); err != nil {
		t.Fatal(err)
	}

	judged := make(chan bool, 16)
	_, log := startDaemon(t, cfgPath, func(d *Daemon) { d.afterDebounce = func(reload bool) { judged <- reload } })
	waitFor(t, 20*time.Second, "the daemon to start", func() bool { return strings.Contains(log.String(), "daemon started") })

	// A new file in the folder: judged, and no reload.
	if err := os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case reload := <-judged:
		if reload {
			t.Errorf("a new file beside the config reloaded it:\n%s", log.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the new file's event was never judged")
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
	waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Contains(log.String(), "config reloaded") })
	if !strings.Contains(log.String(), "companies=2") {
		t.Errorf("the reload did not pick up the new company:\n%s", log.String())
	}
}

// TestDaemonServesExtraServers: a server given in Options.Servers answers
// while the daemon runs and is shut down when Run returns; one that cannot
// listen stops Run from starting.
func TestDaemonServesExtraServers(t *testing.T) {
	fsrv := httptest.NewServer(&liveFeed{})
	defer fsrv.Close()
	msrv := newSMTP(t)
	cfgPath := writeDaemonConfig(t, t.TempDir(), msrv.Port(), fsrv.URL, "", `fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`)
	addr := freeAddr(t)
	extra := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "console") })}
	stop, _ := startDaemon(t, cfgPath, func(d *Daemon) { d.opts.Servers = []*http.Server{extra} })
	waitFor(t, 10*time.Second, "the extra server", func() bool { _, body := httpGet("http://" + addr + "/"); return body == "console" })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if code, _ := httpGet("http://" + addr + "/"); code != 0 {
		t.Errorf("the extra server still answers (%d) after Run returned", code)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := &http.Server{Addr: ln.Addr().String()}
	err = New(openApp(t, cfgPath), Options{Servers: []*http.Server{taken}}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Run with a server on a taken address: %v; want an error naming it", err)
	}
}

// hookRecorder is a webhook receiver recording the bodies and
// Idempotency-Keys it is posted.
type hookRecorder struct {
	mu     sync.Mutex
	bodies []string
	keys   []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, string(b))
	h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
}

func (h *hookRecorder) posts() ([]string, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...), append([]string(nil), h.keys...)
}

// The daemon delivers a digest's notify channels with its mail: the
// webhook gets the document of the digest the mail server got.
func TestDaemonNotify(t *testing.T) {
	feed := &liveFeed{}
	feed.add("n1", "Cainiao notify espionage probe", "Spying claims at the hub.")
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := newSMTP(t)
	hook := &hookRecorder{}
	hsrv := httptest.NewServer(wakingHandler(hook))
	defer hsrv.Close()
	cfgPath := writeDaemonConfig(t, t.TempDir(), msrv.Port(), fsrv.URL, "",
		`to = ["analyst@example.org"]`, fmt.Sprintf("to = [\"analyst@example.org\"]\nnotify = [%q]", hsrv.URL+"/hook"))
	stop, log := startDaemon(t, cfgPath, nil)
	waitFor(t, 20*time.Second, "the webhook post", func() bool {
		bodies, _ := hook.posts()
		return len(bodies) > 0
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	bodies, keys := hook.posts()
	var doc digest.Document
	if err := json.Unmarshal([]byte(bodies[0]), &doc); err != nil {
		t.Fatalf("webhook body: %v\n%s", err, bodies[0])
	}
	if len(doc.Stories) != 1 || !strings.Contains(doc.Stories[0].Title, "Cainiao notify espionage probe") || keys[0] != doc.MessageID {
		t.Errorf("webhook got %+v with key %q", doc, keys[0])
	}
	if deliveredWith(msrv, "Cainiao notify espionage probe") != 1 {
		t.Errorf("the mail was not delivered once beside the webhook")
	}
	if len(bodies) != 1 {
		t.Errorf("%d webhook posts, want 1 (nothing new after the first digest)", len(bodies))
	}
}

// countingFeed is an empty feed counting its requests.
type countingFeed struct {
	mu sync.Mutex
	n  int
}

func (f *countingFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
	(&liveFeed{}).ServeHTTP(w, r)
}

func (f *countingFeed) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// TestDaemonFetchesAtStart: a daemon started on a database whose sources
// were not fetched since the fetch schedule's latest slot fetches them at
// once, not at the next slot (a year away here); started again right
// after, it does not fetch them again.
func TestDaemonFetchesAtStart(t *testing.T) {
	feed := &countingFeed{}
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	msrv := newSMTP(t)
	cfgPath := writeDaemonConfig(t, t.TempDir(), msrv.Port(), fsrv.URL, "",
		`fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`, `schedule = "@every 2s"`, `schedule = "0 7 1 1 *"`)

	stop, log := startDaemon(t, cfgPath, nil)
	waitFor(t, 20*time.Second, "the start-up fetch", func() bool { return strings.Contains(log.String(), "fetch done") })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := feed.requests(); n != 1 {
		t.Fatalf("%d requests at the first start, want 1\n%s", n, log.String())
	}

	stop, log = startDaemon(t, cfgPath, nil)
	waitFor(t, 20*time.Second, "the start-up decision", func() bool { return strings.Contains(log.String(), "no fetch at start-up") })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := feed.requests(); n != 1 {
		t.Errorf("%d requests after the second start, want still 1: the last fetch is fresh\n%s", n, log.String())
	}
}
