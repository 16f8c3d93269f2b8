package main

import (
	"context"
	"time"
)

func cmdOnce(ctx context.Context, e *env, args []string) error {
	if _, err := e.parse(e.flags("once"), args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	sum, err := a.fetch(ctx, a.cfg.Sources, e.log, progressTo(e.stderr, len(a.cfg.Sources)))
	if err != nil {
		return err
	}
	sum.print(e.stdout)
	specs, err := a.specs(nil)
	if err != nil {
		return err
	}
	err = a.send(ctx, e.stdout, e.log, specs, a.now().Truncate(time.Minute))
	a.prune(ctx, e.log)
	return err
}
