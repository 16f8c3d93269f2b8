package main

import (
	"context"
	"os"

	"newswatch/app"
	"newswatch/daemon"
)

// cmdRun is the daemon (package daemon): it runs until ctx is cancelled
// (SIGINT, SIGTERM), then finishes the work in flight.
func cmdRun(ctx context.Context, e *env, args []string) error {
	e.daemon = true
	fs := e.flags("run")
	listen := fs.String("listen", os.Getenv("NEWSWATCH_LISTEN"), "serve /healthz and /metrics on this address instead of the config's listen ($NEWSWATCH_LISTEN when set)")
	webListen := fs.String("web-listen", os.Getenv("NEWSWATCH_WEB_LISTEN"), "serve the web console on this address instead of [web] listen ($NEWSWATCH_WEB_LISTEN when set)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	opts := daemon.Options{Logger: e.log, Listen: *listen}
	console, err := consoleServer(ctx, a.Config, a.Store, *webListen)
	if err != nil {
		a.Close()
		return err
	}
	stopIndexing := func() {}
	if console != nil {
		opts.Servers = append(opts.Servers, console)
		stopIndexing = app.IndexBacklog(ctx, a.Store, e.log)
	}
	err = daemon.New(a.App, opts).Run(ctx)
	stopIndexing()
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}
