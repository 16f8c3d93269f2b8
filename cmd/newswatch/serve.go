package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"

	"newswatch/app"
	"newswatch/config"
	"newswatch/store"
	"newswatch/web"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	flags := e.flags("serve")
	listen := flags.String("listen", "", "host:port to serve on instead of [web] listen")
	if _, err := e.parse(flags, args); err != nil {
		return err
	}
	setup, err := loadConfig(e.config)
	if err != nil {
		return err
	}
	cfg := setup.Config
	if cfg.Web == nil {
		return usagef("%s has no [web] table: add one (listen = %q) to serve the console", cfg.Path, config.DefaultWebListen)
	}
	addr := cfg.Web.Listen
	if *listen != "" {
		addr = *listen
	}
	// Checked before the database is opened: a refusal changes nothing.
	if err := web.CheckAccess(addr, cfg.Web.AuthTokenEnv, cfg.Web.Token(os.Getenv)); err != nil {
		return usageError{err}
	}
	// A missing SQLite file is a typo or nothing fetched yet: an empty
	// console and a stray file would help neither.
	if err := app.DatabaseExists(cfg.Database); err != nil {
		return err // it names the file
	}
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err // it names the database
	}
	defer st.Close()
	s, err := newConsole(ctx, cfg, st, addr)
	if err != nil {
		return err
	}
	defer app.IndexBacklog(ctx, st, e.log)()
	return web.ServeUntil(ctx, web.HTTPServer(addr, s.Handler()), func(a net.Addr) {
		fmt.Fprintf(e.stdout, "serving the console at http://%s/ (Ctrl-C to stop)\n", a)
	})
}

// consoleServer is the web console of cfg as a server for the daemon to
// run beside its schedules, on addr (else [web] listen); nil without a
// [web] table.
func consoleServer(ctx context.Context, cfg *config.Config, st *store.Store, addr string) (*http.Server, error) {
	if cfg.Web == nil {
		return nil, nil
	}
	if addr == "" {
		addr = cfg.Web.Listen
	}
	s, err := newConsole(ctx, cfg, st, addr)
	if err != nil {
		return nil, err
	}
	return web.HTTPServer(addr, s.Handler()), nil
}

// newConsole checks who may reach addr and builds the console.
func newConsole(ctx context.Context, cfg *config.Config, st *store.Store, addr string) (*web.Server, error) {
	token := cfg.Web.Token(os.Getenv)
	if err := web.CheckAccess(addr, cfg.Web.AuthTokenEnv, token); err != nil {
		return nil, usageError{err}
	}
	return web.New(ctx, web.Options{ConfigPath: cfg.Path, Store: st, Token: token, Listen: addr})
}
