package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"newswatch/app"
	"newswatch/digest"
)

func cmdSend(ctx context.Context, e *env, args []string) error {
	fs := e.flags("send")
	test := fs.Bool("test", false, "send a short test message now through the digest's channels, whatever is pending")
	to := fs.String("to", "", "with -test: send it to this address instead of the digest's recipients")
	names, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *to != "" && !*test {
		return usagef("-to goes with -test")
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if *test {
		if len(names) > 1 {
			return usagef("send -test takes at most one digest NAME")
		}
		return a.sendTest(ctx, e.stdout, strings.Join(names, ""), *to)
	}
	specs, err := a.specs(names)
	if err != nil {
		return err
	}
	return a.send(ctx, e.stdout, e.log, specs, a.Now().Truncate(time.Minute))
}

// send composes each digest for slot, records it in the outbox and delivers
// every pending message, earlier ones that failed temporarily included.
func (a *cli) send(ctx context.Context, w io.Writer, log *slog.Logger, specs []digest.Spec, slot time.Time) error {
	for _, spec := range specs {
		if err := a.compose(ctx, w, spec, slot, true); err != nil {
			return err
		}
	}
	return a.DeliverPending(ctx, w, log)
}

// compose puts the digest for slot in the outbox (app.App.Compose; again
// for a manual send) and says so when it has nothing new, was recorded
// before, or went out with another send.
func (a *cli) compose(ctx context.Context, w io.Writer, spec digest.Spec, slot time.Time, again bool) error {
	what, _, err := a.Compose(ctx, spec, slot, again)
	switch {
	case err != nil:
		return err
	case what == app.NothingNew:
		fmt.Fprintf(w, "%s: nothing new\n", spec.Name)
	case what == app.AlreadyRecorded:
		fmt.Fprintf(w, "%s: the digest of %s is already in the outbox\n", spec.Name, when(slot, spec.Location))
	case what == app.Claimed:
		fmt.Fprintf(w, "%s: another send claimed these items at the same moment; they go out with it\n", spec.Name)
	}
	return nil
}
