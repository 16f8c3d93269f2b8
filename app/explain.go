package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"newswatch/match"
	"newswatch/store"
)

// ErrNoItem is Explain's answer when no item is stored under the key.
var ErrNoItem = errors.New("no stored item with this key")

// Explain writes, for the item stored under key (a normalised link), why
// each company of wl matches it or not: the aliases and terms found, where,
// the score, the exclude phrases present.
func Explain(ctx context.Context, w io.Writer, st *store.Store, wl *match.Watchlist, key string) error {
	items, err := st.Items(ctx, store.ItemQuery{Key: key})
	if err != nil {
		return fmt.Errorf("read item: %w", err)
	}
	if len(items) == 0 {
		return ErrNoItem
	}
	it := items[0]
	text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
	fmt.Fprintf(w, "\n%s\n%s\nsources: %s; first seen %s\n\n", text.Title, it.Link, strings.Join(it.Sources, ", "), it.FirstSeen.Format(time.RFC3339))
	for _, v := range wl.Explain(text) {
		if v.Relevant {
			fmt.Fprintf(w, "  %s: MATCHES (score %.1f): %s\n", v.Company, v.Score, hitReasons(v.Hit))
			continue
		}
		fmt.Fprintf(w, "  %s: no match: %s", v.Company, v.Reason)
		if found := hitReasons(v.Hit); found != "" {
			fmt.Fprintf(w, " (found: %s)", found)
		}
		for _, ex := range v.Excluded {
			fmt.Fprintf(w, " (exclude phrase %q present)", ex.Term)
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
