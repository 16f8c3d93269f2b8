// Package scraper fetches sources and turns them into items (SPEC §6).
package scraper

import (
	"context"
	"time"
)

// Source is one source to fetch, with the validators of its last successful fetch.
type Source struct {
	Name         string
	Feed         string
	Page         string
	Links        string
	Body         string
	FullText     bool
	ETag         string
	LastModified string
}

// Item is one article as a source published it. Text fields are as found
// (they may hold HTML); callers prepare them before matching or display.
type Item struct {
	Key       string    // identity: NormalizeURL(Link), else "guid:"+GUID
	Link      string    // absolute http(s) link, resolved against the final feed URL; "" if unsafe
	GUID      string
	Title     string
	Summary   string
	Content   string
	Body      string    // extracted article text (page sources, full_text)
	Published time.Time // zero when unknown
}

// Result is the outcome of fetching one source.
type Result struct {
	Source       string
	Items        []Item
	NotModified  bool // 304: nothing changed
	ETag         string
	LastModified string
	Duration     time.Duration
	Err          error // nil on success
}

// Options configure a Fetcher.
type Options struct {
	UserAgent     string
	Timeout       time.Duration
	MaxBody       int64
	Concurrency   int
	PerHostDelay  time.Duration
	RespectRobots bool
}

// Fetcher fetches sources over one shared HTTP client.
type Fetcher struct{}

// New returns a Fetcher.
func New(o Options) *Fetcher { panic("unimplemented") }

// Fetch fetches one source.
func (f *Fetcher) Fetch(ctx context.Context, src Source) Result { panic("unimplemented") }

// FetchAll fetches sources concurrently (Options.Concurrency at once) and calls
// done once per source, from any goroutine, as each finishes.
func (f *Fetcher) FetchAll(ctx context.Context, srcs []Source, done func(Result)) {
	panic("unimplemented")
}

// NormalizeURL returns the identity form of a link (SPEC §4).
func NormalizeURL(link string) (string, error) { panic("unimplemented") }
