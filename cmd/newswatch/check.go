package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

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
	cfg, wl, _, err := loadConfig(e.config)
	if err != nil {
		return err
	}
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
		a := &app{cfg: cfg, now: time.Now}
		return explainItem(ctx, e.stdout, st, wl, *itemURL, a.tooOld)
	}
	items, err := st.Items(ctx, store.ItemQuery{Since: time.Now().AddDate(0, 0, -*days)})
	if err != nil {
		return fmt.Errorf("read stored items: %w", err)
	}
	bt := backtest(cfg, wl, items)
	bt.print(e.stdout, cfg, *days, len(items))
	return nil
}

// backtestResult counts, per company and per topic, the stored items the
// current keywords make relevant.
type backtestResult struct {
	companies map[string]*tally
	topics    map[string]*tally
	seen      map[string]bool // aliases and terms found in any item
}

type tally struct {
	count   int
	samples []string
}

func (t *tally) add(sample string) {
	t.count++
	if len(t.samples) < samplesPerName {
		t.samples = append(t.samples, sample)
	}
}

func backtest(cfg *config.Config, wl *match.Watchlist, items []model.Item) *backtestResult {
	r := &backtestResult{companies: map[string]*tally{}, topics: map[string]*tally{}, seen: map[string]bool{}}
	for _, c := range cfg.Companies {
		r.companies[c.Name] = &tally{}
	}
	for _, t := range cfg.Topics {
		r.topics[t.Name] = &tally{}
	}
	for _, it := range items {
		text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
		for _, th := range wl.Find(text) {
			r.seen[th.Term] = true
		}
		topicTerms := map[string][]string{}
		for _, h := range wl.Match(text) {
			var aliases []string
			for _, a := range h.Aliases {
				aliases = append(aliases, a.Term)
			}
			var terms []string
			for _, th := range h.Terms {
				terms = append(terms, th.Term)
				topicTerms[th.Topic] = append(topicTerms[th.Topic], th.Term)
			}
			why := strings.Join(aliases, ", ")
			if len(terms) > 0 {
				why += " + " + strings.Join(terms, ", ")
			}
			r.companies[h.Company].add(fmt.Sprintf("%s  (%s)", text.Title, why))
		}
		for topic, terms := range topicTerms {
			if t, ok := r.topics[topic]; ok {
				t.add(fmt.Sprintf("%s  (%s)", text.Title, strings.Join(dedupe(terms), ", ")))
			}
		}
	}
	return r
}

func (r *backtestResult) print(w io.Writer, cfg *config.Config, days, total int) {
	fmt.Fprintf(w, "\nBacktest on %d %s stored in the last %d days:\n", total, plural(total, "item", "items"), days)
	if window := time.Duration(days) * 24 * time.Hour; cfg.Retain > 0 && window > cfg.Retain {
		fmt.Fprintf(w, "(items first seen more than %.4g days ago, the retain setting, keep only their titles to match on)\n", cfg.Retain.Hours()/24)
	}
	fmt.Fprintln(w, "\nCompanies (relevant items):")
	for _, c := range cfg.Companies {
		printTally(w, c.Name, r.companies[c.Name])
	}
	fmt.Fprintln(w, "\nTopics (relevant items with a term of the topic):")
	for _, t := range cfg.Topics {
		printTally(w, t.Name, r.topics[t.Name])
	}
	var unseen []string
	for _, c := range cfg.Companies {
		for _, a := range append([]string{c.Name}, c.Aliases...) {
			if !r.seen[a] {
				unseen = append(unseen, fmt.Sprintf("alias %q of %s", a, c.Name))
			}
		}
	}
	for _, t := range cfg.Topics {
		for _, term := range t.Terms {
			if !r.seen[term] {
				unseen = append(unseen, fmt.Sprintf("term %q of %s", term, t.Name))
			}
		}
	}
	if total > 0 && len(unseen) > 0 {
		fmt.Fprintln(w)
		for _, u := range unseen {
			fmt.Fprintf(w, "warning: %s matched nothing in the last %d days\n", u, days)
		}
	}
}

func printTally(w io.Writer, name string, t *tally) {
	fmt.Fprintf(w, "  %-24s %d\n", name, t.count)
	for _, s := range t.samples {
		fmt.Fprintf(w, "      - %s\n", s)
	}
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// explainItem shows, for one stored item, why each company matches or not.
func explainItem(ctx context.Context, w io.Writer, st *store.Store, wl *match.Watchlist, link string, tooOld func(model.Item) string) error {
	key, err := scraper.NormalizeURL(link)
	if err != nil {
		return usagef("-item %q: %v", link, err)
	}
	items, err := st.Items(ctx, store.ItemQuery{Key: key})
	if err != nil {
		return fmt.Errorf("read item: %w", err)
	}
	if len(items) == 0 {
		return usagef("-item: no stored item with link %s (key %s)", link, key)
	}
	it := items[0]
	text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
	fmt.Fprintf(w, "\n%s\n%s\nsources: %s; first seen %s\n\n", text.Title, it.Link, strings.Join(it.Sources, ", "), it.FirstSeen.Format(time.RFC3339))
	old := tooOld(it)
	for _, v := range wl.Explain(text) {
		if v.Relevant {
			fmt.Fprintf(w, "  %s: MATCHES (score %.1f): %s\n", v.Company, v.Score, hitReasons(v.Hit))
			if old != "" {
				fmt.Fprintf(w, "    but %s\n", old)
			}
			continue
		}
		fmt.Fprintf(w, "  %s: no match: %s", v.Company, v.Reason)
		if found := hitReasons(v.Hit); found != "" {
			fmt.Fprintf(w, " (found: %s)", found)
		}
		if len(v.Excluded) > 1 { // the reason names the first
			var more []string
			for _, ex := range v.Excluded[1:] {
				more = append(more, strconv.Quote(ex.Term))
			}
			fmt.Fprintf(w, " (also excluded: %s)", strings.Join(more, ", "))
		}
		fmt.Fprintln(w)
	}
	return nil
}

func hitReasons(h match.Hit) string {
	var parts []string
	for _, a := range h.Aliases {
		where := "body"
		if inTitle(a.Spans) {
			where = "title"
		}
		parts = append(parts, fmt.Sprintf("%q in %s", a.Term, where))
	}
	for _, t := range h.Terms {
		parts = append(parts, fmt.Sprintf("%s: %q", t.Topic, t.Term))
	}
	return strings.Join(parts, ", ")
}

func inTitle(spans []match.Span) bool {
	for _, s := range spans {
		if s.InTitle {
			return true
		}
	}
	return false
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
