package daemon

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"newswatch/app"
	"newswatch/config"
	"newswatch/model"
	"newswatch/web"
)

// TestHealthMasksSecrets: /healthz, served to anyone who reaches the
// listen address, shows no secret of a source URL or a notify URL, also
// in errors recorded unmasked (before they were stored masked).
func TestHealthMasksSecrets(t *testing.T) {
	const feed = "http://user:hunter2@127.0.0.1:1/fail/0123456789abcdef0123456789abcdef/rss?apikey=SEKRET&x=1"
	const hook = "https://hooks.example.org/in?token=HOOKSECRET"
	cfgPath := writeDaemonConfig(t, t.TempDir(), 25, feed, "", `to = ["analyst@example.org"]`,
		"to = [\"analyst@example.org\"]\nnotify = [\""+hook+"\"]")
	a := openApp(t, cfgPath)
	storeFailures(t, a, "Live", feed, "Brief", hook)

	d := New(a, Options{})
	rec := httptest.NewRecorder()
	d.serveHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	body := rec.Body.String()
	for _, secret := range []string{"hunter2", "SEKRET", "0123456789abcdef", "HOOKSECRET"} {
		if strings.Contains(body, secret) {
			t.Errorf("/healthz shows %q:\n%s", secret, body)
		}
	}
	for _, want := range []string{
		`fetch http://user:***@127.0.0.1:1/fail/***/rss?apikey=***\u0026x=***: HTTP 500`,
		`"last_error": "webhook https://hooks.example.org/in?token=***: 500 after http://user:***@127.0.0.1:1/fail/***/rss?apikey=***\u0026x=***"`,
		`"last_error": "Post \"https://hooks.example.org/in?token=***\": EOF"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/healthz lacks %s:\n%s", want, body)
		}
	}
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz: %d", rec.Code)
	}
}

// TestHealthHostCheck: on a loopback listen address, /healthz and
// /metrics answer only requests naming this machine (a scraper using the
// address included) and 421 to any other name, so that a page of another
// site re-pointing its name at 127.0.0.1 cannot read them; on any other
// address, every name.
func TestHealthHostCheck(t *testing.T) {
	cfgPath := writeDaemonConfig(t, t.TempDir(), 25, "http://127.0.0.1:1/feed", "")
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	d := New(openApp(t, cfgPath), Options{Listen: addr})
	d.keepMetrics()
	stop, err := d.serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, path := range []string{"/healthz", "/metrics"} {
		for host, want := range map[string]int{
			"":                     http.StatusOK, // the address itself
			"localhost:" + port:    http.StatusOK,
			"LOCALHOST":            http.StatusOK,
			"[::1]:" + port:        http.StatusOK,
			"127.0.0.2":            http.StatusOK,
			"evil.example":         http.StatusMisdirectedRequest,
			"evil.example:" + port: http.StatusMisdirectedRequest,
			"192.0.2.1:" + port:    http.StatusMisdirectedRequest,
		} {
			req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
			if host != "" {
				req.Host = host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s with Host %q: %d, want %d", path, host, resp.StatusCode, want)
			}
		}
	}

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, listen := range []string{"0.0.0.0:9090", ":9090", "192.0.2.1:9090", "[::]:9090"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Host = "monitor.example.org"
		onlyHosts(web.ListenHosts(listen), ok).ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("listen %s, Host %s: %d, want 200", listen, req.Host, rec.Code)
		}
	}
}

// storeFailures records, as an older version did, unmasked errors quoting
// feed and hook: a failed run of source, and a failed message of digest
// with a failed delivery to hook.
func storeFailures(t *testing.T, a *app.App, source, feed, digest, hook string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if _, err := a.Store.SaveRun(ctx, model.Run{Source: source, Started: now, Status: model.StatusError,
		Err: `source "` + source + `": fetch ` + feed + `: HTTP 500 Internal Server Error`}, nil); err != nil {
		t.Fatal(err)
	}
	ch := model.Channel{Key: config.ChannelKey(hook), Name: config.MaskURL(hook)}
	m := model.Message{Digest: digest, Slot: now, MessageID: "<" + digest + "@example.org>", Subject: "s", To: []string{"analyst@example.org"},
		CoveredUntil: now, Channels: []model.Channel{ch}}
	if err := a.Store.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	// A server's answer may quote any URL: the mail's error quotes the
	// source's too.
	if err := a.Store.MarkFailed(ctx, m.ID, "webhook "+hook+": 500 after "+feed); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkDeliveryFailed(ctx, m.ID, ch.Key, `Post "`+hook+`": EOF`); err != nil {
		t.Fatal(err)
	}
}

// getHealth is /healthz of d, decoded.
func getHealth(t *testing.T, d *Daemon) (healthReport, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	d.serveHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	var rep healthReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("/healthz: %v\n%s", err, rec.Body)
	}
	return rep, rec.Body.String()
}

// healthSources are the names of the sources /healthz lists.
func healthSources(rep healthReport) []string {
	var names []string
	for _, s := range rep.Sources {
		names = append(names, s.Name)
	}
	return names
}

// TestHealthOnlyConfigured: /healthz lists only the sources, digests and
// notify channels the configuration has (paused ones too): a source or
// digest removed or renamed, or a channel whose URL was corrected, keeps
// its rows in the database, but its last error would trip a monitor
// forever. Nothing of them shows, their secrets least of all.
func TestHealthOnlyConfigured(t *testing.T) {
	const old = "http://user:hunter2@127.0.0.1:1/rss?apikey=SEKRET"
	const hook = "https://hooks.example.org/in?token=HOOKSECRET"
	const fixed = "https://hooks.example.org/in?token=NEWSECRET"
	// Brief, paused, now notifies the corrected URL alone.
	cfgPath := writeDaemonConfig(t, t.TempDir(), 25, "http://127.0.0.1:1/feed", "", `to = ["analyst@example.org"]`,
		"to = [\"analyst@example.org\"]\nnotify = [\""+fixed+"\"]\nenabled = false")
	a := openApp(t, cfgPath)
	storeFailures(t, a, "Removed", old, "Gone", hook)
	storeFailures(t, a, "Live", "http://127.0.0.1:1/feed", "Brief", fixed)
	// A digest of Brief from before the correction: its mail failed, and
	// so did its delivery to the old URL, recorded unmasked.
	ctx := context.Background()
	ch := model.Channel{Key: config.ChannelKey(hook), Name: config.MaskURL(hook)}
	m := model.Message{Digest: "Brief", Slot: time.Now().Add(-time.Hour), MessageID: "<before@example.org>", Subject: "s",
		To: []string{"analyst@example.org"}, CoveredUntil: time.Now(), Channels: []model.Channel{ch}}
	if err := a.Store.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkFailed(ctx, m.ID, "smtp: 550 mailbox unavailable"); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkDeliveryFailed(ctx, m.ID, ch.Key, `Post "`+hook+`": EOF`); err != nil {
		t.Fatal(err)
	}
	rep, body := getHealth(t, New(a, Options{}))
	for _, gone := range []string{"Removed", "Gone", "hunter2", "SEKRET", "HOOKSECRET", "NEWSECRET"} {
		if strings.Contains(body, gone) {
			t.Errorf("/healthz shows %q, no longer configured:\n%s", gone, body)
		}
	}
	if got := healthSources(rep); len(got) != 1 || got[0] != "Live" {
		t.Errorf("/healthz lists sources %q, want Live alone:\n%s", got, body)
	}
	// Brief's two mails, and the delivery to the URL it notifies now.
	var mails, channels int
	for _, e := range rep.Failed {
		switch {
		case e.Digest != "Brief":
			t.Errorf("/healthz lists a failure of %q", e.Digest)
		case e.Channel == "":
			mails++
		case e.Channel == config.MaskURL(fixed):
			channels++
		default:
			t.Errorf("/healthz lists a delivery to %q, no longer configured", e.Channel)
		}
	}
	if mails != 2 || channels != 1 || len(rep.Failed) != 3 {
		t.Errorf("/healthz lists %d failed mails and %d deliveries, want 2 and 1 (the configured channel):\n%s", mails, channels, body)
	}
	hs, err := a.Store.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 {
		t.Errorf("%d sources' health in the database, want both kept", len(hs))
	}
}

// TestHealthAfterReload: a reload that removes a source drops it from
// /healthz at once.
func TestHealthAfterReload(t *testing.T) {
	const extra = "\n[[sources]]\nname = \"Extra\"\nfeed = \"http://127.0.0.1:1/extra\"\n"
	// Nothing scheduled runs during the test.
	never := []string{`"@every 1s"`, `"0 0 1 1 *"`, `"@every 2s"`, `"0 0 1 1 *"`}
	dir := t.TempDir()
	cfgPath := writeDaemonConfig(t, dir, 25, "http://127.0.0.1:1/feed", extra, never...)
	a := openApp(t, cfgPath)
	storeFailures(t, a, "Extra", "http://127.0.0.1:1/extra", "Brief", "https://hooks.example.org/in")
	if _, err := a.Store.SaveRun(context.Background(), model.Run{Source: "Live", Started: time.Now(), Status: model.StatusOK}, nil); err != nil {
		t.Fatal(err)
	}
	d := New(a, Options{})
	defer func() {
		d.stopCron()
		d.wg.Wait()
	}()
	if rep, body := getHealth(t, d); len(rep.Sources) != 2 {
		t.Fatalf("/healthz before the reload lists %q, want Live and Extra:\n%s", healthSources(rep), body)
	}
	writeDaemonConfig(t, dir, 25, "http://127.0.0.1:1/feed", "", never...)
	d.reload()
	if rep, body := getHealth(t, d); len(rep.Sources) != 1 || rep.Sources[0].Name != "Live" {
		t.Errorf("/healthz after a reload that removed Extra lists %q, want Live alone:\n%s", healthSources(rep), body)
	}
}
