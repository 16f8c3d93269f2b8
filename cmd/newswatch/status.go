package main

import (
	"context"
	"newswatch/app"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flags("status")
	quiet := fs.Bool("q", false, "print nothing; exit 1 when no source worked in its last run or a digest failed for good (a health check)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openAppReadOnly(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.Status(ctx)
	if err != nil {
		return err
	}
	hs, msgs, dels := st.Health, st.Messages, st.Deliveries
	if *quiet {
		return a.Unhealthy(ctx, hs, msgs, dels)
	}
	return a.PrintStatus(ctx, e.stdout, st)
}

// when is t in loc to the minute, or "never".
var when = app.When
