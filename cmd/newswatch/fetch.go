package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"newswatch/app"
	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/logging"
)

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
	s, err := loadConfig(e.config)
	if err != nil {
		return err
	}
	srcs := s.Config.Sources
	if *only != "" {
		i := slices.IndexFunc(srcs, func(src config.Source) bool { return src.Name == *only })
		if i < 0 {
			return unknownName("source", *only, s.Config.Path, sourceNames(s.Config.Sources), sourceNames(s.Config.PausedSources))
		}
		srcs = srcs[i : i+1]
	}
	e.zone.Store(s.Config.Location)
	if *dry {
		// Nothing is stored: the database is not even opened.
		a := &app.App{Config: s.Config, Watchlist: s.Watchlist, Now: e.clock()}
		return a.DryRun(ctx, e.stdout, srcs[0])
	}
	a, err := app.Open(ctx, s, e.clock())
	if err != nil {
		return err
	}
	defer a.Close()
	sum, err := a.Fetch(ctx, srcs, e.log, e.progressTo(e.stderr, len(srcs)))
	if err != nil {
		return err
	}
	defer sum.Close()
	sum.Print(e.stdout)
	if sum.Failed == len(srcs) && len(srcs) > 0 {
		return app.ErrEverySourceFailed
	}
	return nil
}

// progressTo returns a report callback that redraws one progress line on
// a terminal, or nil when w is not one or carries debug logs (-v), whose
// lines the redrawn line would garble.
func (e *env) progressTo(w io.Writer, total int) func(ingest.Outcome) {
	if !logging.IsTerminal(w) || e.verbose {
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

// plural is one when n is 1, else many.
var plural = app.Plural
