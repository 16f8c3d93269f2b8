package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/digest"
	"newswatch/model"
)

// TestFooterMasksStoredErrors: a digest's failed-sources footer, mailed to
// every recipient, shows no secret of a source's URL, also for a failure
// recorded unmasked (by the version before, or by an older daemon on the
// same PostgreSQL database) within the digest's window.
func TestFooterMasksStoredErrors(t *testing.T) {
	const feed = "http://user:hunter2@127.0.0.1:1/rss?apikey=SEKRET"
	a, now := footerApp(t, feed, "")
	ctx := context.Background()
	for _, r := range []model.Run{
		{Source: "Paid", Started: now.Add(-2 * time.Hour), Status: model.StatusError, Err: `source "Paid": fetch ` + feed + `: HTTP 500`},
		{Source: "Paid", Started: now.Add(-time.Hour), Status: model.StatusOK},
		{Source: "Down", Started: now.Add(-time.Hour), Status: model.StatusError, Err: `source "Down": fetch ` + feed + `&down=1: HTTP 500`},
	} {
		if _, err := a.Store.SaveRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	footerShowsNone(t, a, now, "hunter2", "SEKRET")
}

// TestFooterMasksDeliveryErrors: the footer's lines about the digest's
// failed mail and failed channels show no secret of any configured URL,
// a source's or another digest's notify URL included, whichever the
// stored error quotes (a mail server or a webhook's answer may quote
// any).
func TestFooterMasksDeliveryErrors(t *testing.T) {
	a, now, secrets := failedDeliveries(t)
	d := footerShowsNone(t, a, now, secrets...)
	for _, want := range []string{"554 refused", "400 Bad Request: invalid json body"} {
		if !strings.Contains(d.Message.Text, want) {
			t.Errorf("the digest's footer does not show %q:\n%s", want, d.Message.Text)
		}
	}
}

// TestStatusMasksDeliveryErrors: `status` and `status -q` show the same
// failed deliveries as the footer with the same secrets masked.
func TestStatusMasksDeliveryErrors(t *testing.T) {
	a, _, secrets := failedDeliveries(t)
	ctx := context.Background()
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := a.PrintStatus(ctx, &out, st); err != nil {
		t.Fatal(err)
	}
	problem := a.Unhealthy(ctx, st.Health, st.Messages, st.Deliveries)
	if problem == nil {
		t.Fatal("status -q finds nothing wrong with a failed digest")
	}
	for _, want := range []string{"554 refused", "400 Bad Request: invalid json body"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status does not show %q:\n%s", want, out.String())
		}
	}
	for _, secret := range secrets {
		if strings.Contains(out.String(), secret) {
			t.Errorf("status shows %q:\n%s", secret, out.String())
		}
		if strings.Contains(problem.Error(), secret) {
			t.Errorf("status -q shows %q: %v", secret, problem)
		}
	}
}

// failedDeliveries opens footerApp with a failed mail and a failed channel
// of the digest "Brief", their errors quoting a source's URL, the
// digest's hook and another digest's; it returns the secrets they carry.
// The channel's error also says "json", a query value of the source's
// URL, as a word of its own: shown as it is.
func failedDeliveries(t *testing.T) (*App, time.Time, []string) {
	t.Helper()
	const (
		feed  = "http://user:hunter2@127.0.0.1:1/rss?apikey=SEKRET&format=json"
		hook  = "https://hooks.example.org/in?token=HOOKSEKRET"
		other = "https://other.example.org/in/0123456789abcdefOTHER"
	)
	a, now := footerApp(t, feed, fmt.Sprintf(`notify = [%q]

[[digests]]
name = "Other"
schedule = "0 8 * * *"
notify = [%q]
`, hook, other))
	ctx := context.Background()
	quoted := " (quoting " + feed + ", " + hook + " and " + other + ")"
	mail := model.Message{Digest: "Brief", Slot: now.Add(-2 * time.Hour), MessageID: "<mail@x>", To: []string{"a@example.org"}}
	if err := a.Store.CreateMessage(ctx, &mail); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkFailed(ctx, mail.ID, "554 refused"+quoted); err != nil {
		t.Fatal(err)
	}
	ch := ChannelNames(a.Config.Digests[0])[0]
	via := model.Message{Digest: "Brief", Slot: now.Add(-time.Hour), MessageID: "<hook@x>", Channels: []model.Channel{ch}}
	if err := a.Store.CreateMessage(ctx, &via); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.MarkDeliveryFailed(ctx, via.ID, ch.Key, "400 Bad Request: invalid json body"+quoted); err != nil {
		t.Fatal(err)
	}
	return a, now, []string{"hunter2", "SEKRET", "HOOKSEKRET", "0123456789abcdefOTHER"}
}

// footerApp opens an app with a SQLite database in a fresh folder: two
// sources at feed (the second with "&down=1" added) and a digest "Brief"
// with extra appended to it; the app's clock stands at the time returned.
func footerApp(t *testing.T, feed, extra string) (*App, time.Time) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	cfg := fmt.Sprintf(`database = "nw.db"
[output]
dir = "out"
[[sources]]
name = "Paid"
feed = %q
[[sources]]
name = "Down"
feed = %q
[[companies]]
name = "Alibaba"
[[topics]]
name = "Espionage"
terms = ["espionage"]
[[digests]]
name = "Brief"
schedule = "0 7 * * *"
to = ["a@example.org"]
send_empty = true
%s`, feed, feed+"&down=1", extra)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	a, err := Open(context.Background(), s, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, now
}

// footerShowsNone composes the digest "Brief" at now and fails the test
// when its mail or its JSON document shows one of secrets.
func footerShowsNone(t *testing.T, a *App, now time.Time, secrets ...string) digest.Draft {
	t.Helper()
	spec, ok := a.Spec("Brief")
	if !ok {
		t.Fatal("no spec")
	}
	d, err := a.Composer.Compose(context.Background(), spec, now, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		if strings.Contains(d.Message.Text, secret) || strings.Contains(d.Message.HTML, secret) || strings.Contains(d.Message.Doc, secret) {
			t.Errorf("the digest's footer shows %q:\n%s", secret, d.Message.Text)
		}
	}
	return d
}
