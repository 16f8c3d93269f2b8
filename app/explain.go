package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/digest"
	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// ErrNoItem is Explain's answer when no item is stored under the key.
var ErrNoItem = errors.New("no stored item with this key")

// Explain writes, for the item stored under key (a normalised link), why
// each company of wl matches it or not: the aliases and terms found, where,
// the score, the exclude phrases present; and, for a match, that no digest
// will carry it when tooOld says so. Times are written in loc.
func Explain(ctx context.Context, w io.Writer, st *store.Store, wl *match.Watchlist, key string, loc *time.Location, tooOld func(model.Item) string) error {
	items, err := st.Items(ctx, store.ItemQuery{Key: key})
	if err != nil {
		return fmt.Errorf("read item: %w", err)
	}
	if len(items) == 0 {
		return ErrNoItem
	}
	it := items[0]
	text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
	fmt.Fprintf(w, "\n%s\n%s\nsources: %s; first seen %s\n\n", text.Title, it.Link, strings.Join(it.Sources, ", "), it.FirstSeen.In(loc).Format(time.RFC3339))
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
		if a.InTitle() {
			where = "title"
		}
		parts = append(parts, fmt.Sprintf("%q in %s", a.Term, where))
	}
	for _, t := range h.Terms {
		parts = append(parts, fmt.Sprintf("%s: %q", t.Topic, t.Term))
	}
	return strings.Join(parts, ", ")
}

// TooOld says, for an item a digest composed at now leaves out under
// cfg's max_age (judged by its publication, else the time it was first
// seen), that no digest will show it, and why; "" for a fresh one.
func TooOld(cfg *config.Config, now time.Time, it model.Item) string {
	if !digest.TooOld(now, cfg.MaxAge, it) {
		return ""
	}
	date, firstSeen := digest.AgeDate(it)
	what := "published"
	if firstSeen {
		what = "first seen"
	}
	return fmt.Sprintf("too old for digests: %s %s, max_age %s", what, date.In(cfg.Location).Format("2006-01-02 15:04 MST"), shortDuration(cfg.MaxAge))
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
