package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"newswatch/app"
	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
	"newswatch/scraper"
	"newswatch/store"
	"newswatch/web"
)

// samplesPerName is how many sample titles check shows per company and topic.
const samplesPerName = 3

func cmdCheck(ctx context.Context, e *env, args []string) error {
	flags := e.flags("check")
	days := flags.Int("days", 7, "backtest on the items stored in the last N days")
	itemURL := flags.String("item", "", "explain why the stored item with this link matches or not")
	if _, err := e.parse(flags, args); err != nil {
		return err
	}
	if *days < 1 {
		return usagef("-days must be at least 1")
	}
	s, err := loadConfig(e.config)
	if err != nil {
		return err
	}
	cfg, wl := s.Config, s.Watchlist
	fmt.Fprintf(e.stdout, "%s: ok: %s, %s, %s, %s%s\n", cfg.Path,
		count(len(cfg.Sources), "source", "sources"), count(len(cfg.Companies), "company", "companies"),
		count(len(cfg.Topics), "topic", "topics"), count(len(cfg.Digests), "digest", "digests"), pausedNote(cfg))
	// The warnings take a second reading: other commands do not look for them.
	_, warns, err := config.Check(e.config)
	if err != nil {
		return usageError{err}
	}
	for _, w := range warns {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	for _, w := range app.SecretWarnings(cfg, os.Getenv) {
		// Not errors here: the variables may be set where the daemon runs.
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	a, err := app.OpenReadOnly(ctx, s, e.clock())
	switch {
	case errors.Is(err, app.ErrNoDatabase):
		fmt.Fprintf(e.stdout, "no database yet at %s: run `newswatch fetch` first to backtest the keywords\n", cfg.Database)
		return nil
	case errors.Is(err, app.ErrNoTables):
		// A fresh PostgreSQL database, or one an older newswatch wrote:
		// the config is fine, there is nothing to backtest on yet.
		fmt.Fprintf(e.stdout, "no backtest yet: the database at %s is new or from an older newswatch; run `newswatch fetch` first (it creates or upgrades the tables)\n", store.Redact(cfg.Database))
		return nil
	case err != nil:
		return err
	}
	defer a.Close()
	st := a.Store
	if *itemURL != "" {
		return explainItem(ctx, e.stdout, st, wl, *itemURL, cfg.Location, func(it model.Item) string { return app.TooOld(cfg, a.Now(), it) })
	}
	r, total, err := app.RunBacktest(cfg, wl, func(fn func(model.Item) error) error {
		return st.EachItem(ctx, store.ItemQuery{FirstSeenAfter: a.Now().AddDate(0, 0, -*days)}, fn)
	}, samplesPerName)
	if err != nil {
		return fmt.Errorf("read stored items: %w", err)
	}
	printBacktest(e.stdout, r, cfg, *days, total)
	return web.PrintMarks(ctx, e.stdout, st, cfg, wl, a.Now(), *days)
}

// printBacktest shows the backtest of the last days on total items.
func printBacktest(w io.Writer, r *app.Backtest, cfg *config.Config, days, total int) {
	fmt.Fprintf(w, "\nBacktest on %d %s stored in the last %d days:\n", total, plural(total, "item", "items"), days)
	if window := time.Duration(days) * 24 * time.Hour; cfg.Retain > 0 && window > cfg.Retain {
		fmt.Fprintf(w, "(items first seen more than %.4g days ago, the retain setting, keep only their titles to match on)\n", cfg.Retain.Hours()/24)
	}
	fmt.Fprintln(w, "\nCompanies (relevant items):")
	for _, c := range cfg.Companies {
		printTally(w, c.Name, r.Companies[c.Name])
	}
	fmt.Fprintln(w, "\nTopics (relevant items with a term of the topic):")
	for _, t := range cfg.Topics {
		printTally(w, t.Name, r.Topics[t.Name])
	}
	if total > 0 && len(r.Unmatched) > 0 {
		fmt.Fprintln(w)
		for _, u := range r.Unmatched {
			fmt.Fprintf(w, "warning: %s %q of %s matched nothing in the last %d days\n", u.Kind, u.Term, u.Of, days)
		}
	}
}

func printTally(w io.Writer, name string, t *app.Tally) {
	fmt.Fprintf(w, "  %-24s %d\n", name, t.Count)
	for _, s := range t.Samples {
		fmt.Fprintf(w, "      - %s\n", s)
	}
}

// explainItem shows, for the stored item with link, why each company
// matches or not.
func explainItem(ctx context.Context, w io.Writer, st *store.Store, wl *match.Watchlist, link string, loc *time.Location, tooOld func(model.Item) string) error {
	key, err := scraper.NormalizeURL(link)
	if err != nil {
		return usagef("-item %q: %v", link, err)
	}
	err = app.Explain(ctx, w, st, wl, key, loc, tooOld)
	if errors.Is(err, app.ErrNoItem) {
		return usagef("-item: no stored item with link %s (key %s)", link, key)
	}
	return err
}

// pausedNote is ", 1 source and 2 digests paused", or "" when none is.
func pausedNote(cfg *config.Config) string {
	var parts []string
	if n := len(cfg.PausedSources); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "source", "sources")))
	}
	if n := len(cfg.PausedDigests); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "digest", "digests")))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " and ") + " paused)"
}
