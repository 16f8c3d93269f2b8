// Package ingest is newswatch's main job: fetch the configured sources, save
// what they yield together with each source's health, and match the new items
// against the watchlist.
//
// A Pipeline is built once per configuration from the store and a compiled
// watchlist; every command that fetches (fetch, once, the daemon, the
// benchmark) runs it, so they all store and match alike. It does not log:
// each source's Outcome goes to the caller's report function, which prints
// or logs it at the caller's own level.
//
// The rules it keeps:
//   - One failing source never stops the others: its error is recorded as
//     that source's health and reported in its Outcome, both with the
//     secrets of the source's URL masked (config.MaskSecrets), so no
//     reader of the health (status, /healthz, the console) shows them.
//   - A worker hands a fetched source over to be saved and fetches the
//     next one: the database writer's queue does not hold the fetch back.
//     At most as many parsed feeds exist at once, being saved or waiting
//     to be, as there are workers: beyond that a worker waits with its
//     feed downloaded but not yet decompressed nor parsed, so memory stays
//     bounded.
//   - A source's items and its health are saved in one transaction as soon
//     as the source completes, even when the fetch is being cut short
//     (shutdown, a job's deadline): a source whose articles take longer than
//     the deadline still makes progress.
//   - The health of sources that yield no items (mostly 304 Not Modified) is
//     saved in batches, also when the fetch is cut short, so no source that
//     answered is left unrecorded.
//   - Articles already stored with their own text are not fetched again
//     (page sources and full_text feeds), and only new items, and items a
//     richer copy changed before any digest claimed them, are matched: a
//     re-fetch announces nothing twice.
//   - Links are stored without tracking parameters.
package ingest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
	"newswatch/scraper"
	"newswatch/store"
)

// healthBatch is how many item-less runs (mostly 304s) are saved per
// transaction: one per source would make a warm fetch of thousands of
// sources wait on the database writer.
const healthBatch = 256

// Pipeline fetches, saves and matches for one configuration.
type Pipeline struct {
	st      *store.Store
	wl      *match.Watchlist
	fetcher *scraper.Fetcher
	now     func() time.Time
	// fetch and saveRun fetch one source (the fetcher, looking up known
	// articles in st) and save one source's run (st.SaveRun); tests
	// replace them.
	fetch   func(context.Context, scraper.Source) scraper.Result
	saveRun func(context.Context, model.Run, []model.Item) ([]model.Item, error)

	concurrency int // sources in flight at once
	// index: the configuration has a console, whose searches read the
	// search index; a run then brings the index up to date at its end.
	index bool
}

// Option changes how a Pipeline is built.
type Option func(*Pipeline)

// WithClock makes the pipeline read now instead of the system clock: it
// dates health records by it, and its fetcher judges robots.txt expiry,
// per-host spacing and Retry-After dates by it.
func WithClock(now func() time.Time) Option {
	return func(p *Pipeline) { p.now = now }
}

// New builds the pipeline of cfg: its fetcher follows cfg's [http] settings,
// st keeps what it fetches, and wl (CompileWatchlist(cfg)) matches it.
func New(cfg *config.Config, st *store.Store, wl *match.Watchlist, opts ...Option) *Pipeline {
	p := &Pipeline{st: st, wl: wl, now: time.Now, concurrency: max(1, cfg.HTTP.Concurrency), index: cfg.Web != nil}
	for _, o := range opts {
		o(p)
	}
	p.fetcher = newFetcher(cfg, p.now)
	p.fetch, p.saveRun = p.fetcher.WithKnown(st.Known).Fetch, st.SaveRun
	return p
}

// Watchlist is the compiled watchlist the pipeline matches with.
func (p *Pipeline) Watchlist() *match.Watchlist { return p.wl }

// CompileWatchlist compiles cfg's companies and topics.
func CompileWatchlist(cfg *config.Config) (*match.Watchlist, error) {
	cs := make([]match.Company, len(cfg.Companies))
	for i, c := range cfg.Companies {
		cs[i] = match.Company{Name: c.Name, Aliases: c.Aliases, Exclude: c.Exclude, AllNews: c.AllNews, Near: c.Near}
	}
	ts := make([]match.Topic, len(cfg.Topics))
	for i, t := range cfg.Topics {
		ts[i] = match.Topic{Name: t.Name, Terms: t.Terms}
	}
	return match.Compile(cs, ts)
}

// NewFetcher is the scraper configured by cfg's [http] settings. Of opts,
// only WithClock applies: the fetcher reads that clock.
func NewFetcher(cfg *config.Config, opts ...Option) *scraper.Fetcher {
	p := &Pipeline{now: time.Now}
	for _, o := range opts {
		o(p)
	}
	return newFetcher(cfg, p.now)
}

func newFetcher(cfg *config.Config, now func() time.Time) *scraper.Fetcher {
	return scraper.New(scraper.Options{
		Now:           now,
		UserAgent:     cfg.HTTP.UserAgent,
		Timeout:       cfg.HTTP.Timeout,
		MaxBody:       cfg.HTTP.MaxBody,
		Concurrency:   cfg.HTTP.Concurrency,
		PerHostDelay:  cfg.HTTP.PerHostDelay,
		RespectRobots: cfg.HTTP.RespectRobots,
	})
}

// ScraperSource is what the scraper needs of a configured source, without
// the validators of a conditional GET.
func ScraperSource(s config.Source) scraper.Source {
	return scraper.Source{Name: s.Name, Feed: s.Feed, Page: s.Page, Links: s.Links, Body: s.Body, FullText: s.FullText, MaxArticles: s.MaxArticles}
}

// Outcome is what one source's fetch came to.
type Outcome struct {
	Source      string
	Items       int  // items the source yielded
	New         int  // of those, the ones not stored before
	NotModified bool // the source answered 304 Not Modified
	// FeedURL is the feed used when the source's feed URL is a web page
	// that advertises it (scraper.Result.FeedURL), masked as
	// config.MaskURL shows it; "" otherwise.
	FeedURL string
	// Err is nil when the source was fetched and saved; it names the
	// source, with the secrets of its URL masked (config.MaskSecrets), as
	// its health record holds it.
	Err error
	// Warning names the articles a source that worked could not get,
	// masked as Err is.
	Warning error
	// Matches are the new items relevant for at least one company, and
	// the stored ones this source gave a richer copy that are relevant now
	// and no digest has claimed yet (Item.Richer).
	Matches []Match
	// Fetch is the time spent fetching and parsing; Save the time spent
	// saving the items and health (waiting for the database writer
	// included; 0 for an item-less source, whose health is saved in a
	// batch); Match the time spent matching the new items.
	Fetch, Save, Match time.Duration
}

// Match is a new item with the companies it is relevant for.
type Match struct {
	Item model.Item
	Hits []match.Hit
}

// Summary is what a Run came to as a whole.
type Summary struct {
	Sources int // sources fetched
	Failed  int // sources whose Outcome has an error, Unrecorded included
	New     int // new items stored
	Matches int // new items relevant for a company
	// Unrecorded are item-less sources that were reported as fetched but
	// whose health could not be saved afterwards, in their batch; each has
	// Err set.
	Unrecorded []Outcome
	// Elapsed is the whole run; State, of it, reading the sources' stored
	// validators; HealthSave saving item-less sources' health in batches.
	Elapsed, State, HealthSave time.Duration
}

// Run fetches srcs, saves each source's items and health as it completes
// and matches the new items. report, when not nil, gets each source's
// Outcome as it completes, one call at a time. The error is that of reading
// the sources' state, or ctx's when the run was cut short; the Summary is
// valid either way.
func (p *Pipeline) Run(ctx context.Context, srcs []config.Source, report func(Outcome)) (Summary, error) {
	start := time.Now()
	r := p.newFetchRun(ctx, report)
	r.sum.Sources = len(srcs)
	jobs, err := p.jobs(ctx, ctx, srcs, nil)
	if err != nil {
		return r.sum, err
	}
	r.sum.State = time.Since(start)
	var next atomic.Int64
	r.fetchAll(min(p.concurrency, len(jobs)), func() (job, bool) {
		i := int(next.Add(1) - 1)
		if i >= len(jobs) {
			return job{}, false
		}
		return jobs[i], true
	})
	r.mu.Lock()
	r.flush()
	r.mu.Unlock()
	if err := p.indexRun(ctx); err != nil {
		return r.sum, err
	}
	r.sum.Elapsed = time.Since(start)
	return r.sum, ctx.Err()
}

// indexRun brings the search index up to date at the end of a run when
// the configuration has a console. The run's new items enter the index
// together, far cheaper than one source at a time; a run cut short leaves
// them to the next run or search. Without a console nothing reads the
// index: its items wait for the first search (a console started later),
// which brings it up to date before it reads.
func (p *Pipeline) indexRun(ctx context.Context) error {
	if !p.index {
		return nil
	}
	if err := p.st.IndexItems(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// job is one source to fetch, with the context to fetch it under: the
// run's, or, on a shared database, that of the claims it came with.
type job struct {
	ctx  context.Context
	src  scraper.Source
	site string
	// claim is the batch of claims the source came in (RunShared), nil in
	// Run.
	claim *claim
}

// jobs reads the stored validators of srcs (under ctx) and makes their
// jobs, to be fetched under fetchCtx.
func (p *Pipeline) jobs(ctx, fetchCtx context.Context, srcs []config.Source, c *claim) ([]job, error) {
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name
	}
	validators, err := p.st.ValidatorsOf(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("read state of sources: %w", err)
	}
	jobs := make([]job, len(srcs))
	for i, s := range srcs {
		src := ScraperSource(s)
		v := validators[s.Name]
		src.ETag, src.LastModified = v.ETag, v.LastModified
		jobs[i] = job{ctx: fetchCtx, src: src, site: s.Feed + s.Page, claim: c}
	}
	return jobs, nil
}

// fetchRun is one run's fetching: its workers fetch, and each result is
// handed over to be saved, so a worker fetches its next source while the
// last one's save waits for the database writer. A result takes one of
// held's tokens until it is saved: a feed takes it before its body is
// parsed (scraper.Source.Admit), since a parsed feed holds several times
// its compressed body; a result that parsed nothing (304, an error, a page
// source) takes it once fetched. When the saves fall behind, the workers
// wait: at most cap(held) parsed feeds exist at once.
type fetchRun struct {
	p      *Pipeline
	ctx    context.Context
	report func(Outcome)
	held   chan struct{} // a token per result fetched and not yet saved
	saves  sync.WaitGroup

	mu      sync.Mutex
	sum     Summary
	pending []model.Run // item-less runs not saved yet
	waiting []Outcome   // their outcomes
	err     error       // the first batch that could not be completed (RunShared)
}

func (p *Pipeline) newFetchRun(ctx context.Context, report func(Outcome)) *fetchRun {
	return &fetchRun{p: p, ctx: ctx, report: report, held: make(chan struct{}, p.concurrency)}
}

// fetchAll runs workers that fetch the jobs next gives until it gives no
// more, and returns once every result was saved.
func (r *fetchRun) fetchAll(workers int, next func() (job, bool)) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				j, ok := next()
				if !ok {
					return
				}
				admitted := false
				src := j.src
				src.Admit = func(ctx context.Context) error {
					select {
					case r.held <- struct{}{}:
						admitted = true
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				res := r.p.fetch(j.ctx, src)
				if !admitted {
					r.held <- struct{}{}
				}
				r.saves.Go(func() {
					defer func() { <-r.held }()
					r.keep(j, res)
				})
			}
		})
	}
	wg.Wait()
	r.saves.Wait()
}

// keep saves one source's result and reports it. On a shared database, a
// source whose fetch was cut short (the run stopped, or its claim was
// taken over) is neither recorded nor reported: its claim is released.
func (r *fetchRun) keep(j job, res scraper.Result) {
	if j.claim != nil && res.Err != nil && len(res.Items) == 0 && j.ctx.Err() != nil {
		r.mu.Lock()
		last := j.claim.settle(j.src.Name, false)
		r.mu.Unlock()
		if last {
			r.complete(j.claim)
		}
		return
	}
	res.Err, res.Warning = masked(res.Err, j.src), masked(res.Warning, j.src)
	run := r.p.record(res)
	run.Site = j.site
	out := Outcome{Source: res.Source, Items: len(res.Items), NotModified: res.NotModified, Err: res.Err, Warning: res.Warning, Fetch: res.Duration}
	if res.FeedURL != "" {
		// Resolved against the page's URL, the feed's keeps its password;
		// the page's link may carry a token of its own.
		out.FeedURL = config.MaskURL(res.FeedURL)
	}
	if len(res.Items) > 0 {
		r.p.save(r.ctx, res, run, &out)
	}
	r.mu.Lock()
	if len(res.Items) == 0 {
		r.pending, r.waiting = append(r.pending, run), append(r.waiting, out)
		if len(r.pending) >= healthBatch {
			r.flush()
		}
	}
	r.sum.New += out.New
	r.sum.Matches += len(out.Matches)
	if out.Err != nil {
		r.sum.Failed++
	}
	if r.report != nil {
		r.report(out)
	}
	last := false
	if j.claim != nil {
		r.sum.Sources++
		last = j.claim.settle(j.src.Name, true)
	}
	r.mu.Unlock()
	if last {
		r.complete(j.claim)
	}
}

// flush saves the health of the item-less sources not saved yet. The
// caller holds r.mu.
func (r *fetchRun) flush() {
	if len(r.pending) == 0 {
		return
	}
	t := time.Now()
	// Health is recorded even when the fetch was cut short: the sources
	// that did answer are not left unrecorded.
	if err := r.p.st.SaveRuns(context.WithoutCancel(r.ctx), r.pending); err != nil {
		for _, o := range r.waiting {
			if o.Err == nil {
				o.Err = fmt.Errorf("store health of %q: %w", o.Source, err)
				r.sum.Failed++
				r.sum.Unrecorded = append(r.sum.Unrecorded, o)
			}
		}
	}
	r.sum.HealthSave += time.Since(t)
	r.pending, r.waiting = r.pending[:0], r.waiting[:0]
}

// maskedError is an error whose text hides the secrets of its source's
// URL; errors.Is and errors.As see the error it masks.
type maskedError struct {
	text string
	err  error
}

func (e *maskedError) Error() string { return e.text }
func (e *maskedError) Unwrap() error { return e.err }

// masked is err with the secrets of src's URL hidden from its text
// (config.MaskSecrets), so that the health record, the Outcome and every
// log and page that shows them never carry a password, a query value or
// a token of the URL.
func masked(err error, src scraper.Source) error {
	if err == nil {
		return nil
	}
	text := config.MaskSecrets(err.Error(), src.Feed, src.Page)
	if text == err.Error() {
		return err
	}
	return &maskedError{text: text, err: err}
}

// record is the health record of one source's result.
func (p *Pipeline) record(r scraper.Result) model.Run {
	run := model.Run{
		Source:   r.Source,
		Started:  p.now().Add(-r.Duration),
		Duration: r.Duration,
		Items:    len(r.Items),
	}
	switch {
	case r.Err != nil:
		run.Status, run.Err = model.StatusError, r.Err.Error()
	case r.NotModified:
		run.Status = model.StatusNotModified
	default:
		run.Status, run.ETag, run.LastModified = model.StatusOK, r.ETag, r.LastModified
	}
	return run
}

// save stores one source's items and its health in one transaction, and
// matches the items that were new and those a richer copy changed (an
// aggregator's title first, the outlet's full text now).
func (p *Pipeline) save(ctx context.Context, r scraper.Result, run model.Run, out *Outcome) {
	t0 := time.Now()
	items := make([]model.Item, len(r.Items))
	for i, it := range r.Items {
		items[i] = model.Item{
			Key: it.Key, Link: scraper.CleanLink(it.Link), GUID: it.GUID, Title: it.Title, Summary: it.Summary,
			Content: it.Content, Body: it.Body, Published: it.Published,
		}
	}
	// Saved even when the fetch was cut short after these items arrived.
	fresh, err := p.saveRun(context.WithoutCancel(ctx), run, items)
	t1 := time.Now()
	out.Save = t1.Sub(t0)
	if err != nil {
		out.Err = fmt.Errorf("store items of %q: %w", r.Source, err)
		return
	}
	for _, it := range fresh {
		if !it.Richer {
			out.New++
		}
		hits := p.wl.Match(match.ItemText(it.Title, it.Summary, it.Content, it.Body))
		if len(hits) > 0 {
			out.Matches = append(out.Matches, Match{Item: it, Hits: hits})
		}
	}
	out.Match = time.Since(t1)
}
