// Package scraper fetches sources and turns them into items.
//
// Every request of a Fetcher — feeds, robots.txt, listing pages and
// articles, and each redirect hop of each — takes one path (http.go,
// roundTripper): it waits for its host's turn (Options.PerHostDelay, a
// robots.txt Crawl-delay, a Retry-After, across all sources; polite.go),
// then has Options.Timeout for the exchange, body included; keep-alive and
// HTTP/2 where offered, gzip always requested and decoded by us, a body
// limit applied after decompression (a larger body is an error, never a
// truncated parse), at most 10 redirects, http and https only (file:// only
// for a file:// source), and conditional GET with ETag and Last-Modified for
// feeds. A 429 or 503 is retried twice, after its Retry-After (else 1 s,
// then 2 s); a Retry-After beyond 30 s fails the request; while waiting,
// the host is held for every source. A file:// source is read under the
// same limit; its validator is a weak ETag of size and modification time.
//
// A source may not reach a loopback, private, link-local, unspecified,
// multicast or documentation address, nor one of this machine's own
// addresses, on any hop (redirects, full_text article links, page links),
// unless it is a private source (netguard.go). A source is private only by
// its configuration: a literal private address in its URL, or a host name
// every address of which is private when the fetch starts (or
// Options.AllowPrivate); a name answering one public address among private
// ones is public. A private source is pinned: its host is dialled at those
// addresses only, and besides public addresses it reaches those and no other
// private one. The check runs in the dialer on the address being connected,
// so DNS rebinding is refused too. Each private source has its own
// connection pool, and its own robots.txt cache entries.
//
// A feed's body is held as it came (compressed) until one of the Fetcher's
// parse slots, as many as GOMAXPROCS, decompresses and parses it: sources in
// flight wait on their servers in parallel, while only as many bodies are
// decompressed and parsed at once as there are processors. A gzip body is
// bounded by the body limit both as it came and decompressed.
//
// Feeds (feed.go) are parsed with gofeed after the body is converted to UTF-8
// (byte order mark, then the XML prolog or Content-Type charset; bytes that
// are valid UTF-8 are read as UTF-8 whatever the label says, since a mislabel
// is far likelier than legacy text that happens to be valid UTF-8) and cleaned
// of characters XML forbids. encoding/xml does not expand DTD entities nor
// read external ones, so billion-laughs and XXE documents cost nothing.
//
// Item identity (Item.Key) is NormalizeURL of the item's link (url.go), else
// the GUID, else a hash of title and date; see Item.
//
// # Page sources and full text
//
// A page source (Source.Page with a Links CSS selector) is fetched with colly
// (collect.go) for link discovery and selectors, over the same request path
// as feeds, with the private-address policy of the source's own URL and a
// cookie jar for the one fetch. colly's own defaults (its user agent, its robots.txt switch, its body
// limit that truncates silently, COLLY_* environment variables) are all
// overridden. The links are the href of each element the selector matches,
// or of the first link inside it, resolved against the page and its <base>,
// http and https only, without fragment, once per NormalizeURL, in page
// order (Result.Links). Links whose key Options.Known reports as stored are
// not fetched again: they come back as link-only items, so the store notes
// this source for them. The others are fetched (at most Source.MaxArticles)
// and become items whose Key is NormalizeURL of the link as listed, Link
// that link, Body the extracted plain text (extract.go): the text of the
// elements the Body selector matches, or, without one, what readability
// keeps of the page (navigation, header, footer, "related" and share boxes
// dropped), falling back to [itemprop=articleBody], <article> or <main>
// without their nav, header, footer and aside. Title: og:title, else the
// first <h1> outside header, nav, aside and footer, else <title>, else the
// link's text. Published: article:published_time, else JSON-LD datePublished
// (an Article's before any other), else <time datetime> in the body, else in the
// page; zero (first-seen time) when none, clamped like feed dates. Pages
// nesting elements deeper than 512 levels are refused before parsing.
//
// A feed source with FullText gets the same treatment for each new item
// with a link (known keys skipped): the page's text goes into Item.Body, so
// matching sees it; an item whose page failed keeps its feed text.
//
// Politeness: robots.txt is obeyed when Options.RespectRobots (robots.go,
// temoto/robotstxt, fetched through our client, kept an hour per host for
// all sources; a 4xx robots.txt allows everything, a 429, 5xx or network
// error allows nothing for five minutes, as RFC 9309 says). A source's
// articles are fetched one after another per host and hosts in parallel,
// under the per-host spacing and retries of every request.
//
// What fails a page source, in source health (Result.Err): an unreadable
// listing page; a links selector that matches no link (`selector "article h3
// a" matched 0 links on https://…`); a new article list none of which
// could be had — every article tried failed (a body selector that matched
// nothing, no readable text, an HTTP error, a refused address), or
// robots.txt disallowed every link and none is stored. Otherwise the
// articles that yielded nothing, robots.txt refusals included, are listed in
// Result.Warning (a *PartialError) and the others are kept. A full_text
// feed fails when every article page it tried failed; its items still come.
package scraper

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmcdole/gofeed"

	"newswatch/config"
	"newswatch/internal/safetext"
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
	// MaxArticles bounds the article pages one fetch of this source
	// requests (page sources, full_text feeds); 0: no bound. Links beyond
	// it are left for the next fetch (page sources) or keep their feed text
	// only (feeds). `newswatch fetch -dry-run` uses it to show a few.
	MaxArticles int
	// Admit, when not nil, is called once per fetch of a feed, before its
	// body is decompressed and parsed, and the fetch waits for it: a
	// caller that holds what fetches yield until it is saved can bound how
	// many parsed feeds exist at once, while a feed waiting for admission
	// holds only its compressed body. An error (ctx ended) fails the fetch.
	// It is not called for a feed that answered 304 or failed before its
	// body was read.
	Admit func(ctx context.Context) error
}

// Item is one article as a source published it. Text fields are as found
// (they may hold HTML) but valid UTF-8 without control characters; callers
// prepare them before matching or display.
type Item struct {
	// Key is the identity: NormalizeURL(Link), else "guid:"+GUID, else
	// "hash:" and a hash of title and published date. When items of one
	// fetch share a Key but are different articles (different titles, as in
	// a feed whose every item links to its home page), each gets its
	// "guid:" key, or a "hash:" key over link, title and date.
	Key       string
	Link      string // absolute http(s) link, resolved against the final feed URL; "" if unsafe
	GUID      string
	Title     string // one line: whitespace runs collapsed
	Summary   string
	Content   string
	Body      string    // extracted article text (page sources, full_text)
	Published time.Time // UTC; zero when unknown or before 1990; never after the fetch time
}

// Result is the outcome of fetching one source.
type Result struct {
	Source      string
	Items       []Item
	NotModified bool // 304: nothing changed
	// FeedURL is the feed used when the source's feed URL is a web page
	// advertising it (feed discovery); "" otherwise.
	FeedURL string
	// ETag and LastModified are the validators to keep for the next fetch:
	// the response's on success, the Source's own on 304 and on error.
	ETag         string
	LastModified string
	Duration     time.Duration
	// Err is nil on success; it names the source and URL. A full_text
	// feed whose every article page failed returns its items with it.
	Err error
	// Warning names the articles a page source or full_text feed could not
	// get (a *PartialError) when the source still succeeded.
	Warning error
	// Links are the article links a page source's selector found, resolved,
	// deduplicated and in page order, fetched or not.
	Links []string
}

// Options configure a Fetcher. Zero values get the defaults below.
type Options struct {
	UserAgent    string        // default "newswatch/0.1"
	Timeout      time.Duration // per request, body included; default 20s
	MaxBody      int64         // bytes per response after decompression; default 10 MB
	Concurrency  int           // sources in flight in FetchAll; default 8
	PerHostDelay time.Duration // minimum spacing of requests to one host; 0: none
	// RespectRobots: page sources and article fetches obey robots.txt
	// (feeds are published to be fetched and are not checked).
	RespectRobots bool
	// AllowPrivate lets every source reach loopback, private and link-local
	// addresses, not only sources whose own URL is in those ranges.
	AllowPrivate bool
	// Logger receives debug records, one per fetch; nil discards them.
	Logger *slog.Logger
	// Now is the clock the Fetcher reads: fetch times, robots.txt cache
	// expiry, per-host spacing and Retry-After dates. Waits themselves
	// take real time. nil: time.Now.
	Now func() time.Time
	// Known reports which item keys are stored already (store.Known): page
	// sources and full_text feeds do not fetch those articles again. nil:
	// nothing is known, every article is fetched.
	Known KnownFunc
}

// KnownFunc reports which of keys are known: the map holds true for each.
type KnownFunc func(ctx context.Context, keys []string) (map[string]bool, error)

// Defaults used for zero Options fields.
const (
	DefaultUserAgent   = "newswatch/0.1"
	DefaultTimeout     = 20 * time.Second
	DefaultMaxBody     = 10 << 20
	DefaultConcurrency = 8
)

// Fetcher fetches sources over one shared HTTP client. It is safe for
// concurrent use; keep one for the life of the process so connections are reused.
type Fetcher struct {
	opts       Options
	log        *slog.Logger
	transports *transports
	hosts      *hostGate
	robots     *robotsCache
	parser     *gofeed.Parser
	parsing    chan struct{} // parse slots: GOMAXPROCS feeds are decompressed and parsed at once
	now        func() time.Time

	// Test hooks, set before the first fetch. lookup replaces DNS;
	// treatAsPublic exempts addresses from the private-address check, so a
	// test server on 127.0.0.1 can play a public source.
	lookup        func(ctx context.Context, host string) ([]netip.Addr, error)
	treatAsPublic func(netip.AddrPort) bool
}

// New returns a Fetcher.
func New(o Options) *Fetcher {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &Fetcher{
		opts:    o,
		log:     log,
		hosts:   &hostGate{now: o.Now, delay: o.PerHostDelay, next: map[string]time.Time{}},
		robots:  &robotsCache{now: o.Now, entries: map[string]*robotsEntry{}},
		parser:  newFeedParser(),
		parsing: make(chan struct{}, runtime.GOMAXPROCS(0)),
		now:     o.Now,
	}
	f.transports = f.newTransports()
	return f
}

// WithKnown returns a Fetcher that looks up known keys with known and
// shares everything else with f: connections, the per-host politeness
// budget and the robots.txt cache. For callers that open the store after
// building the Fetcher.
func (f *Fetcher) WithKnown(known KnownFunc) *Fetcher {
	g := *f
	g.opts.Known = known
	return &g
}

// Fetch fetches one source. It never panics: a panic while parsing hostile
// input becomes the Result's error.
func (f *Fetcher) Fetch(ctx context.Context, src Source) (res Result) {
	start := time.Now()
	defer func() {
		p := recover()
		if p != nil {
			f.log.Error("panic while fetching", "source", src.Name, "panic", p, "stack", string(debug.Stack()))
			res = Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified,
				Err: fmt.Errorf("source %q: internal error: %v", src.Name, p)}
		}
		res.Duration = time.Since(start)
		// A server controls much of an error's text (status line, TLS
		// certificate names): escapes and line breaks must not reach a
		// terminal, a log line or the digest footer.
		res.Err, res.Warning = safetext.Error(res.Err), safetext.Error(res.Warning)
		if !f.log.Enabled(ctx, slog.LevelDebug) {
			return // the source's logger is made only for records that are kept
		}
		log := f.log.With("source", src.Name)
		if res.Err != nil {
			// Masked as ingest stores it: debug records may be shared.
			log.Debug("fetch failed", "duration", res.Duration, "error", config.MaskSecrets(res.Err.Error(), src.Feed, src.Page))
		} else {
			log.Debug("fetched", "duration", res.Duration, "items", len(res.Items), "not_modified", res.NotModified)
		}
	}()
	if err := ctx.Err(); err != nil {
		return Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified,
			Err: fmt.Errorf("source %q: %w", src.Name, err)}
	}
	switch {
	case src.Feed != "":
		return f.fetchFeed(ctx, src)
	case src.Page != "":
		return f.fetchPage(ctx, src)
	default:
		return Result{Source: src.Name, Err: fmt.Errorf("source %q: neither feed nor page is set", src.Name)}
	}
}

// FetchAll fetches sources concurrently (Options.Concurrency at once) and calls
// done once per source, from any goroutine, as each finishes. One failing
// source never stops the others. When ctx ends, sources not yet started are
// reported with ctx's error; FetchAll returns once done has been called for
// every source.
func (f *Fetcher) FetchAll(ctx context.Context, srcs []Source, done func(Result)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(f.opts.Concurrency, len(srcs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(srcs) {
					return
				}
				done(f.Fetch(ctx, srcs[i]))
			}
		})
	}
	wg.Wait()
}
