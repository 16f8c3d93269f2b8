package app

import (
	"strings"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/model"
)

// TestTooOldNamesItsDate: the too-old note names the date max_age judged
// by: the publication, else the time the item was first seen.
func TestTooOldNamesItsDate(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	cfg := &config.Config{MaxAge: 72 * time.Hour, Location: time.UTC}
	old := now.Add(-100 * time.Hour)
	if got := TooOld(cfg, now, model.Item{Published: old, FirstSeen: now}); !strings.Contains(got, "published 2026-12-02 08:00 UTC") {
		t.Errorf("dated item: %q", got)
	}
	if got := TooOld(cfg, now, model.Item{FirstSeen: old}); !strings.Contains(got, "first seen 2026-12-02 08:00 UTC") || !strings.Contains(got, "max_age 72h") {
		t.Errorf("undated item: %q", got)
	}
	if got := TooOld(cfg, now, model.Item{Published: now.Add(-time.Hour)}); got != "" {
		t.Errorf("fresh item: %q", got)
	}
}
