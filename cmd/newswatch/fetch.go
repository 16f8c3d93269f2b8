package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"newswatch/config"
	"newswatch/digest"
	"newswatch/match"
	"newswatch/scraper"
	"newswatch/store"
)

func cmdFetch(ctx context.Context, e *env, args []string) error {
	fs := e.flags("fetch")
	only := fs.String("source", "", "fetch only the source with this name")
	dry := fs.Bool("dry-run", false, "with -source: show what the source yields, store nothing")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	srcs := a.cfg.Sources
	if *only != "" {
		i := slices.IndexFunc(srcs, func(s config.Source) bool { return s.Name == *only })
		if i < 0 {
			return usagef("no source named %q in %s", *only, a.cfg.Path)
		}
		srcs = srcs[i : i+1]
	}
	if *dry {
		if *only == "" {
			return usagef("-dry-run needs -source NAME")
		}
		return a.dryRun(ctx, e.stdout, srcs[0])
	}
	sum, err := a.fetch(ctx, srcs, quietLogger{e.log}, progressTo(e.stderr, len(srcs)))
	if err != nil {
		return err
	}
	sum.print(e.stdout)
	if sum.failed == len(srcs) && len(srcs) > 0 {
		return fmt.Errorf("every source failed: see the errors above and `newswatch status`")
	}
	return nil
}

// fetchSummary is what one fetch of the sources produced. Of each source's
// matches it keeps only the text that print shows, not the hits: a fetch of
// 5,000 sources holds little more memory than one of 100.
type fetchSummary struct {
	sources  int
	failed   int
	newItems int
	matches  int
	elapsed  time.Duration
	blocks   []matchBlock     // the new matches, a block per source
	problems []*sourceOutcome // sources that failed or lost some articles
}

// matchBlock is one source's new matches as print shows them.
type matchBlock struct {
	source, text string
}

type sourceOutcome struct {
	name     string
	duration time.Duration
	items    int
	fresh    int
	cached   bool
	err      error
	warning  error // a source that worked but lost some articles
	matched  []matchedItem
}

// matchedItem is what the summary and the metrics need of a match: not the
// hits' spans and reasons, which would keep every match of a large fetch in
// memory until it ends.
type matchedItem struct {
	title, link string
	tags        []matchTag
}

type matchTag struct {
	company string
	topics  []string
}

// healthBatch is how many item-less runs (mostly 304s) are saved per
// transaction.
const healthBatch = 256

// fetch fetches srcs, stores each source's batch as it arrives and matches the
// new items; report, when not nil, gets each source's outcome as it completes,
// one at a time. One failing source never stops the others: its error is
// recorded as source health and returned in the summary.
func (a *app) fetch(ctx context.Context, srcs []config.Source, log loggerLike, report func(*sourceOutcome)) (*fetchSummary, error) {
	start := time.Now()
	validators, err := a.st.AllValidators(ctx)
	if err != nil {
		return nil, fmt.Errorf("read state of sources: %w", err)
	}
	in := make([]scraper.Source, 0, len(srcs))
	for _, s := range srcs {
		v := validators[s.Name]
		in = append(in, scraper.Source{
			Name: s.Name, Feed: s.Feed, Page: s.Page, Links: s.Links, Body: s.Body,
			FullText: s.FullText, ETag: v.ETag, LastModified: v.LastModified,
		})
	}
	sum := &fetchSummary{sources: len(srcs)}
	var (
		mu      sync.Mutex
		pending []store.Run      // item-less runs not saved yet
		waiting []*sourceOutcome // their outcomes
	)
	flush := func() {
		// Health is recorded even when the fetch was cut short (shutdown,
		// deadline): the sources that did answer are not left unrecorded.
		if err := a.st.SaveRuns(context.WithoutCancel(ctx), pending); err != nil {
			for _, o := range waiting {
				if o.err == nil {
					o.err = fmt.Errorf("store health of %q: %w", o.name, err)
					sum.failed++
					sum.problems = append(sum.problems, o)
				}
			}
		}
		pending, waiting = pending[:0], waiting[:0]
	}
	// Articles already stored are not fetched again (page sources, full_text).
	a.fetcher.WithKnown(a.st.Known).FetchAll(ctx, in, func(r scraper.Result) {
		run := a.run(r)
		var out *sourceOutcome
		if len(r.Items) > 0 {
			out = a.save(ctx, r, run)
		} else {
			out = &sourceOutcome{name: r.Source, duration: r.Duration, cached: r.NotModified, err: r.Err, warning: r.Warning}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(r.Items) == 0 {
			pending, waiting = append(pending, run), append(waiting, out)
			if len(pending) >= healthBatch {
				flush()
			}
		}
		if out.err != nil || out.warning != nil {
			sum.problems = append(sum.problems, out)
		}
		if len(out.matched) > 0 {
			var b strings.Builder
			out.printMatches(&b)
			sum.blocks = append(sum.blocks, matchBlock{source: out.name, text: b.String()})
		}
		sum.newItems += out.fresh
		sum.matches += len(out.matched)
		if out.err != nil {
			sum.failed++
			log.Warn("source failed", "source", r.Source, "duration", r.Duration.Round(time.Millisecond), "error", out.err)
		} else {
			log.Debug("source fetched", "source", r.Source, "duration", r.Duration.Round(time.Millisecond),
				"items", out.items, "new", out.fresh, "not_modified", out.cached)
		}
		if r.Warning != nil { // some articles of a source that worked
			log.Warn("source incomplete", "source", r.Source, "warning", r.Warning)
		}
		if report != nil {
			report(out)
		}
	})
	flush()
	sum.elapsed = time.Since(start)
	return sum, ctx.Err()
}

// loggerLike is the part of *slog.Logger fetch uses: Warn for a failed
// source, Debug for a fetched one.
type loggerLike interface {
	Warn(msg string, args ...any)
	Debug(msg string, args ...any)
}

// quietLogger logs every source at debug level: one-shot commands print the
// failures in their summary already.
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Warn(msg string, args ...any)  { q.l.Debug(msg, args...) }
func (q quietLogger) Debug(msg string, args ...any) { q.l.Debug(msg, args...) }

// run is the health record of one source's result.
func (a *app) run(r scraper.Result) store.Run {
	run := store.Run{
		Source:   r.Source,
		Started:  a.now().Add(-r.Duration),
		Duration: r.Duration,
		Items:    len(r.Items),
	}
	switch {
	case r.Err != nil:
		run.Status, run.Err = store.StatusError, r.Err.Error()
	case r.NotModified:
		run.Status = store.StatusNotModified
	default:
		run.Status, run.ETag, run.LastModified = store.StatusOK, r.ETag, r.LastModified
	}
	return run
}

// save stores one source's items and its health in one transaction, and
// matches the items that were new.
func (a *app) save(ctx context.Context, r scraper.Result, run store.Run) *sourceOutcome {
	out := &sourceOutcome{name: r.Source, duration: r.Duration, items: len(r.Items), cached: r.NotModified, err: r.Err, warning: r.Warning}
	items := make([]store.Item, len(r.Items))
	for i, it := range r.Items {
		items[i] = store.Item{
			Key: it.Key, Link: it.Link, GUID: it.GUID, Title: it.Title, Summary: it.Summary,
			Content: it.Content, Body: it.Body, Published: it.Published,
		}
	}
	// Saved even when the fetch was cut short (shutdown, job deadline)
	// after these items arrived: a page source whose articles take longer
	// than the deadline (a long Crawl-delay) still makes progress.
	fresh, err := a.st.SaveRun(context.WithoutCancel(ctx), run, items)
	if err != nil {
		out.err = fmt.Errorf("store items of %q: %w", r.Source, err)
		return out
	}
	out.fresh = len(fresh)
	for _, it := range fresh {
		hits := a.wl.Match(digest.ItemText(it))
		if len(hits) == 0 {
			continue
		}
		m := matchedItem{title: it.Title, link: it.Link, tags: make([]matchTag, len(hits))}
		for i, h := range hits {
			m.tags[i] = matchTag{company: h.Company, topics: slices.Clone(h.Topics)}
		}
		out.matched = append(out.matched, m)
	}
	return out
}

// print lists the new matches source by source, the sources that failed or
// lost articles, and the summary line; sources by name.
func (s *fetchSummary) print(w io.Writer) {
	slices.SortFunc(s.blocks, func(a, b matchBlock) int { return strings.Compare(a.source, b.source) })
	for _, b := range s.blocks {
		io.WriteString(w, b.text)
	}
	slices.SortFunc(s.problems, func(a, b *sourceOutcome) int { return strings.Compare(a.name, b.name) })
	if s.failed > 0 {
		fmt.Fprintln(w, "errors:")
		for _, o := range s.problems {
			if o.err != nil {
				fmt.Fprintf(w, "  %v\n", o.err) // the error names the source
			}
		}
	}
	for _, o := range s.problems {
		if o.err == nil {
			fmt.Fprintf(w, "warning: %s: %v\n", o.name, o.warning)
		}
	}
	fmt.Fprintf(w, "fetched %d %s in %s: %d new %s, %d new %s, %d failed\n",
		s.sources, plural(s.sources, "source", "sources"), s.elapsed.Round(time.Millisecond),
		s.newItems, plural(s.newItems, "item", "items"), s.matches, plural(s.matches, "match", "matches"), s.failed)
}

// printMatches writes a source's new matches: title, companies with their
// topics, link.
func (o *sourceOutcome) printMatches(w io.Writer) {
	fmt.Fprintf(w, "%s: %d new %s, %d %s\n", o.name, o.fresh, plural(o.fresh, "item", "items"),
		len(o.matched), plural(len(o.matched), "match", "matches"))
	for _, m := range o.matched {
		var tags []string
		for _, t := range m.tags {
			tags = append(tags, t.company+" ["+strings.Join(t.topics, ", ")+"]")
		}
		fmt.Fprintf(w, "  + %s\n    %s\n    %s\n", match.Prepare(m.title), strings.Join(tags, "; "), m.link)
	}
}

// progressTo returns a report callback that redraws one progress line on
// a terminal, or nil when w is not one.
func progressTo(w io.Writer, total int) func(*sourceOutcome) {
	if !isTerminal(w) {
		return nil
	}
	done := 0
	return func(o *sourceOutcome) {
		done++
		fmt.Fprintf(w, "\r\x1b[K[%d/%d] %s", done, total, o.name)
		if done == total {
			fmt.Fprint(w, "\r\x1b[K")
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// dryRunArticles is how many items a dry run shows in full.
const dryRunArticles = 5

// dryRun fetches one source and shows what it yields, storing nothing: the
// links a page source's selector found, then title, date and the start of
// the text of the first few articles (only those are fetched). Stored
// articles are shown too: this is for writing selectors.
func (a *app) dryRun(ctx context.Context, w io.Writer, s config.Source) error {
	r := a.fetcher.Fetch(ctx, scraper.Source{
		Name: s.Name, Feed: s.Feed, Page: s.Page, Links: s.Links, Body: s.Body, FullText: s.FullText,
		MaxArticles: dryRunArticles,
	})
	if r.Err != nil && len(r.Items) == 0 && len(r.Links) == 0 {
		return r.Err // it names the source
	}
	if s.Page != "" {
		fmt.Fprintf(w, "%s: selector %q found %d %s on %s; %d fetched in %s\n", s.Name, s.Links,
			len(r.Links), plural(len(r.Links), "link", "links"), s.Page, len(r.Items), r.Duration.Round(time.Millisecond))
		for _, l := range r.Links {
			fmt.Fprintf(w, "  %s\n", l)
		}
	} else {
		fmt.Fprintf(w, "%s: %d %s in %s\n", s.Name, len(r.Items), plural(len(r.Items), "item", "items"), r.Duration.Round(time.Millisecond))
		for _, it := range r.Items {
			fmt.Fprintf(w, "  %s\n", it.Link)
		}
	}
	for i, it := range r.Items {
		if i == dryRunArticles {
			break
		}
		text := digest.ItemText(store.Item{Title: it.Title, Summary: it.Summary, Content: it.Content, Body: it.Body})
		date := "no date (first-seen time will be used)"
		if !it.Published.IsZero() {
			date = it.Published.In(a.cfg.Location).Format("2006-01-02 15:04 MST")
		}
		body := text.Body
		if r := []rune(body); len(r) > 200 {
			body = string(r[:200]) + "…"
		}
		fmt.Fprintf(w, "\n%s\n  %s\n  %s\n  %s\n", text.Title, it.Link, date, body)
		if hits := a.wl.Match(text); len(hits) > 0 {
			for _, h := range hits {
				fmt.Fprintf(w, "  matches %s [%s]\n", h.Company, strings.Join(h.Topics, ", "))
			}
		}
	}
	if r.Warning != nil {
		fmt.Fprintf(w, "\nwarning: %v\n", r.Warning)
	}
	return r.Err
}
