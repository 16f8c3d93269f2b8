package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/ingest"
	"newswatch/match"
	"newswatch/store"
)

// app is the wired pipeline for one configuration.
type app struct {
	cfg      *config.Config
	st       *store.Store
	wl       *match.Watchlist
	tmpl     *digest.Templates
	composer *digest.Composer
	ingest   *ingest.Pipeline
	now      func() time.Time

	// quiet prints failures only (once -q): what went well is not said.
	quiet bool
	// answers holds the mail server's answers of the last delivery run.
	answers *replyRecorder

	senderOpts []deliver.Option // extra SMTP options (tests: TLS roots)
	cleanup    func()           // run after the store is closed (preview's scratch database)
}

// loadConfig reads and validates the configuration and everything that
// depends on it alone (watchlist, templates): a problem is a usage error.
func loadConfig(path string) (*config.Config, *match.Watchlist, *digest.Templates, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	wl, err := ingest.CompileWatchlist(cfg)
	if err != nil {
		return nil, nil, nil, usageError{fmt.Errorf("%s: %w", cfg.Path, err)}
	}
	tmpl, err := digest.LoadTemplates(cfg.Templates)
	if err != nil {
		return nil, nil, nil, usageError{fmt.Errorf("%s: templates: %w", cfg.Path, err)}
	}
	return cfg, wl, tmpl, nil
}

// openApp loads the configuration and opens the store, creating or
// upgrading it.
func openApp(ctx context.Context, e *env) (*app, error) {
	return openAppWith(ctx, e, store.Open)
}

// openAppReadOnly is openApp for the commands that only read (status,
// check, preview): they work on a read-only or busy database, and create
// or upgrade nothing.
func openAppReadOnly(ctx context.Context, e *env) (*app, error) {
	var missing error
	a, err := openAppWith(ctx, e, func(ctx context.Context, database string) (*store.Store, error) {
		if missing = databaseExists(database); missing != nil {
			return nil, missing
		}
		return store.OpenReadOnly(ctx, database)
	})
	switch {
	case missing != nil:
		return nil, missing
	case errors.Is(err, store.ErrSchemaOutdated):
		return nil, errNoTables
	}
	return a, err
}

// errNoTables is a read-only command's answer on a database without the
// current tables: a new PostgreSQL database, or one an older newswatch wrote.
var errNoTables = errors.New("the database is new or from an older newswatch: run `newswatch fetch` or `newswatch once` first (it creates or upgrades the tables)")

func openAppWith(ctx context.Context, e *env, open func(context.Context, string) (*store.Store, error)) (*app, error) {
	cfg, wl, tmpl, err := loadConfig(e.config)
	if err != nil {
		return nil, err
	}
	e.zone.Store(cfg.Location)
	st, err := open(ctx, cfg.Database)
	if err != nil {
		return nil, err // it names the database
	}
	return newApp(cfg, wl, tmpl, st, time.Now), nil
}

// newApp wires the pipeline and the composer of one configuration over an
// open store: at start-up, and again on each reload of the daemon.
func newApp(cfg *config.Config, wl *match.Watchlist, tmpl *digest.Templates, st *store.Store, now func() time.Time) *app {
	a := &app{cfg: cfg, st: st, wl: wl, tmpl: tmpl, now: now}
	a.composer = a.newComposer()
	a.ingest = ingest.New(cfg, st, wl, ingest.WithClock(now))
	return a
}

func (a *app) newComposer() *digest.Composer {
	names := make([]string, len(a.cfg.Sources))
	for i, s := range a.cfg.Sources {
		names[i] = s.Name
	}
	return &digest.Composer{
		Store:     a.st,
		Watchlist: a.wl,
		Templates: a.tmpl,
		MaxAge:    a.cfg.MaxAge,
		Sources:   names,
		Domain:    messageDomain(a.cfg),
	}
}

func (a *app) Close() error {
	err := a.st.Close()
	if a.cleanup != nil {
		a.cleanup()
	}
	return err
}

// prune drops the text of items first seen more than retain ago and the
// old digests (store.Prune); retain = "0" keeps everything. A failure is
// logged, not returned: nothing the next run needs is lost by it.
func (a *app) prune(ctx context.Context, log *slog.Logger) {
	if a.cfg.Retain <= 0 {
		return
	}
	cut := a.now().Add(-a.cfg.Retain)
	n, err := a.st.Prune(ctx, cut)
	switch {
	case err != nil:
		log.Error("prune the store", "retain", a.cfg.Retain, "error", err)
	case n > 0:
		log.Info("pruned the store: old items keep their title and link only", "items", n, "first_seen_before", cut.Format(time.RFC3339))
	}
}

// messageDomain is the right-hand side of Message-IDs: the sender's domain.
func messageDomain(cfg *config.Config) string {
	if cfg.SMTP != nil {
		if addr, err := mail.ParseAddress(cfg.SMTP.From); err == nil {
			if i := strings.LastIndexByte(addr.Address, '@'); i >= 0 {
				return addr.Address[i+1:]
			}
		}
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "newswatch.invalid"
	}
	return host
}

// specs returns the digests named (all when names is empty).
func (a *app) specs(names []string) ([]digest.Spec, error) {
	var out []digest.Spec
	for _, d := range a.cfg.Digests {
		if len(names) > 0 && !contains(names, d.Name) {
			continue
		}
		out = append(out, digest.Spec{
			Name:       d.Name,
			To:         d.To,
			Companies:  d.Companies,
			Topics:     d.Topics,
			SendEmpty:  d.SendEmpty,
			MaxStories: d.MaxStories,
			Location:   d.Location,
			Channels:   channelNames(d),
		})
	}
	for _, n := range names {
		found := false
		for _, s := range out {
			found = found || s.Name == n
		}
		if !found {
			var paused []string
			for _, d := range a.cfg.PausedDigests {
				paused = append(paused, d.Name)
			}
			return nil, unknownName("digest", n, a.cfg.Path, a.digestNames(), paused)
		}
	}
	return out, nil
}

func (a *app) digestNames() []string {
	var out []string
	for _, d := range a.cfg.Digests {
		out = append(out, d.Name)
	}
	return out
}

// sender is the outbox's way out: SMTP when configured, else the output folder.
func (a *app) sender() deliver.Sender {
	zones := deliver.WithZones(func(name string) *time.Location {
		for _, d := range a.cfg.Digests {
			if d.Name == name {
				return d.Location
			}
		}
		return a.cfg.Location
	})
	if a.cfg.SMTP == nil {
		return deliver.NewFileSender(a.cfg.Output.Dir, zones)
	}
	smtp := *a.cfg.SMTP
	return deliver.NewSMTPSender(smtp, func() (string, error) { return smtp.Password(os.Getenv) }, append(a.senderOpts, zones)...)
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
