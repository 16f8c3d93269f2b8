package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/safetext"
	"newswatch/match"
	"newswatch/model"
)

// errEverySourceFailed makes fetch and once exit non-zero, so that cron
// monitoring sees an outage.
var errEverySourceFailed = errors.New("every source failed: see the errors above and `newswatch status`")

func cmdFetch(ctx context.Context, e *env, args []string) error {
	fs := e.flags("fetch")
	only := fs.String("source", "", "fetch only the source with this name")
	dry := fs.Bool("dry-run", false, "with -source: show what the source yields, store nothing")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *dry && *only == "" {
		return usagef("-dry-run needs -source NAME")
	}
	cfg, wl, _, err := loadConfig(e.config)
	if err != nil {
		return err
	}
	srcs := cfg.Sources
	if *only != "" {
		i := slices.IndexFunc(srcs, func(s config.Source) bool { return s.Name == *only })
		if i < 0 {
			return unknownName("source", *only, cfg.Path, sourceNames(cfg.Sources), sourceNames(cfg.PausedSources))
		}
		srcs = srcs[i : i+1]
	}
	if *dry {
		// Nothing is stored: the database is not even opened.
		e.zone.Store(cfg.Location)
		a := &app{cfg: cfg, wl: wl, now: time.Now}
		return a.dryRun(ctx, e.stdout, srcs[0])
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()

	sum, err := a.fetch(ctx, srcs, e.log, e.progressTo(e.stderr, len(srcs)))
	if err != nil {
		return err
	}
	sum.print(e.stdout)
	if sum.Failed == len(srcs) && len(srcs) > 0 {
		return errEverySourceFailed
	}
	return nil
}

// fetchSummary is what fetch and once print of a run of the pipeline. Of
// each source's matches it keeps only the text that print shows, not the
// items and hits: a fetch of 5,000 sources holds little more memory than one
// of 100.
type fetchSummary struct {
	ingest.Summary
	blocks   []matchBlock     // the new matches, a block per source
	problems []ingest.Outcome // sources that failed or lost some articles
	found    []ingest.Outcome // sources whose feed URL is a page advertising the feed used
}

// matchBlock is one source's new matches as print shows them.
type matchBlock struct {
	source, text string
}

// fetch runs the pipeline over srcs for a one-shot command: each source's
// outcome is logged at debug level (the summary prints the failures) and
// passed to progress when not nil.
func (a *app) fetch(ctx context.Context, srcs []config.Source, log *slog.Logger, progress func(ingest.Outcome)) (*fetchSummary, error) {
	fs := &fetchSummary{}
	if a.cfg.FetchTimeout > 0 { // fetch_timeout: the sources not done by then fail with a timeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.cfg.FetchTimeout)
		defer cancel()
	}
	sum, err := a.ingest.Run(ctx, srcs, func(o ingest.Outcome) {
		logOutcome(log, o, slog.LevelDebug, slog.LevelDebug)
		if o.Err != nil || o.Warning != nil {
			fs.problems = append(fs.problems, o)
		}
		if o.FeedURL != "" {
			fs.found = append(fs.found, o)
		}
		if len(o.Matches) > 0 {
			var b strings.Builder
			printMatches(&b, o, a.tooOld)
			fs.blocks = append(fs.blocks, matchBlock{source: o.Source, text: b.String()})
		}
		if progress != nil {
			progress(o)
		}
	})
	fs.Summary = sum
	fs.problems = append(fs.problems, sum.Unrecorded...)
	return fs, err
}

// logOutcome logs one source's outcome: a failure or a partial source at
// problem, a fetched source at ok.
func logOutcome(log *slog.Logger, o ingest.Outcome, problem, ok slog.Level) {
	ctx := context.Background()
	if o.Err != nil {
		log.Log(ctx, problem, "source failed", "source", o.Source, "duration", o.Fetch.Round(time.Millisecond), "error", o.Err)
	} else {
		log.Log(ctx, ok, "source fetched", "source", o.Source, "duration", o.Fetch.Round(time.Millisecond),
			"items", o.Items, "new", o.New, "not_modified", o.NotModified, "discovered_feed", o.FeedURL)
	}
	if o.Warning != nil { // some articles of a source that worked
		log.Log(ctx, problem, "source incomplete", "source", o.Source, "warning", o.Warning)
	}
}

// print lists the new matches source by source, the sources that failed or
// lost articles, and the summary line; sources by name.
func (s *fetchSummary) print(w io.Writer) {
	slices.SortFunc(s.blocks, func(a, b matchBlock) int { return strings.Compare(a.source, b.source) })
	for _, b := range s.blocks {
		io.WriteString(w, b.text)
	}
	s.printProblems(w)
	slices.SortFunc(s.found, func(a, b ingest.Outcome) int { return strings.Compare(a.Source, b.Source) })
	for _, o := range s.found {
		fmt.Fprintf(w, "%s: its feed URL is a web page; used the feed it advertises, %s (`newswatch discover` prints an entry for it)\n", o.Source, o.FeedURL)
	}
	fmt.Fprintf(w, "fetched %d %s in %s: %d new %s, %d new %s, %d failed\n",
		s.Sources, plural(s.Sources, "source", "sources"), s.Elapsed.Round(time.Millisecond),
		s.New, plural(s.New, "item", "items"), s.Matches, plural(s.Matches, "match", "matches"), s.Failed)
}

// printProblems lists the sources that failed or lost articles, by name.
func (s *fetchSummary) printProblems(w io.Writer) {
	slices.SortFunc(s.problems, func(a, b ingest.Outcome) int { return strings.Compare(a.Source, b.Source) })
	if s.Failed > 0 {
		fmt.Fprintln(w, "errors:")
		for _, o := range s.problems {
			if o.Err != nil {
				fmt.Fprintf(w, "  %v\n", o.Err) // the error names the source
			}
		}
	}
	for _, o := range s.problems {
		if o.Err == nil {
			fmt.Fprintf(w, "warning: %s: %v\n", o.Source, o.Warning)
		}
	}
}

// maxTitle is the most of a title fetch prints, in characters, as digests
// show it.
const maxTitle = 300

// printMatches writes a source's new matches: title, companies with their
// topics, link; a match past max_age says that no digest will show it.
func printMatches(w io.Writer, o ingest.Outcome, tooOld func(model.Item) string) {
	fmt.Fprintf(w, "%s: %d new %s, %d %s\n", o.Source, o.New, plural(o.New, "item", "items"),
		len(o.Matches), plural(len(o.Matches), "match", "matches"))
	for _, m := range o.Matches {
		var tags []string
		for _, h := range m.Hits {
			tags = append(tags, h.Company+" ["+strings.Join(h.Topics, ", ")+"]")
		}
		mark, note := "+", ""
		if old := tooOld(m.Item); old != "" {
			mark, note = "-", "\n    "+old
		}
		fmt.Fprintf(w, "  %s %s\n    %s\n    %s%s\n", mark, safetext.Short(match.Prepare(m.Item.Title), maxTitle), strings.Join(tags, "; "), m.Item.Link, note)
	}
}

// tooOld says, for an item published (else first seen) longer than
// max_age ago, that no digest will show it, and why; "" for a fresh one.
func (a *app) tooOld(it model.Item) string {
	date := it.Published
	if date.IsZero() {
		date = it.FirstSeen
	}
	if date.IsZero() || a.cfg.MaxAge <= 0 || a.now().Sub(date) <= a.cfg.MaxAge {
		return ""
	}
	return fmt.Sprintf("too old for digests: published %s, max_age %s", date.In(a.cfg.Location).Format("2006-01-02 15:04 MST"), shortDuration(a.cfg.MaxAge))
}

// progressTo returns a report callback that redraws one progress line on
// a terminal, or nil when w is not one or carries debug logs (-v), whose
// lines the redrawn line would garble.
func (e *env) progressTo(w io.Writer, total int) func(ingest.Outcome) {
	if !isTerminal(w) || e.verbose {
		return nil
	}
	done := 0
	return func(o ingest.Outcome) {
		done++
		fmt.Fprintf(w, "\r\x1b[K[%d/%d] %s", done, total, o.Source)
		if done == total {
			fmt.Fprint(w, "\r\x1b[K")
		}
	}
}

// count is n with its noun: "1 company", "2 companies".
func count(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(n, one, many))
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
	src := ingest.ScraperSource(s)
	src.MaxArticles = dryRunArticles
	r := ingest.NewFetcher(a.cfg).Fetch(ctx, src)
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
		text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
		date := "no date (first-seen time will be used)"
		if !it.Published.IsZero() {
			date = it.Published.In(a.cfg.Location).Format("2006-01-02 15:04 MST")
		}
		body := text.Body
		if r := []rune(body); len(r) > 200 {
			body = string(r[:200]) + "…"
		}
		fmt.Fprintf(w, "\n%s\n  %s\n  %s\n  %s\n", safetext.Short(text.Title, maxTitle), it.Link, date, body)
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

// shortDuration writes d as a config would: "72h", "1h30m", "45s".
func shortDuration(d time.Duration) string {
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}
