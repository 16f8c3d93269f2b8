package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/model"
)

// paidFeed is a source URL with a password and a query value to mask.
const paidFeed = "http://user:hunter2@127.0.0.1:1/rss?apikey=SEKRET"

// loadPaid loads a configuration with one source, "Paid", on paidFeed.
func loadPaid(t *testing.T, extra ...string) Setup {
	t.Helper()
	path := filepath.Join(t.TempDir(), "newswatch.toml")
	cfg := "database = \"nw.db\"\n[output]\ndir = \"out\"\n" +
		"[[sources]]\nname = \"Paid\"\nfeed = \"" + paidFeed + "\"\n" +
		"[[companies]]\nname = \"Alibaba\"\n" + strings.Join(extra, "")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStatusMasksStoredErrors: `status` shows a source's last error
// without the secrets of the source's URL, also when the error was
// recorded unmasked (by an older newswatch).
func TestStatusMasksStoredErrors(t *testing.T) {
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	ctx := context.Background()
	a, err := Open(ctx, loadPaid(t), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	run := model.Run{Source: "Paid", Started: now.Add(-time.Hour), Status: model.StatusError, Err: `source "Paid": fetch ` + paidFeed + `: HTTP 500`}
	if _, err := a.Store.SaveRun(ctx, run, nil); err != nil {
		t.Fatal(err)
	}
	st, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := a.PrintStatus(ctx, &out, st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "HTTP 500") {
		t.Fatalf("status shows no error:\n%s", out.String())
	}
	for _, secret := range []string{"hunter2", "SEKRET"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("status shows %q:\n%s", secret, out.String())
		}
	}
}

// TestSourceMask: a configured source's error is masked, once or twice
// alike; a removed source's error is a fixed text.
func TestSourceMask(t *testing.T) {
	mask := SourceMask(loadPaid(t).Config)
	once := mask("Paid", "fetch "+paidFeed+": HTTP 500")
	if strings.Contains(once, "hunter2") || strings.Contains(once, "SEKRET") || !strings.Contains(once, "HTTP 500") {
		t.Errorf("mask(Paid) = %q", once)
	}
	if twice := mask("Paid", once); twice != once {
		t.Errorf("masked twice = %q, once %q", twice, once)
	}
	if got := mask("Gone", "fetch http://x:pw12345@example.org/: HTTP 500"); got != removedSourceError {
		t.Errorf("mask(Gone) = %q, want %q", got, removedSourceError)
	}
}

// TestStatusChannelDueNow: a channel's delivery not tried yet (or being
// tried) shows as due now, not as never to be tried.
func TestStatusChannelDueNow(t *testing.T) {
	s := loadPaid(t)
	a := &App{Config: s.Config}
	slot := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	a.printChannels(&out, []model.Delivery{
		{Message: model.Message{Digest: "Brief", Slot: slot}, Channel: "https://hooks.example/a", Status: model.MessagePending},
		{Message: model.Message{Digest: "Brief", Slot: slot}, Channel: "https://hooks.example/b", Status: model.MessagePending, Attempts: 1, NextAttempt: slot.Add(time.Hour)},
	})
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 5 || !strings.Contains(lines[3], "due now") || strings.Contains(lines[3], "never") || !strings.Contains(lines[4], "2026-03-02 08:00") {
		t.Errorf("status channels:\n%s", out.String())
	}
}

// TestUnhealthyConfiguredSources: status -q judges the sources fetched
// now: a removed or paused source that worked does not hide that every
// enabled one failed, and one that failed is no outage when nothing
// configured was fetched yet.
func TestUnhealthyConfiguredSources(t *testing.T) {
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	ctx := context.Background()
	paused := "[[sources]]\nname = \"Old\"\nfeed = \"http://127.0.0.1:1/old\"\nenabled = false\n"
	a, err := Open(ctx, loadPaid(t, paused), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	unhealthy := func() error {
		t.Helper()
		st, err := a.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return a.Unhealthy(ctx, st.Health, st.Messages, st.Deliveries)
	}
	save := func(source, status string) {
		t.Helper()
		run := model.Run{Source: source, Started: now.Add(-time.Minute), Status: status}
		if status == model.StatusError {
			run.Err = "HTTP 500"
		}
		if _, err := a.Store.SaveRun(ctx, run, nil); err != nil {
			t.Fatal(err)
		}
	}
	save("Gone", model.StatusError)
	if err := unhealthy(); err != nil {
		t.Errorf("a removed source failed, the configured one not fetched yet: %v", err)
	}
	save("Gone", model.StatusOK)
	save("Paid", model.StatusError)
	if err := unhealthy(); !errors.Is(err, ErrEverySourceFailed) {
		t.Errorf("the configured source failed, a removed one worked: %v, want ErrEverySourceFailed", err)
	}
	save("Old", model.StatusOK) // before it was paused
	if err := unhealthy(); !errors.Is(err, ErrEverySourceFailed) {
		t.Errorf("the enabled source failed, a paused one worked before: %v, want ErrEverySourceFailed", err)
	}
	save("Paid", model.StatusOK)
	if err := unhealthy(); err != nil {
		t.Errorf("the configured source worked: %v", err)
	}
}
