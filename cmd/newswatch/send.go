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
	"newswatch/model"
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
	return a.send(ctx, e.stdout, e.reportLog(), specs, a.Now().Truncate(time.Minute))
}

// send composes each digest for slot, records it in the outbox and delivers
// every pending message, earlier ones that failed temporarily included.
func (a *cli) send(ctx context.Context, w io.Writer, log *slog.Logger, specs []digest.Spec, slot time.Time) error {
	for _, spec := range specs {
		if err := a.compose(ctx, w, spec, slot, true); err != nil {
			return err
		}
	}
	return a.DeliverPending(ctx, w, log, a.quiet, true)
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
		held, err := a.heldBack(ctx, spec.Name)
		if err != nil {
			return err
		}
		if !held.IsZero() {
			fmt.Fprintf(w, "%s: nothing new beyond the digest of %s, still in the outbox: trying that one now\n", spec.Name, when(held, spec.Location))
			break
		}
		fmt.Fprintf(w, "%s: nothing new matched: nothing sent (send_empty = false)\n", spec.Name)
	case what == app.StillPending:
		fmt.Fprintf(w, "%s: the digest of %s is still in the outbox, not sent yet: trying it now\n", spec.Name, when(slot, spec.Location))
	case what == app.AlreadyRecorded:
		fmt.Fprintf(w, "%s: the digest of %s was composed already (by the daemon or another run)\n", spec.Name, when(slot, spec.Location))
	case what == app.Claimed:
		fmt.Fprintf(w, "%s: another send claimed these items at the same moment; they go out with it\n", spec.Name)
	}
	return nil
}

// heldBack is the slot of the latest pending digest of name, zero when
// none is pending.
func (a *cli) heldBack(ctx context.Context, name string) (time.Time, error) {
	pending, err := a.Store.Messages(ctx, model.MessagePending)
	if err != nil {
		return time.Time{}, err
	}
	var slot time.Time
	for _, m := range pending {
		if m.Digest == name && m.Slot.After(slot) {
			slot = m.Slot
		}
	}
	return slot, nil
}
