package daemon

import (
	"context"
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
		`"last_error": "webhook https://hooks.example.org/in?token=***: 500"`,
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
	if err := a.Store.MarkFailed(ctx, m.ID, "webhook "+hook+": 500"); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkDeliveryFailed(ctx, m.ID, ch.Key, `Post "`+hook+`": EOF`); err != nil {
		t.Fatal(err)
	}
}

// TestHealthMasksRemovedSource: a source removed from (or renamed in) the
// configuration keeps its health row, and /healthz lists it; an error an
// older version stored unmasked must not be shown with its secrets, since
// the URLs that would mask it are gone. The same holds for the outbox and
// delivery rows of a digest no longer configured.
func TestHealthMasksRemovedSource(t *testing.T) {
	const old = "http://user:hunter2@127.0.0.1:1/rss?apikey=SEKRET"
	const hook = "https://hooks.example.org/in?token=HOOKSECRET"
	// A paused digest is configured: its errors are masked, not hidden.
	cfgPath := writeDaemonConfig(t, t.TempDir(), 25, "http://127.0.0.1:1/feed", "", `to = ["analyst@example.org"]`,
		"to = [\"analyst@example.org\"]\nnotify = [\""+hook+"\"]\nenabled = false")
	a := openApp(t, cfgPath)
	storeFailures(t, a, "Removed", old, "Gone", hook)
	storeFailures(t, a, "Live", "http://127.0.0.1:1/feed", "Brief", hook)
	rec := httptest.NewRecorder()
	New(a, Options{}).serveHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	body := rec.Body.String()
	for _, secret := range []string{"hunter2", "SEKRET", "HOOKSECRET"} {
		if strings.Contains(body, secret) {
			t.Errorf("/healthz shows %q of a source or digest no longer configured:\n%s", secret, body)
		}
	}
	for _, want := range []string{`"name": "Removed"`, `"error": "` + hiddenSource + `"`, `"last_error": "` + hiddenDigest + `"`,
		`"last_error": "webhook https://hooks.example.org/in?token=***: 500"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/healthz lacks %s:\n%s", want, body)
		}
	}
	if n := strings.Count(body, hiddenDigest); n != 2 {
		t.Errorf("%d rows of the removed digest hidden, want its message and its delivery:\n%s", n, body)
	}
}
