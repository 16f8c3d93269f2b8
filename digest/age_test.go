package digest

import (
	"testing"
	"time"

	"newswatch/model"
)

// TestTooOld: the max_age rule judges by publication, else first seen,
// and keeps an item exactly max_age old.
func TestTooOld(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		name      string
		it        model.Item
		old, seen bool
	}{
		{"fresh publication", model.Item{Published: now.Add(-day), FirstSeen: now.Add(-9 * day)}, false, false},
		{"old publication, seen today", model.Item{Published: now.Add(-4 * day), FirstSeen: now}, true, false},
		{"exactly max_age", model.Item{Published: now.Add(-3 * day)}, false, false},
		{"no date, first seen long ago", model.Item{FirstSeen: now.Add(-4 * day)}, true, true},
		{"no date, first seen today", model.Item{FirstSeen: now}, false, true},
		{"no date at all", model.Item{}, false, true},
	}
	for _, c := range cases {
		if got := TooOld(now, 3*day, c.it); got != c.old {
			t.Errorf("%s: TooOld = %v, want %v", c.name, got, c.old)
		}
		if _, seen := AgeDate(c.it); seen != c.seen {
			t.Errorf("%s: AgeDate says first seen = %v, want %v", c.name, seen, c.seen)
		}
	}
	if TooOld(now, 0, model.Item{Published: now.Add(-400 * day)}) {
		t.Error("max_age 0 left an item out")
	}
}
