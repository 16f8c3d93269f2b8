package config

import (
	"testing"
	"time"
)

// TestScheduleDST checks that a daily digest fires exactly once on the days
// the clocks change, where robfig/cron alone skips or repeats it.
func TestScheduleDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec string
		day  time.Time
		want []string // local times of the slots that day
	}{
		{"spring forward 02:30", "30 2 * * *", time.Date(2026, 3, 8, 0, 0, 0, 0, ny), []string{"03:30 EDT"}},
		{"fall back 01:30", "30 1 * * *", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), []string{"01:30 EDT"}},
		{"ordinary day 07:00", "0 7 * * *", time.Date(2026, 11, 2, 0, 0, 0, 0, ny), []string{"07:00 EST"}},
		{"hourly on fall back", "0 * * * *", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, ny)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			dayEnd := tt.day.AddDate(0, 0, 1)
			for at := s.Next(tt.day.Add(-time.Second)); at.Before(dayEnd); at = s.Next(at) {
				got = append(got, at.In(ny).Format("15:04 MST"))
			}
			if tt.want == nil {
				// Every wall-clock hour once: 24 slots, none twice.
				if len(got) != 24 {
					t.Fatalf("hourly slots on fall-back day = %d (%v), want 24", len(got), got)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("slots = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("slots = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestSchedulePrevCatchUp(t *testing.T) {
	s, err := ParseSchedule("0 7 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	prev, ok := s.Prev(last, now)
	if !ok || !prev.Equal(time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("Prev = %v, %v; want 2026-11-23 07:00", prev, ok)
	}
	if _, ok := s.Prev(prev, now); ok {
		t.Fatal("Prev after the latest slot found another")
	}
}

func TestScheduleSlot(t *testing.T) {
	loc := time.UTC
	at := time.Date(2026, 3, 2, 8, 17, 41, 500, loc)
	for _, tt := range []struct {
		spec string
		want time.Time
	}{
		{"*/15 * * * *", time.Date(2026, 3, 2, 8, 15, 0, 0, loc)},
		{"0 7 * * *", time.Date(2026, 3, 2, 7, 0, 0, 0, loc)},
		{"0 9 * * *", time.Date(2026, 3, 1, 9, 0, 0, 0, loc)},
		{"@every 10s", time.Date(2026, 3, 2, 8, 17, 40, 0, loc)},
	} {
		s, err := ParseSchedule(tt.spec, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Slot(at); !got.Equal(tt.want) {
			t.Errorf("%s: Slot = %s, want %s", tt.spec, got, tt.want)
		}
	}
}
