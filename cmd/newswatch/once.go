package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"newswatch/app"
	"newswatch/ingest"
)

// cmdOnce is the main job for system cron: fetch, then deliver each digest
// that is due. A digest is due when its latest scheduled slot is later than
// its last recorded delivery (scheduled, or forced by `send`): one digest
// for the whole window however many slots passed, as the daemon catches up.
// A digest never delivered is due at once. Run from cron every few minutes,
// it sends exactly the configured digests.
func cmdOnce(ctx context.Context, e *env, args []string) error {
	fs := e.flags("once")
	quiet := fs.Bool("q", false, "print nothing unless something failed (cron mails whatever is printed)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	progress := e.progressTo(e.stderr, len(a.Config.Sources))
	if *quiet {
		// Cron mails whatever is printed: the failures alone, as plain
		// lines, and no log records (the lines say the same), unless -v.
		a.quiet, progress = true, nil
		if !e.verbose {
			e.log = slog.New(slog.DiscardHandler)
		}
	}
	_, err = a.once(ctx, e, e.stdout, progress)
	return err
}

// once fetches and delivers what is due, printing to w; failed reports a
// source that failed even when the run as a whole did not.
func (a *cli) once(ctx context.Context, e *env, w io.Writer, progress func(ingest.Outcome)) (failed bool, err error) {
	sum, err := a.Fetch(ctx, a.Config.Sources, e.log, progress)
	if err != nil {
		return true, err
	}
	defer sum.Close()
	if a.quiet {
		sum.PrintProblems(w)
	} else {
		sum.Print(w)
	}
	specs, err := a.specs(nil)
	if err != nil {
		return true, err
	}
	now := a.Now()
	for _, spec := range specs {
		slot, due, err := a.Due(ctx, spec, now)
		if err != nil {
			return true, err
		}
		if !due {
			continue
		}
		said := w
		if a.quiet {
			said = io.Discard // "nothing new" and the like are no failures
		}
		if err := a.compose(ctx, said, spec, slot, false); err != nil {
			return true, err
		}
	}
	err = a.DeliverPending(ctx, w, e.reportLog(), a.quiet, false)
	a.Prune(ctx, e.log)
	if n := len(a.Config.Sources); sum.Failed == n && n > 0 {
		return true, errors.Join(app.ErrEverySourceFailed, err)
	}
	return sum.Failed > 0 || err != nil, err
}
