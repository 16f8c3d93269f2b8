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
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	srcs := a.Config.Sources
	if *only != "" {
		i := slices.IndexFunc(srcs, func(s config.Source) bool { return s.Name == *only })
		if i < 0 {
			return unknownName("source", *only, a.Config.Path, sourceNames(a.Config.Sources), sourceNames(a.Config.PausedSources))
		}
		srcs = srcs[i : i+1]
	}
	if *dry {
		if *only == "" {
			return usagef("-dry-run needs -source NAME")
		}
		return a.DryRun(ctx, e.stdout, srcs[0])
	}
	sum, err := a.Fetch(ctx, srcs, e.log, e.progressTo(e.stderr, len(srcs)))
	if err != nil {
		return err
	}
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
