package web

import (
	"context"
	"fmt"
	"io"
	"time"

	"newswatch/config"
	"newswatch/match"
	"newswatch/store"
)

// PrintMarks shows, when items were marked not relevant (in the web
// console), per alias and term how many of its matches were marked, and an
// exclude phrase to consider.
// The window is the last days before now.
func PrintMarks(ctx context.Context, w io.Writer, st *store.Store, cfg *config.Config, wl *match.Watchlist, now time.Time, days int) error {
	p, err := MeasurePrecision(ctx, st, cfg, wl, now.AddDate(0, 0, -days))
	if err != nil {
		return fmt.Errorf("read not-relevant marks: %w", err)
	}
	var lines []string
	for _, c := range cfg.Companies {
		for _, a := range append([]string{c.Name}, c.Aliases...) {
			if n, m := p.Alias(c.Name, a); m > 0 {
				lines = append(lines, fmt.Sprintf("  %s: alias %q matched %d items marked not relevant (%d relevant matches in the last %d days)", c.Name, a, m, n, days))
			}
		}
		if s := p.Suggest(c.Name); s != "" {
			lines = append(lines, fmt.Sprintf("  %s: consider exclude = [%q]: the marked items say it, the relevant ones do not", c.Name, s))
		}
	}
	for _, t := range cfg.Topics {
		for _, term := range t.Terms {
			if n, m := p.Term(term); m > 0 {
				lines = append(lines, fmt.Sprintf("  %s: term %q matched %d items marked not relevant (%d relevant matches in the last %d days)", t.Name, term, m, n, days))
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nMarked not relevant:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}
