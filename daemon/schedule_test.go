package daemon

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// TestScheduleAgreesOnDST: on the day Brussels springs forward, 02:30 does
// not exist; the daemon's cron and /healthz put the next slot of a 02:30
// digest at 03:30 CEST (robfig/cron on its own skips the day), as `status`
// does.
func TestScheduleAgreesOnDST(t *testing.T) {
	cfgPath := writeDaemonConfig(t, t.TempDir(), 25, "http://127.0.0.1:1/feed", "",
		`database = "nw.db"`, "timezone = \"Europe/Brussels\"\ndatabase = \"nw.db\"",
		`schedule = "@every 2s"`, `schedule = "30 2 * * *"`)
	a := openApp(t, cfgPath)
	loc := a.Config.Location
	now := time.Date(2026, 3, 29, 0, 0, 0, 0, loc)
	a.Now = func() time.Time { return now }
	want := time.Date(2026, 3, 29, 3, 30, 0, 0, loc)

	d := New(a, Options{})
	if err := d.schedule(a); err != nil {
		t.Fatal(err)
	}
	night := a.Config.Digests[0]
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

	rec := httptest.NewRecorder()
	d.serveHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	var health struct {
		Next map[string]string `json:"next"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &health); err != nil {
		t.Fatalf("/healthz: %v\n%s", err, rec.Body.String())
	}
	// RFC 3339 in the configuration's zone, the fetch's too.
	if got, want := health.Next["Brief"], "2026-03-29T03:30:00+02:00"; got != want {
		t.Errorf("/healthz: next slot %q, want %q", got, want)
	}
	if got, want := health.Next["fetch"], "2026-03-29T00:00:01+01:00"; got != want {
		t.Errorf("/healthz: next fetch %q, want %q", got, want)
	}
}
