package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestScheduleAgreesOnDST: on the day Brussels springs forward, 02:30 does
// not exist; the daemon's cron, `status` and /healthz all put the next slot
// of a 02:30 digest at 03:30 CEST (robfig/cron on its own skips the day).
func TestScheduleAgreesOnDST(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	e.config = writeConfig(t, feedServer(t).URL, `
[[digests]]
name = "Night"
schedule = "30 2 * * *"
to = ["night@example.org"]
`)
	a, err := openApp(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	loc := a.cfg.Location
	now := time.Date(2026, 3, 29, 0, 0, 0, 0, loc)
	a.now = func() time.Time { return now }
	want := time.Date(2026, 3, 29, 3, 30, 0, 0, loc)

	d := newDaemon(e, a)
	if err := d.schedule(a); err != nil {
		t.Fatal(err)
	}
	night := a.cfg.Digests[len(a.cfg.Digests)-1]
	var daemonNext time.Time
	for _, en := range d.cron.Entries() {
		if en.Schedule == cron.Schedule(night.Timetable) {
			daemonNext = en.Schedule.Next(now)
		}
	}
	d.shutdown()
	if !daemonNext.Equal(want) {
		t.Errorf("daemon: next slot %v, want %v", daemonNext, want)
	}

	var status bytes.Buffer
	if err := a.printSchedule(&status, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), "2026-03-29 03:30 CEST") {
		t.Errorf("status: want the next slot 2026-03-29 03:30 CEST in\n%s", status.String())
	}

	rec := httptest.NewRecorder()
	d.serveHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	var health struct {
		Next map[string]time.Time `json:"next"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &health); err != nil {
		t.Fatalf("/healthz: %v\n%s", err, rec.Body.String())
	}
	if got := health.Next["Night"]; !got.Equal(want) {
		t.Errorf("/healthz: next slot %v, want %v", got, want)
	}
}
