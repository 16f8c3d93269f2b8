// Package app wires the pipeline of one configuration (store, watchlist,
// templates, ingest pipeline, composer, senders) and holds the work the
// commands and the daemon share: composing a digest for a slot, telling
// whether a digest is due, delivering the outbox, pruning the store.
//
// It writes to no terminal by itself: callers get results and errors, and
// the reports the commands print (a fetch's, a delivery run's, status, a
// dry run, an item's explanation) are written to the io.Writer given.
// Every time it reads comes from App.Now.
package app

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
	"newswatch/model"
	"newswatch/store"
)

// ConfigError marks a problem with the configuration file (or what it
// names: the watchlist, the templates, a schedule): the user has to edit
// the file. The commands exit 2 on it.
type ConfigError struct{ Err error }

// Error returns Err's text.
func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// Setup is a validated configuration with what depends on it alone.
type Setup struct {
	Config    *config.Config
	Watchlist *match.Watchlist
	Templates *digest.Templates
}

// Load reads and validates the configuration at path, compiles its
// watchlist and loads its templates. Every error is a *ConfigError.
func Load(path string) (Setup, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return Setup{}, &ConfigError{err}
	}
	wl, err := ingest.CompileWatchlist(cfg)
	if err != nil {
		return Setup{}, &ConfigError{fmt.Errorf("%s: %w", cfg.Path, err)}
	}
	tmpl, err := digest.LoadTemplates(cfg.Templates)
	if err != nil {
		return Setup{}, &ConfigError{fmt.Errorf("%s: templates: %w", cfg.Path, err)}
	}
	return Setup{Config: cfg, Watchlist: wl, Templates: tmpl}, nil
}

// App is the wired pipeline of one configuration over an open store.
type App struct {
	Config    *config.Config
	Store     *store.Store
	Watchlist *match.Watchlist
	Templates *digest.Templates
	Composer  *digest.Composer
	Ingest    *ingest.Pipeline
	// Now is the clock every part of the app reads: the store (when the
	// app opened it), the ingest pipeline, the composer, the senders.
	Now func() time.Time

	// SenderOptions are extra options of the SMTP sender (tests: TLS roots).
	SenderOptions []deliver.Option
	// Cleanup, when set, runs after the store is closed.
	Cleanup func()
}

// New wires the pipeline and the composer of s over an open store: at
// start-up, and again on each reload of the daemon.
func New(s Setup, st *store.Store, now func() time.Time) *App {
	a := &App{Config: s.Config, Store: st, Watchlist: s.Watchlist, Templates: s.Templates, Now: now}
	a.Composer = a.newComposer()
	a.Ingest = ingest.New(s.Config, st, s.Watchlist, ingest.WithClock(a.clock))
	return a
}

// clock reads a.Now at each call, so that a clock set after New reaches
// the parts New wired.
func (a *App) clock() time.Time { return a.Now() }

// Setup is the configuration a was wired from.
func (a *App) Setup() Setup {
	return Setup{Config: a.Config, Watchlist: a.Watchlist, Templates: a.Templates}
}

func (a *App) newComposer() *digest.Composer {
	names := make([]string, len(a.Config.Sources))
	for i, s := range a.Config.Sources {
		names[i] = s.Name
	}
	console := ""
	if a.Config.Web != nil {
		console = a.Config.Web.URL
	}
	return &digest.Composer{
		Console:      console,
		Store:        a.Store,
		Watchlist:    a.Watchlist,
		Templates:    a.Templates,
		MaxAge:       a.Config.MaxAge,
		Sources:      names,
		Domain:       MessageDomain(a.Config),
		Mask:         SourceMask(a.Config),
		MaskDelivery: config.DeliveryMask(a.Config),
	}
}

// Close closes the store, then runs Cleanup.
func (a *App) Close() error {
	err := a.Store.Close()
	if a.Cleanup != nil {
		a.Cleanup()
	}
	return err
}

// Prune drops the text of items first seen more than retain ago and the
// old digests (store.Prune); retain = "0" keeps everything. A failure is
// logged, not returned: nothing the next run needs is lost by it.
func (a *App) Prune(ctx context.Context, log *slog.Logger) {
	if a.Config.Retain <= 0 {
		return
	}
	cut := a.Now().Add(-a.Config.Retain)
	n, err := a.Store.Prune(ctx, cut)
	switch {
	case err != nil:
		log.Error("prune the store", "retain", a.Config.Retain, "error", err)
	case n > 0:
		log.Info("pruned the store: old items keep their title and link only", "items", n, "first_seen_before", cut.Format(time.RFC3339))
	}
}

// MessageDomain is the right-hand side of Message-IDs: the sender's
// domain, else the host name.
func MessageDomain(cfg *config.Config) string {
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

// Spec is the digest named name, when it is configured and enabled.
func (a *App) Spec(name string) (digest.Spec, bool) {
	for _, d := range a.Config.Digests {
		if d.Name == name {
			return SpecOf(d), true
		}
	}
	return digest.Spec{}, false
}

// SpecOf is what the composer needs of a configured digest.
func SpecOf(d config.Digest) digest.Spec {
	return digest.Spec{
		Name:       d.Name,
		To:         d.To,
		Companies:  d.Companies,
		Topics:     d.Topics,
		SendEmpty:  d.SendEmpty,
		MaxStories: d.MaxStories,
		Location:   d.Location,
		Channels:   ChannelNames(d),
	}
}

// Sender is the outbox's way out: SMTP when configured, else the output
// folder.
func (a *App) Sender() deliver.Sender {
	zones := deliver.WithZones(func(name string) *time.Location {
		for _, d := range a.Config.Digests {
			if d.Name == name {
				return d.Location
			}
		}
		return a.Config.Location
	})
	if a.Config.SMTP == nil {
		return deliver.NewFileSender(a.Config.Output.Dir, zones)
	}
	smtp := *a.Config.SMTP
	return deliver.NewSMTPSender(smtp, func() (string, error) { return smtp.Password(os.Getenv) }, append(a.SenderOptions, zones)...)
}

// Composed is what Compose did with a digest.
type Composed int

// What Compose did.
const (
	// Recorded: the digest is in the outbox, to be delivered.
	Recorded Composed = iota
	// NothingNew: nothing to send and send_empty is off; the slot is
	// recorded as done, unless the digest was never recorded before and
	// slot is off its schedule.
	NothingNew
	// AlreadyRecorded: the slot was recorded before (by a daemon, another
	// process, or an earlier run); its message, if pending, is delivered
	// with its own Message-ID.
	AlreadyRecorded
	// Claimed: another process claimed these items at the same moment;
	// they go out with its digest.
	Claimed
	// StillPending: the slot's digest was recorded before and is still
	// pending (a wrong password, a send cut short): it is delivered with
	// its own Message-ID.
	StillPending
)

// Compose puts the digest of spec for slot in the outbox, unless it has
// nothing new (and send_empty is off): then the slot is recorded as done,
// so that a later run does not send its stories off schedule; but not for
// a digest never recorded composed off its schedule, which stays due at
// the next run.
//
// When slot was recorded before: a digest still pending is left to be
// delivered with its own Message-ID (a wrong password, a send cut short by
// a crash: it is not duplicated), StillPending; with again (a manual
// `send`) and that digest sent or failed for good, what is new goes out
// under a new identity (the slot a second later: a new Message-ID);
// otherwise the slot is done (a scheduled one that a daemon or another
// `once` recorded first).
func (a *App) Compose(ctx context.Context, spec digest.Spec, slot time.Time, again bool) (Composed, *digest.Draft, error) {
	for {
		d, err := a.Composer.Compose(ctx, spec, slot, a.Now())
		if err != nil {
			return 0, nil, err
		}
		if d.Empty && !spec.SendEmpty {
			// A digest never recorded, composed off its schedule (the
			// first `once` or `send`, due at once), stays so: that run
			// found nothing (every source failed, the feeds had not
			// been fetched yet), and the next run, not the next slot,
			// is when it goes out first. A scheduled slot is recorded
			// as done, so that a daemon down at the next one catches
			// that one up.
			if !a.scheduled(spec.Name, slot) {
				if _, ok, err := a.Store.LastSlot(ctx, spec.Name); err != nil || !ok {
					return NothingNew, &d, err
				}
			}
			return NothingNew, &d, a.Store.RecordEmpty(ctx, spec.Name, slot)
		}
		err = a.Composer.Record(ctx, &d)
		switch {
		case err == nil:
			return Recorded, &d, nil
		case errors.Is(err, store.ErrSlotTaken):
			pending, perr := a.pendingAt(ctx, spec.Name, slot)
			switch {
			case perr != nil:
				return 0, nil, perr
			case pending:
				return StillPending, &d, nil
			case again:
				slot = slot.Add(time.Second) // that one was sent or failed: a new identity
				continue
			}
			return AlreadyRecorded, &d, nil
		case errors.Is(err, store.ErrClaimed):
			return Claimed, &d, nil
		default:
			return 0, nil, err
		}
	}
}

// scheduled reports whether slot stands for one of digest's scheduled
// slots: at most a minute after it (a daemon's tick on SQLite is its
// time to the second, late on a busy machine; once's slot is its minute).
func (a *App) scheduled(digest string, slot time.Time) bool {
	for _, d := range a.Config.Digests {
		if d.Name == digest && d.Timetable != nil {
			return slot.Sub(d.Timetable.Slot(slot)) < time.Minute
		}
	}
	return false
}

// Due says whether spec's latest scheduled slot at now is later than its
// last recorded one, and returns that slot; a digest never recorded is due
// now (to the minute).
func (a *App) Due(ctx context.Context, spec digest.Spec, now time.Time) (time.Time, bool, error) {
	last, ok, err := a.Store.LastSlot(ctx, spec.Name)
	if err != nil {
		return time.Time{}, false, err
	}
	if !ok {
		return now.Truncate(time.Minute), true, nil
	}
	for _, d := range a.Config.Digests {
		if d.Name == spec.Name {
			slot, due := d.Timetable.Prev(last, now)
			return slot, due, nil
		}
	}
	return time.Time{}, false, nil
}

// LogOutcome logs one source's outcome: a failure or a partial source at
// level problem, a fetched source at level ok.
func LogOutcome(log *slog.Logger, o ingest.Outcome, problem, ok slog.Level) {
	ctx := context.Background()
	if o.Err != nil {
		log.Log(ctx, problem, "source failed", "source", o.Source, "duration", o.Fetch.Round(time.Millisecond), "error", o.Err)
	} else {
		log.Log(ctx, ok, "source fetched", "source", o.Source, "duration", o.Fetch.Round(time.Millisecond),
			"items", o.Items, "new", o.New, "not_modified", o.NotModified, "discovered_feed", o.FeedURL)
	}
	if o.Warning != nil { // some articles of a source that worked
		log.Log(ctx, problem, "source incomplete", "source", o.Source, "warning", o.Warning)
	}
}

// pendingAt reports whether digest's message for slot is still pending.
func (a *App) pendingAt(ctx context.Context, digest string, slot time.Time) (bool, error) {
	pending, err := a.Store.Messages(ctx, model.MessagePending)
	if err != nil {
		return false, err
	}
	for _, m := range pending {
		if m.Digest == digest && m.Slot.Equal(slot) {
			return true, nil
		}
	}
	return false, nil
}
