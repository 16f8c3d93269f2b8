package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestScheduleAgreesOnDST: on the day Brussels springs forward, 02:30 does
// not exist; `status` puts the next slot of a 02:30 digest at 03:30 CEST,
// as the daemon's cron and /healthz do.
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
	now := time.Date(2026, 3, 29, 0, 0, 0, 0, a.Config.Location)
	var status bytes.Buffer
	if err := a.PrintSchedule(&status, now); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), "2026-03-29 03:30 CEST") {
		t.Errorf("status: want the next slot 2026-03-29 03:30 CEST in\n%s", status.String())
	}
}
