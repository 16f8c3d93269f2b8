package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/model"
	"newswatch/store"
)

// TestDaemonRetriesHeldDigestsOnReload: a digest held back by the mail
// settings (the server refused the login) shows as held on /healthz, and is
// sent as soon as a reload brings the fix to [smtp], not at its next
// attempt (the app's clock stands still: that attempt never comes).
func TestDaemonRetriesHeldDigestsOnReload(t *testing.T) {
	fsrv := httptest.NewServer(&liveFeed{})
	defer fsrv.Close()
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	dir := t.TempDir()
	config := func(user string) string {
		return writeDaemonConfig(t, dir, msrv.Port(), fsrv.URL, "",
			`security = "none"`, fmt.Sprintf("security = \"none\"\nusername = %q\npassword_env = \"NW_TEST_SMTP_PASSWORD\"", user),
			`schedule = "@every 2s"`, `schedule = "0 7 1 1 *"`)
	}
	cfgPath := config("nobody")

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m := model.Message{Digest: "Brief", Slot: now, MessageID: "<held@example.org>", Subject: "Brief", To: []string{"analyst@example.org"},
		Text: "The digest held back.", Created: now, CoveredUntil: now}
	if err := st.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	st.Close()

	addr := freeAddr(t)
	_, log := startDaemon(t, cfgPath, func(d *Daemon) {
		d.opts.Listen = addr
		d.app.Now = func() time.Time { return now }
	})
	defer func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", log.String())
		}
	}()
	type entry struct {
		Digest string `json:"digest"`
		Held   bool   `json:"held"`
	}
	pending := func() []entry {
		_, body := httpGet("http://" + addr + "/healthz")
		var h struct {
			Pending []entry `json:"pending"`
		}
		json.Unmarshal([]byte(body), &h)
		return h.Pending
	}
	waitFor(t, 20*time.Second, "the digest held on /healthz", func() bool {
		p := pending()
		return len(p) == 1 && p[0].Digest == "Brief" && p[0].Held
	})
	if n := len(msrv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted with the wrong user name", n)
	}

	config("newswatch")
	waitFor(t, 20*time.Second, "the held digest sent after the reload", func() bool { return deliveredWith(msrv, "The digest held back.") > 0 })
	waitFor(t, 20*time.Second, "the outbox empty on /healthz", func() bool { return len(pending()) == 0 })
	if n := len(msrv.Messages()); n != 1 {
		t.Errorf("%d messages accepted, want the held digest once", n)
	}
}
