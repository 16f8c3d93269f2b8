package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"newswatch/app"
	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
	"newswatch/scraper"
	"newswatch/store"
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
	for _, w := range cfg.Warnings {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	if _, err := cfg.SMTP.Password(os.Getenv); err != nil {
		// Not an error here: the variable may be set where the daemon runs.
		fmt.Fprintf(e.stdout, "warning: %v\n", err)
	}
	for _, d := range cfg.Digests {
		// Likewise for the secrets of the digest's channels.
		if _, err := d.WebhookSecret(os.Getenv); err != nil {
			fmt.Fprintf(e.stdout, "warning: %v\n", err)
		}
		for _, raw := range d.Notify {
			expanded, err := config.ExpandURL(raw, os.Getenv)
			if err == nil && len(config.NotifyVars(raw)) > 0 {
				err = config.CheckService(expanded)
			}
			if err != nil {
				fmt.Fprintf(e.stdout, "warning: digest %q: notify %v\n", d.Name, err)
			}
		}
	}
	if _, err := os.Stat(cfg.Database); !store.IsURL(cfg.Database) && errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stdout, "no database yet at %s: run `newswatch fetch` first to backtest the keywords\n", cfg.Database)
		return nil
	}
	st, err := store.OpenReadOnly(ctx, cfg.Database)
	if errors.Is(err, store.ErrSchemaOutdated) {
		// A fresh PostgreSQL database, or one an older newswatch wrote:
		// the config is fine, there is nothing to backtest on yet.
		fmt.Fprintf(e.stdout, "no backtest yet: the database at %s is new or from an older newswatch; run `newswatch fetch` first (it creates or upgrades the tables)\n", store.Redact(cfg.Database))
		return nil
	}
	if err != nil {
		return err // it names the database
	}
	defer st.Close()
	if *itemURL != "" {
		return explainItem(ctx, e.stdout, st, wl, *itemURL, func(it model.Item) string { return app.TooOld(cfg, time.Now(), it) })
	}
	items, err := st.Items(ctx, store.ItemQuery{Since: time.Now().AddDate(0, 0, -*days)})
	if err != nil {
		return fmt.Errorf("read stored items: %w", err)
	}
	printBacktest(e.stdout, app.RunBacktest(cfg, wl, items, samplesPerName), cfg, *days, len(items))
	return printMarks(ctx, e.stdout, st, cfg, wl, *days)
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
func explainItem(ctx context.Context, w io.Writer, st *store.Store, wl *match.Watchlist, link string, tooOld func(model.Item) string) error {
	key, err := scraper.NormalizeURL(link)
	if err != nil {
		return usagef("-item %q: %v", link, err)
	}
	err = app.Explain(ctx, w, st, wl, key, tooOld)
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
