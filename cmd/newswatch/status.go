package main

import (
	"context"

	"newswatch/app"
	"newswatch/model"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flags("status")
	quiet := fs.Bool("q", false, "print nothing; exit 1 when no enabled source worked in its last run, or a digest is held back by the mail settings or failed for good (a health check)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openAppReadOnly(ctx, e)
	if err != nil {
		if *quiet {
			return silentError{err} // no database yet, or no config: unhealthy, silently
		}
		return err
	}
	defer a.Close()
	st, err := a.Status(ctx)
	if err != nil {
		if *quiet {
			return silentError{err}
		}
		return err
	}
	hs, msgs, dels := st.Health, st.Messages, st.Deliveries
	if *quiet {
		// A health check: the exit code says it all (cron and Docker
		// mail or log whatever is printed).
		if err := a.Unhealthy(ctx, hs, msgs, dels); err != nil {
			return silentError{err}
		}
		return nil
	}
	if st.Messages, err = a.unsettled(ctx, msgs); err != nil {
		return err
	}
	return a.PrintStatus(ctx, e.stdout, st)
}

// unsettled drops from msgs the failed digests a later one of the same
// digest went out after: the outbox shows what still needs attention.
func (a *cli) unsettled(ctx context.Context, msgs []model.Message) ([]model.Message, error) {
	var out []model.Message
	for _, m := range msgs {
		if m.Status == model.MessageFailed {
			last, ok, err := a.Store.LastSent(ctx, m.Digest)
			if err != nil {
				return nil, err
			}
			if ok && last.Slot.After(m.Slot) {
				continue
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// when is t in loc to the minute, or "never".
var when = app.When
