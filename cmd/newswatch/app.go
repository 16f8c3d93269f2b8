package main

import (
	"context"
	"strings"
	"time"

	"newswatch/app"
	"newswatch/config"
	"newswatch/digest"
)

// cli is the app of the configuration as the commands use it: the shared
// work of package app, with what the commands print.
type cli struct {
	*app.App
	// quiet prints failures only (once -q): what went well is not said.
	quiet bool
}

// loadConfig reads and validates the configuration and everything that
// depends on it alone (watchlist, templates): a problem is a usage error.
func loadConfig(path string) (app.Setup, error) {
	s, err := app.Load(path)
	if err != nil {
		return s, usageError{err}
	}
	return s, nil
}

// openApp loads the configuration and opens the store, creating or
// upgrading it.
func openApp(ctx context.Context, e *env) (*cli, error) {
	return openAppWith(ctx, e, app.Open)
}

// openAppReadOnly is openApp for the commands that only read (status,
// check, preview): they work on a read-only or busy database, and create
// or upgrade nothing (app.OpenReadOnly).
func openAppReadOnly(ctx context.Context, e *env) (*cli, error) {
	return openAppWith(ctx, e, app.OpenReadOnly)
}

func openAppWith(ctx context.Context, e *env, open func(context.Context, app.Setup, func() time.Time) (*app.App, error)) (*cli, error) {
	s, err := loadConfig(e.config)
	if err != nil {
		return nil, err
	}
	e.zone.Store(s.Config.Location)
	a, err := open(ctx, s, e.clock())
	if err != nil {
		return nil, err
	}
	return &cli{App: a}, nil
}

// specs returns the digests named (all when names is empty), in the
// configuration's order.
func (a *cli) specs(names []string) ([]digest.Spec, error) {
	var out []digest.Spec
	for _, d := range a.Config.Digests {
		if len(names) == 0 || contains(names, d.Name) {
			out = append(out, app.SpecOf(d))
		}
	}
	for _, n := range names {
		if _, ok := a.Spec(n); !ok {
			var paused []string
			for _, d := range a.Config.PausedDigests {
				paused = append(paused, d.Name)
			}
			return nil, unknownName("digest", n, a.Config.Path, a.digestNames(), paused)
		}
	}
	return out, nil
}

func (a *cli) digestNames() []string {
	var out []string
	for _, d := range a.Config.Digests {
		out = append(out, d.Name)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownName is the usage error for a source or digest name given on the
// command line that is not among the enabled ones: paused (enabled = false),
// or unknown with the nearest name suggested.
func unknownName(what, name, path string, known, paused []string) error {
	if contains(paused, name) {
		return usagef("%s %q is paused (enabled = false in %s): set enabled = true to use it", what, name, path)
	}
	return usagef("no %s named %q in %s%s (have: %s)", what, name, path, config.Suggest(name, append(known, paused...)), strings.Join(known, ", "))
}

func sourceNames(list []config.Source) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Name
	}
	return out
}
