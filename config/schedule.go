package config

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a digest's or the fetch's timetable in its zone; Load parses
// fetch_schedule and each digest's schedule into one, and the daemon, status
// and /healthz all read their times from it.
//
// robfig/cron evaluates 5-field specs on the zone's clock instants, so on a
// spring-forward day a 02:30 job never fires and on a fall-back day a 01:30
// job fires twice. We evaluate the spec on the wall clock instead: each wall
// slot fires exactly once, at its first instant; a slot inside a DST gap fires
// one gap later (02:30 → 03:30 EDT). "@every D" keeps its
// meaning of real elapsed time.
type Schedule struct {
	text  string
	spec  *cron.SpecSchedule // evaluated in wall-clock space (UTC stands for the wall clock)
	every cron.Schedule      // @every: real time
	loc   *time.Location
}

// scheduleParser accepts the standard 5 fields and the descriptors
// (@daily, @hourly, "@every 2h", ...).
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule reads a 5-field cron expression, a descriptor such as
// "@daily" or "@every 2h", in loc (nil: the machine's zone).
func ParseSchedule(spec string, loc *time.Location) (*Schedule, error) {
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", spec, err)
	}
	if loc == nil {
		loc = time.Local
	}
	sc := &Schedule{text: spec, loc: loc}
	switch v := s.(type) {
	case *cron.SpecSchedule:
		wall := *v
		wall.Location = time.UTC
		sc.spec = &wall
	default:
		sc.every = s
	}
	return sc, nil
}

// String is the schedule as written.
func (s *Schedule) String() string { return s.text }

// Next returns the first slot after t.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every != nil {
		return s.every.Next(t)
	}
	wall := toWall(t.In(s.loc))
	for i := 0; i < 1000; i++ {
		nw := s.spec.Next(wall)
		if nw.IsZero() {
			return time.Time{}
		}
		at := fromWall(nw, s.loc)
		if at.After(t) {
			return at
		}
		wall = nw
	}
	return time.Time{}
}

// Prev returns the last slot at or before now, searching forward from
// after (exclusive); ok is false when no slot lies in (after, now].
func (s *Schedule) Prev(after, now time.Time) (time.Time, bool) {
	var last time.Time
	found := false
	for t, i := s.Next(after), 0; !t.IsZero() && !t.After(now) && i < 1_000_000; t, i = s.Next(t), i+1 {
		last, found = t, true
	}
	return last, found
}

// Slot is the slot a tick at now stands for, the same in every daemon that
// runs the schedule whenever it started: the last slot at or before now;
// for "@every D", now rounded down to a multiple of D.
func (s *Schedule) Slot(now time.Time) time.Time {
	if s.every != nil {
		if d, ok := s.every.(cron.ConstantDelaySchedule); ok && d.Delay > 0 {
			return now.Truncate(d.Delay)
		}
		return now.Truncate(time.Second)
	}
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		if t, ok := s.Prev(now.Add(-back), now); ok {
			return t
		}
	}
	return now.Truncate(time.Second)
}

func toWall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// fromWall returns the first instant whose wall clock in loc reads w. A
// wall time inside a DST gap does not exist; time.Date then gives the instant
// one gap later (02:30 → 03:30 EDT), which is when such a slot fires.
func fromWall(w time.Time, loc *time.Location) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	// On a fall-back day two instants read w; time.Date may pick the later.
	if e := t.Add(-time.Hour); toWall(e.In(loc)).Equal(w) {
		return e
	}
	// In a gap time.Date may normalise backwards (02:30 → 01:30 EST): move
	// forward by what the wall clock is short of.
	if got := toWall(t.In(loc)); got.Before(w) {
		return t.Add(w.Sub(got))
	}
	return t
}
