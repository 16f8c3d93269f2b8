package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDevNullIsNotATerminal: /dev/null is a character device, not a
// terminal: logs sent there are JSON and no progress line is drawn.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("IsTerminal(/dev/null) = true")
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("IsTerminal(a buffer) = true")
	}
}

// TestJSONDurationsInSeconds: a duration in a JSON log is a number of
// seconds with decimals; the text log keeps Go's 1.5s.
func TestJSONDurationsInSeconds(t *testing.T) {
	var b bytes.Buffer
	New(&b, slog.LevelInfo, "json", func() *time.Location { return nil }).Info("fetch done", "duration", 1500*time.Millisecond)
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["duration"] != 1.5 {
		t.Errorf("JSON duration = %v (%T), want 1.5 seconds\n%s", rec["duration"], rec["duration"], b.String())
	}
	b.Reset()
	New(&b, slog.LevelInfo, "text", func() *time.Location { return nil }).Info("fetch done", "duration", 1500*time.Millisecond)
	if !strings.Contains(b.String(), "duration=1.5s") {
		t.Errorf("text log: %s", b.String())
	}
}

// TestTimesInZone: the records' times are written in the zone given.
func TestTimesInZone(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	New(&b, slog.LevelInfo, "json", func() *time.Location { return loc }).Info("x", "slot", time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC))
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if at, _ := rec["time"].(string); !strings.HasSuffix(at, "+09:00") {
		t.Errorf("record time %q not in Asia/Tokyo", at)
	}
	if rec["slot"] != "2026-03-02T16:00:00+09:00" {
		t.Errorf("slot %v not in Asia/Tokyo", rec["slot"])
	}
}
