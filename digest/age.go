package digest

import (
	"time"

	"newswatch/model"
)

// The max_age rule: a digest shows an item whose date — its publication,
// else the time it was first seen — is at most max_age before the time
// the digest is composed.

// AgeDate is the date max_age judges it by: its publication, else the
// time it was first seen; firstSeen says it is the latter.
func AgeDate(it model.Item) (date time.Time, firstSeen bool) {
	if it.Published.IsZero() {
		return it.FirstSeen, true
	}
	return it.Published, false
}

// Oldest is the earliest date (see AgeDate) a digest composed at now
// shows under maxAge.
func Oldest(now time.Time, maxAge time.Duration) time.Time {
	return now.Add(-maxAge)
}

// TooOld reports whether a digest composed at now leaves it out under
// maxAge. An item without any date, or a maxAge of 0 or less, is never
// too old.
func TooOld(now time.Time, maxAge time.Duration, it model.Item) bool {
	date, _ := AgeDate(it)
	return !date.IsZero() && maxAge > 0 && date.Before(Oldest(now, maxAge))
}
