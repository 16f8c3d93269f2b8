package model

import "time"

// Item is a stored article.
type Item struct {
	ID        int64
	Key       string
	Link      string
	GUID      string
	Title     string
	Summary   string
	Content   string
	Body      string
	Published time.Time // zero when unknown
	FirstSeen time.Time
	Sources   []string // every source that carried it, the first one first
	// Richer marks an item the store returns from saving a run that was
	// stored already and took this batch's copy as its best one: its text
	// changed, so it must be matched again. Only items no digest has
	// claimed are returned so.
	Richer bool
}

// Run statuses.
const (
	StatusOK          = "ok"
	StatusNotModified = "not_modified"
	StatusError       = "error"
)

// Run is one source's fetch outcome.
type Run struct {
	Source       string
	Started      time.Time
	Duration     time.Duration
	Status       string // StatusOK, StatusNotModified or StatusError
	Items        int    // items the source returned
	Err          string // when Status is StatusError
	ETag         string // validators, kept only when Status is StatusOK
	LastModified string
	// Site is the source's feed or page URL: a copy of an article from the
	// article's own site is preferred to other sources' copies.
	Site string
}
