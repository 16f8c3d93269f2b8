package app

import (
	"errors"
	"fmt"
	"time"

	"newswatch/store"
)

// ErrNotSaving is status's verdict when fetches are no longer being
// recorded. A full disk fails every save, the record of the failure
// included, so the sources' health stays as it last was ("ok"): what
// shows it is its age, and the disk's free space.
var ErrNotSaving = errors.New("fetches are not being recorded")

// minFree is the free space under which an SQLite database's disk counts
// as full: a fetch's items and health no longer fit.
const minFree = 1 << 20

// SaveProblem returns an error wrapping ErrNotSaving when the SQLite
// database's filesystem has less than 1 MB free, or when the newest
// fetch recorded is older than three periods of fetch_schedule plus
// fetch_timeout (a daemon fetches every period; `once` from cron should
// run at least as often as fetch_schedule says). nil when nothing was
// ever fetched.
func (a *App) SaveProblem(hs []store.Health, now time.Time) error {
	if free, ok := a.Store.FreeSpace(); ok && free < minFree {
		return fmt.Errorf("%w: the database's disk is full (%d KB free)", ErrNotSaving, free>>10)
	}
	var newest time.Time
	for _, h := range hs {
		if h.LastRun.After(newest) {
			newest = h.LastRun
		}
	}
	sched := a.Config.FetchTimetable
	if newest.IsZero() || sched == nil {
		return nil
	}
	slot := sched.Slot(now)
	period := slot.Sub(sched.Slot(slot.Add(-time.Nanosecond)))
	if period <= 0 {
		return nil
	}
	if late := now.Sub(newest); late > 3*period+a.Config.FetchTimeout {
		return fmt.Errorf("%w: the last fetch recorded was at %s, %s ago, though fetch_schedule %q asks for one every %s (a full disk or a database that cannot be written fails every save)",
			ErrNotSaving, newest.In(a.Config.Location).Format(timeLayout), late.Round(time.Minute), sched, period)
	}
	return nil
}
