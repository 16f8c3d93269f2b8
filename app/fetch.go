package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/safetext"
	"newswatch/match"
	"newswatch/model"
)

// FetchReport is what the fetch and once commands show of a run of the
// pipeline. Of each source's matches it keeps only the text Print shows,
// not the items and hits, and of that text at most blockBudget bytes in
// memory, the rest in a temporary file: a cold fetch of 5,000 sources
// prints 2 MB of matches, which held in memory raised the garbage
// collector's limit (it follows the live heap) and the process's peak by
// three times as much. Close removes the file.
type FetchReport struct {
	ingest.Summary
	blocks   []matchBlock     // the new matches, a block per source
	problems []ingest.Outcome // sources that failed or lost some articles
	found    []ingest.Outcome // sources whose feed URL is a page advertising the feed used
	held     int              // bytes of block text in memory
	spool    *os.File         // the blocks' text beyond blockBudget; nil until needed
	spoolEnd int64            // bytes written to spool
	spilled  int              // blocks[:spilled] are in the spool
}

// blockBudget is how many bytes of match text a FetchReport keeps in memory.
const blockBudget = 256 << 10

// matchBlock is one source's new matches as print shows them: text, or
// when that is empty, n bytes at off in the report's spool.
type matchBlock struct {
	source, text string
	off, n       int64
}

// add keeps one source's block, moving the text to the spool once the
// text in memory would pass blockBudget. Where no temporary file can be
// made, the text stays in memory.
func (s *FetchReport) add(b matchBlock) {
	s.blocks = append(s.blocks, b)
	s.held += len(b.text)
	if s.held <= blockBudget || (s.spool == nil && !s.openSpool()) {
		return
	}
	for ; s.spilled < len(s.blocks); s.spilled++ {
		b := &s.blocks[s.spilled]
		// At spoolEnd, so that a failed write is written over by the next.
		if _, err := s.spool.WriteAt([]byte(b.text), s.spoolEnd); err != nil {
			return // this block and the rest stay in memory until the next try
		}
		b.off, b.n = s.spoolEnd, int64(len(b.text))
		s.spoolEnd += b.n
		s.held -= len(b.text)
		b.text = ""
	}
}

// openSpool makes the temporary file for block text, removed at once where
// an open file can be removed (it goes when closed), else by Close.
func (s *FetchReport) openSpool() bool {
	f, err := os.CreateTemp("", "newswatch-matches-")
	if err != nil {
		return false
	}
	s.spool = f
	_ = os.Remove(f.Name()) // fails where open files cannot be removed
	return true
}

// Close removes the temporary file of the report's match text, if any.
func (s *FetchReport) Close() error {
	if s.spool == nil {
		return nil
	}
	err := s.spool.Close()
	if rerr := os.Remove(s.spool.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	s.spool = nil
	return err
}

// Fetch runs the pipeline over srcs for a one-shot command, within
// fetch_timeout when set: each source's
// outcome is logged at debug level (the summary prints the failures) and
// passed to progress when not nil.
func (a *App) Fetch(ctx context.Context, srcs []config.Source, log *slog.Logger, progress func(ingest.Outcome)) (*FetchReport, error) {
	fs := &FetchReport{}
	if a.Config.FetchTimeout > 0 { // fetch_timeout: the sources not done by then fail with a timeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Config.FetchTimeout)
		defer cancel()
	}
	sum, err := a.Ingest.Run(ctx, srcs, func(o ingest.Outcome) {
		LogOutcome(log, o, slog.LevelDebug, slog.LevelDebug)
		if o.Err != nil || o.Warning != nil {
			fs.problems = append(fs.problems, o)
		}
		if o.FeedURL != "" {
			fs.found = append(fs.found, o)
		}
		if len(o.Matches) > 0 {
			var b strings.Builder
			printMatches(&b, o, func(it model.Item) string { return TooOld(a.Config, a.Now(), it) })
			fs.add(matchBlock{source: o.Source, text: b.String()})
		}
		if progress != nil {
			progress(o)
		}
	})
	fs.Summary = sum
	fs.problems = append(fs.problems, sum.Unrecorded...)
	if err != nil {
		fs.Close() // a run cut short is not printed
	}
	return fs, err
}

// Print lists the new matches source by source, the sources that failed or
// lost articles, and the summary line; sources by name.
func (s *FetchReport) Print(w io.Writer) {
	slices.SortFunc(s.blocks, func(a, b matchBlock) int { return strings.Compare(a.source, b.source) })
	for _, b := range s.blocks {
		if b.text == "" && s.spool != nil {
			io.Copy(w, io.NewSectionReader(s.spool, b.off, b.n))
		}
		io.WriteString(w, b.text)
	}
	s.PrintProblems(w)
	slices.SortFunc(s.found, func(a, b ingest.Outcome) int { return strings.Compare(a.Source, b.Source) })
	for _, o := range s.found {
		fmt.Fprintf(w, "%s: its feed URL is a web page; used the feed it advertises, %s (`newswatch discover` prints an entry for it)\n", o.Source, o.FeedURL)
	}
	fmt.Fprintf(w, "fetched %d %s in %s: %d new %s, %d new %s, %d failed\n",
		s.Sources, Plural(s.Sources, "source", "sources"), s.Elapsed.Round(time.Millisecond),
		s.New, Plural(s.New, "item", "items"), s.Matches, Plural(s.Matches, "match", "matches"), s.Failed)
}

// PrintProblems lists the sources that failed or lost articles, by name:
// all that once -q prints of a fetch.
func (s *FetchReport) PrintProblems(w io.Writer) {
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

// maxTitle is the most of a title a fetch report prints, in characters,
// as digests show it.
const maxTitle = 300

// printMatches writes a source's new matches: title, companies with their
// topics, link; a match past max_age says that no digest will show it.
func printMatches(w io.Writer, o ingest.Outcome, tooOld func(model.Item) string) {
	fmt.Fprintf(w, "%s: %d new %s, %d %s\n", o.Source, o.New, Plural(o.New, "item", "items"),
		len(o.Matches), Plural(len(o.Matches), "match", "matches"))
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

// dryRunArticles is how many items a dry run shows in full.
const dryRunArticles = 5

// DryRun fetches one source and shows what it yields, storing nothing: the
// links a page source's selector found, then title, date and the start of
// the text of the first few articles (only those are fetched). Stored
// articles are shown too: this is for writing selectors.
func (a *App) DryRun(ctx context.Context, w io.Writer, s config.Source) error {
	src := ingest.ScraperSource(s)
	src.MaxArticles = dryRunArticles
	r := ingest.NewFetcher(a.Config, ingest.WithClock(a.clock)).Fetch(ctx, src)
	if r.Err != nil && len(r.Items) == 0 && len(r.Links) == 0 {
		return r.Err // it names the source
	}
	if s.Page != "" {
		fmt.Fprintf(w, "%s: selector %q found %d %s on %s; %d fetched in %s\n", s.Name, s.Links,
			len(r.Links), Plural(len(r.Links), "link", "links"), s.Page, len(r.Items), r.Duration.Round(time.Millisecond))
		for _, l := range r.Links {
			fmt.Fprintf(w, "  %s\n", l)
		}
	} else {
		fmt.Fprintf(w, "%s: %d %s in %s\n", s.Name, len(r.Items), Plural(len(r.Items), "item", "items"), r.Duration.Round(time.Millisecond))
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
			date = it.Published.In(a.Config.Location).Format("2006-01-02 15:04 MST")
		}
		body := text.Body
		if r := []rune(body); len(r) > 200 {
			body = string(r[:200]) + "…"
		}
		fmt.Fprintf(w, "\n%s\n  %s\n  %s\n  %s\n", safetext.Short(text.Title, maxTitle), it.Link, date, body)
		if hits := a.Watchlist.Match(text); len(hits) > 0 {
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

// Plural is one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
