package main

import (
	"bytes"
	"context"
	"errors"
	"io"

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
	out := e.stdout
	var held bytes.Buffer
	progress := e.progressTo(e.stderr, len(a.Config.Sources))
	if *quiet {
		out, progress = &held, nil
	}
	failed, err := a.once(ctx, e, out, progress)
	if *quiet && (failed || err != nil) {
		io.Copy(e.stdout, &held)
	}
	return err
}

// once fetches and delivers what is due, printing to w; failed reports a
// source that failed even when the run as a whole did not.
func (a *cli) once(ctx context.Context, e *env, w io.Writer, progress func(ingest.Outcome)) (failed bool, err error) {
	sum, err := a.Fetch(ctx, a.Config.Sources, e.log, progress)
	if err != nil {
		return true, err
	}
	sum.Print(w)
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
		if err := a.compose(ctx, w, spec, slot, false); err != nil {
			return true, err
		}
	}
	err = a.DeliverPending(ctx, w, e.log)
	a.Prune(ctx, e.log)
	if n := len(a.Config.Sources); sum.Failed == n && n > 0 {
		return true, errors.Join(app.ErrEverySourceFailed, err)
	}
	return sum.Failed > 0 || err != nil, err
}
