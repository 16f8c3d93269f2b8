package main

import (
	"context"
	"os"

	"newswatch/daemon"
)

// cmdRun is the daemon (package daemon): it runs until ctx is cancelled
// (SIGINT, SIGTERM), then finishes the work in flight.
func cmdRun(ctx context.Context, e *env, args []string) error {
	e.daemon = true
	fs := e.flags("run")
	listen := fs.String("listen", os.Getenv("NEWSWATCH_LISTEN"), "serve /healthz and /metrics on this address, instead of the config's listen (default $NEWSWATCH_LISTEN)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	opts := daemon.Options{Logger: e.log, Listen: *listen}
	if cfg := a.Config; cfg.Web != nil {
		// The console reads the configuration file itself, as the
		// daemon does: an edit saved there reaches both.
		srv, err := consoleServer(cfg, a.Store, cfg.Web.Listen)
		if err != nil {
			a.Close()
			return err
		}
		opts.Servers = append(opts.Servers, srv)
	}
	err = daemon.New(a.App, opts).Run(ctx)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}
