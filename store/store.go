// Package store keeps items, source health and the digest outbox in SQLite.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrSlotTaken is returned by CreateMessage when the digest already has a
// message for that schedule slot.
var ErrSlotTaken = errors.New("store: digest slot already recorded")

// ErrLocked is returned by LockDaemon when another daemon holds the database.
var ErrLocked = errors.New("store: database is in use by another newswatch run")

// Store is an open database.
type Store struct{}

// Open opens (creating if needed) the database at path and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) { panic("unimplemented") }

// Close closes the database.
func (s *Store) Close() error { panic("unimplemented") }

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
}

// SaveRun records run as source health and, in the same transaction, stores
// items: unknown keys are inserted (FirstSeen = now), known ones only gain the
// source. Validators are written after the items, in the same transaction.
// It returns the items that were new, with ID and FirstSeen set.
func (s *Store) SaveRun(ctx context.Context, run Run, items []Item) ([]Item, error) {
	panic("unimplemented")
}

// Validators returns the ETag and Last-Modified saved for a source.
func (s *Store) Validators(ctx context.Context, source string) (etag, lastModified string, err error) {
	panic("unimplemented")
}

// Known reports which of keys are already stored.
func (s *Store) Known(ctx context.Context, keys []string) (map[string]bool, error) {
	panic("unimplemented")
}

// Health is a source's state, from its recorded runs.
type Health struct {
	Source       string
	LastStatus   string
	LastRun      time.Time
	LastSuccess  time.Time // zero: never
	LastError    string
	FailingSince time.Time // first error of the current failure streak; zero when healthy
	Failures     int       // consecutive failed runs
	Duration     time.Duration
	Items        int
}

// Health returns every source's health, by name.
func (s *Store) Health(ctx context.Context) ([]Health, error) { panic("unimplemented") }

// ItemQuery selects stored items.
type ItemQuery struct {
	FirstSeenAfter time.Time // zero: no bound
	Since          time.Time // published (first seen when unknown) at or after; zero: no bound
	UnclaimedBy    string    // digest name: skip items claimed by its pending or sent messages
	Key            string    // one item by key
	Limit          int       // 0: no limit
}

// Items returns the items q selects, newest first.
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]Item, error) { panic("unimplemented") }

// Message statuses.
const (
	MessagePending = "pending"
	MessageSent    = "sent"
	MessageFailed  = "failed"
)

// Message is one digest in the outbox.
type Message struct {
	ID           int64
	Digest       string
	Slot         time.Time // schedule slot; unique with Digest
	MessageID    string
	Subject      string
	To           []string
	Text         string
	HTML         string
	Status       string
	Attempts     int
	LastError    string
	NextAttempt  time.Time
	Created      time.Time
	Sent         time.Time
	CoveredUntil time.Time // items first seen up to here are covered
	ItemIDs      []int64
}

// CreateMessage records m as pending and claims its items, in one transaction.
// It sets m.ID. It returns ErrSlotTaken when (Digest, Slot) exists.
func (s *Store) CreateMessage(ctx context.Context, m *Message) error { panic("unimplemented") }

// Messages returns the messages with one of the statuses (all when none), oldest first.
func (s *Store) Messages(ctx context.Context, statuses ...string) ([]Message, error) {
	panic("unimplemented")
}

// LastSent returns the digest's sent message with the latest slot.
func (s *Store) LastSent(ctx context.Context, digest string) (Message, bool, error) {
	panic("unimplemented")
}

// LastSlot returns the latest slot recorded for the digest, whatever its status.
func (s *Store) LastSlot(ctx context.Context, digest string) (time.Time, bool, error) {
	panic("unimplemented")
}

// MarkSent records that the server accepted the message.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error { panic("unimplemented") }

// MarkRetry records a temporary failure; the message stays pending until next.
func (s *Store) MarkRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	panic("unimplemented")
}

// MarkFailed records a permanent failure; its items become unclaimed again.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	panic("unimplemented")
}

// LockDaemon takes the single-daemon lock for this database until release is
// called or the process ends; ErrLocked when another process holds it.
func (s *Store) LockDaemon() (release func(), err error) { panic("unimplemented") }
