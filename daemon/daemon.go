// Package daemon is `newswatch run`: it schedules the fetch and each digest
// of a configuration with robfig/cron in the configuration's zone, catches
// up at start-up on the digests whose slot passed while it was down,
// retries the outbox, prunes the store, reloads the configuration file when
// it changes (an invalid edit keeps the running configuration), and serves
// /healthz and /metrics when asked to.
//
// Rules it keeps:
//   - never two fetches at once: a job that needs a fetch while one runs
//     waits for that one;
//   - a job still running is not started again by its next tick, and a job
//     that panics is logged and runs again at its next tick; a digest's
//     job, a tick's or a catch-up's, is not started while another of that
//     digest runs (the one to start is skipped and logged);
//   - each digest's job runs apart from the others', at start-up as at
//     its ticks: a digest whose delivery hangs holds back no other;
//   - a digest tick fetches first, then composes and delivers; on a shared
//     (PostgreSQL) database one daemon composes each slot and the others
//     take over should it die; one that stalled past its claim while
//     composing records nothing and claims the slot again;
//   - on shutdown (the context of Run cancelled) the work in flight gets
//     ShutdownDeadline to finish, then its context is cancelled: a send cut
//     short stays pending, never marked sent unless the server accepted it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/sync/singleflight"

	"newswatch/app"
	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/ingest"
	"newswatch/store"
)

// Deadlines of the daemon's jobs, so a hung job cannot starve later ticks,
// and of the shutdown wait for the job in flight.
const (
	fetchDeadline  = 10 * time.Minute
	digestDeadline = 15 * time.Minute
	// ShutdownDeadline is how long Run waits, once its context is
	// cancelled, for the work in flight before cancelling it.
	ShutdownDeadline = 30 * time.Second
	retryEvery       = "@every 1m"
	// retrySharedEvery: on a shared database, a message left by a daemon
	// that died mid-send is taken over soon after its lease expires.
	retrySharedEvery = "@every 5s"
	pruneSchedule    = "30 3 * * *" // and at start-up
)

// Options are the daemon's settings that do not come from the
// configuration file.
type Options struct {
	// Logger receives the daemon's logs; nil discards them.
	Logger *slog.Logger
	// Listen, when not empty, replaces the configuration's listen: the
	// address of /healthz and /metrics (two daemons with one configuration
	// on one machine each need their own).
	Listen string
	// Servers run beside the daemon, for as long as Run does: each listens
	// on its Addr when Run starts (Run fails when one cannot) and is shut
	// down when Run returns, after the work in flight. The web console is
	// started this way.
	Servers []*http.Server
}

// Daemon runs the schedules of the current configuration.
type Daemon struct {
	log     *slog.Logger
	metrics *metrics
	opts    Options

	mu   sync.Mutex // guards app and cron
	app  *app.App
	cron *cron.Cron

	// jobs is the context jobs run under: it outlives Run's context so work
	// in flight can finish, and is cancelled when the shutdown deadline
	// passes.
	jobs       context.Context
	cancelJobs context.CancelFunc
	wg         sync.WaitGroup

	fetches singleflight.Group

	digestsMu sync.Mutex
	digests   map[string]*digestRun // the digests whose job is running

	healthMu sync.Mutex
	rounds   []int // successful sources in each of the last fetch rounds

	beforeFetch   func()            // test hook: runs at the start of each fetch job
	afterDebounce func(reload bool) // test hook: a burst of events in the config's folder was judged
}

// New returns a daemon for a; Run starts it. The daemon owns a from then
// on, but does not close it.
func New(a *app.App, opts Options) *Daemon {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	jobs, cancel := context.WithCancel(context.Background())
	return &Daemon{log: log, opts: opts, app: a, jobs: jobs, cancelJobs: cancel}
}

// keepMetrics makes the metrics /metrics serves, when there is a listen
// address to serve them on: before any job runs, since jobs record them.
func (d *Daemon) keepMetrics() {
	if addr, _ := d.listen(); addr != "" {
		d.metrics = newMetrics()
	}
}

// listen is the address of /healthz and /metrics (Options.Listen, else the
// configuration's; "" for none) and what set it, for errors.
func (d *Daemon) listen() (addr, key string) {
	if d.opts.Listen != "" {
		return d.opts.Listen, "listen override"
	}
	return d.current().Config.Listen, "config key listen"
}

func (d *Daemon) current() *app.App {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.app
}

// Run runs the daemon until ctx is cancelled, then finishes the work in
// flight (ShutdownDeadline at most) and returns nil. On SQLite it first
// takes the database's single-daemon lock: another daemon holding it is an
// error wrapping store.ErrLocked. A configuration the daemon cannot
// schedule is an *app.ConfigError.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.cancelJobs()
	// On SQLite one daemon runs per database; on PostgreSQL the lock is a
	// no-op and daemons share the work (store.Claim, store.Lease).
	release, err := d.current().Store.LockDaemon()
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w: stop the other `newswatch run` first (fetch, send, check and preview may run beside it; on PostgreSQL several daemons may share one database)", err)
		}
		return err
	}
	defer release()
	d.keepMetrics()
	if err := d.schedule(d.current()); err != nil {
		return &app.ConfigError{Err: err}
	}
	stopServers, err := d.serve()
	if err != nil {
		d.stopCron()
		return err
	}
	defer stopServers()
	reload := make(chan struct{}, 1)
	stopWatch := d.watch(ctx, reload)
	defer stopWatch()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// Started: from here an edit of the config or a SIGHUP reloads it.
	cfg := d.current().Config
	d.log.Info("daemon started", "config", cfg.Path, "sources", len(cfg.Sources), "digests", len(cfg.Digests))
	d.startup()

	for {
		select {
		case <-ctx.Done():
			d.shutdown()
			return nil
		case <-hup:
			d.reload()
		case <-reload:
			d.reload()
		}
	}
}

// startup delivers what was left pending and catches up on digests whose
// slot passed while the daemon was down: one digest for the whole missed
// window, never one per missed slot. A catch-up digest fetches first; with
// none due, the sources are fetched when the fetch schedule ticked since
// their last fetch (or one was never fetched), so that a daemon started
// between two slots does not serve stale items until the next one. The
// delivery of what was pending and each digest's catch-up are jobs of
// their own, as ticks are: a receiver that hangs holds back none of the
// others.
func (d *Daemon) startup() {
	a := d.current()
	d.goJob(func() {
		ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
		defer cancel()
		d.deliver(ctx, a, deliver.RetryPolicy{Immediate: true})
	})
	d.goJob(func() {
		ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
		defer cancel()
		now := a.Now()
		type catchUp struct {
			name string
			slot time.Time
		}
		var due []catchUp
		for _, dg := range a.Config.Digests {
			last, ok, err := a.Store.LastSlot(ctx, dg.Name)
			if err != nil {
				d.log.Error("catch-up: read last slot", "digest", dg.Name, "error", err)
				continue
			}
			if !ok {
				continue
			}
			if slot, missed := dg.Timetable.Prev(last, now); missed {
				d.log.Info("catching up on a missed digest", "digest", dg.Name, "slot", slot, "last_slot", last)
				due = append(due, catchUp{dg.Name, slot})
			}
		}
		if len(due) == 0 {
			d.startupFetch(ctx, a, now)
		}
		for _, c := range due {
			d.goJob(func() { d.digestOnce(c.name, c.slot) })
		}
		d.pruneJob()
	})
}

// digestOnce runs the job of digest name for slot unless one of that
// digest is running: a tick's, a catch-up's, or one started under the
// configuration before a reload. Then the slot is noted instead, and the
// running job, once done, runs the latest slot noted meanwhile (the
// earlier ones are in it: a digest covers everything since its last
// delivery), so that a slot that came while a job waited on a hanging
// channel is not lost until the next one.
func (d *Daemon) digestOnce(name string, slot time.Time) {
	d.digestsMu.Lock()
	if run, ok := d.digests[name]; ok {
		if slot.After(run.next) {
			run.next = slot
		}
		d.digestsMu.Unlock()
		d.log.Info("digest job still running: this slot follows it", "digest", name, "slot", slot)
		return
	}
	if d.digests == nil {
		d.digests = map[string]*digestRun{}
	}
	run := &digestRun{}
	d.digests[name] = run
	d.digestsMu.Unlock()
	for {
		d.digestJob(name, slot)
		d.digestsMu.Lock()
		next := run.next
		run.next = time.Time{}
		if !next.After(slot) || d.jobs.Err() != nil {
			delete(d.digests, name)
			d.digestsMu.Unlock()
			return
		}
		d.digestsMu.Unlock()
		slot = next
		d.log.Info("digest slot that came while its job ran", "digest", name, "slot", slot)
	}
}

// digestRun is a digest's running job: next is the latest slot that came
// while it ran (zero: none).
type digestRun struct{ next time.Time }

// startupFetch fetches the sources unless every configured one was
// fetched since the fetch schedule's latest tick.
func (d *Daemon) startupFetch(ctx context.Context, a *app.App, now time.Time) {
	hs, err := a.Store.Health(ctx)
	if err != nil {
		d.log.Error("start-up: read the sources' health", "error", err)
		return
	}
	lastRun := make(map[string]time.Time, len(hs))
	for _, h := range hs {
		lastRun[h.Source] = h.LastRun
	}
	var oldest time.Time
	for i, s := range a.Config.Sources {
		if t := lastRun[s.Name]; i == 0 || t.Before(oldest) {
			oldest = t
		}
	}
	if len(a.Config.Sources) == 0 {
		return
	}
	if !oldest.IsZero() && a.Config.FetchTimetable.Next(oldest).After(now) {
		d.log.Info("no fetch at start-up: every source was fetched since the fetch schedule's latest slot", "last_fetch", oldest)
		return
	}
	if oldest.IsZero() {
		d.log.Info("fetching at start-up: a source was never fetched")
	} else {
		d.log.Info("fetching at start-up: the fetch schedule ticked since the last fetch", "last_fetch", oldest)
	}
	d.fetchJob()
}

// goJob runs f as tracked work that shutdown waits for.
func (d *Daemon) goJob(f func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				d.log.Error("job panicked", "panic", r)
			}
		}()
		f()
	}()
}

// schedule replaces the cron of the previous configuration with one for a.
// Jobs in flight finish under the configuration they started with.
func (d *Daemon) schedule(a *app.App) error {
	logger := cronLogger{d.log}
	c := cron.New(
		cron.WithLocation(a.Config.Location),
		// Skip outside Recover: robfig's SkipIfStillRunning hands its token
		// back only when the job returns, so a panic passing through it
		// would skip that job forever (TestDaemonJobPanics).
		cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)),
		cron.WithLogger(logger),
	)
	c.Schedule(a.Config.FetchTimetable, d.tracked(func() { d.fetchJob() }))
	for _, dg := range a.Config.Digests {
		name, tt := dg.Name, dg.Timetable
		c.Schedule(dg.Timetable, d.tracked(func() { d.digestOnce(name, slotOf(a, tt)) }))
	}
	every := retryEvery
	if a.Store.Shared() {
		every = retrySharedEvery
	}
	retry, err := config.ParseSchedule(every, a.Config.Location)
	if err != nil {
		return err
	}
	c.Schedule(retry, d.tracked(func() {
		ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
		defer cancel()
		d.deliver(ctx, d.current(), deliver.RetryPolicy{})
	}))
	prune, err := config.ParseSchedule(pruneSchedule, a.Config.Location)
	if err != nil {
		return err
	}
	c.Schedule(prune, d.tracked(d.pruneJob))
	d.mu.Lock()
	old := d.cron
	d.cron, d.app = c, a
	d.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	c.Start()
	return nil
}

// tracked wraps a job so shutdown waits for it.
func (d *Daemon) tracked(f func()) cron.Job {
	return cron.FuncJob(func() {
		d.wg.Add(1)
		defer d.wg.Done()
		f()
	})
}

// slotOf is the slot a tick of tt stands for. Cron fires at the slot's
// second, give or take scheduling latency; daemons sharing a database
// agree on the slot through the timetable, whenever each started (an
// "@every" tick falls at a different second in each).
func slotOf(a *app.App, tt *config.Schedule) time.Time {
	if a.Store.Shared() {
		return tt.Slot(a.Now())
	}
	return a.Now().Truncate(time.Second)
}

// pruneJob keeps the database from growing without bound (app.Prune).
func (d *Daemon) pruneJob() {
	ctx, cancel := context.WithTimeout(d.jobs, fetchDeadline)
	defer cancel()
	d.current().Prune(ctx, d.log)
}

func (d *Daemon) fetchJob() {
	if d.beforeFetch != nil {
		d.beforeFetch()
	}
	deadline := fetchDeadline
	if t := d.current().Config.FetchTimeout; t > 0 {
		deadline = t
	}
	ctx, cancel := context.WithTimeout(d.jobs, deadline)
	defer cancel()
	a := d.current()
	d.sharedFetch(ctx, slotOf(a, a.Config.FetchTimetable))
}

// sharedFetch fetches every source, or, when a fetch is already running,
// waits for that one (or for ctx): never two fetches at once. On a shared
// database it fetches, for slot, the sources no other daemon fetches, and
// returns once each was fetched by one of them (ingest.RunShared).
func (d *Daemon) sharedFetch(ctx context.Context, slot time.Time) {
	done := d.fetches.DoChan("fetch", func() (any, error) {
		d.fetch(ctx, slot)
		return nil, nil
	})
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// fetch runs the pipeline once and notes the round for /healthz.
func (d *Daemon) fetch(ctx context.Context, slot time.Time) {
	a := d.current()
	report := func(o ingest.Outcome) {
		app.LogOutcome(d.log, o, slog.LevelWarn, slog.LevelInfo)
		d.metrics.observeSource(o, a.Now())
	}
	var (
		sum ingest.Summary
		err error
	)
	if a.Store.Shared() {
		sum, err = a.Ingest.RunShared(ctx, a.Config.Sources, slot, report)
	} else {
		sum, err = a.Ingest.Run(ctx, a.Config.Sources, report)
	}
	for _, o := range sum.Unrecorded {
		d.log.Warn("source health not saved", "source", o.Source, "error", o.Err)
	}
	if err != nil {
		d.log.Error("fetch", "error", err)
		if ctx.Err() == nil {
			return // the sources' state could not be read: nothing was fetched
		}
	}
	// On a shared database the other daemons may have fetched every
	// source of the slot: a round this one took no part in says nothing
	// of its health.
	if sum.Sources > 0 || !a.Store.Shared() {
		d.noteRound(sum.Sources - sum.Failed)
	}
	d.log.Info("fetch done", "sources", sum.Sources, "failed", sum.Failed, "new_items", sum.New,
		"new_matches", sum.Matches, "duration", sum.Elapsed.Round(time.Millisecond))
}

// digestJob fetches, then composes the digest for slot and delivers it.
func (d *Daemon) digestJob(name string, slot time.Time) {
	ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
	defer cancel()
	d.sharedFetch(ctx, slot)
	a := d.current()
	spec, ok := a.Spec(name)
	if !ok {
		d.log.Info("digest no longer configured", "digest", name)
		return
	}
	log := d.log.With("digest", name)
	if !a.Store.Shared() {
		if done, _ := d.compose(ctx, a, spec, slot, log); done {
			d.deliver(ctx, a, deliver.RetryPolicy{})
		}
		return
	}
	if d.composeShared(ctx, a, spec, slot, log) {
		d.deliver(ctx, a, deliver.RetryPolicy{})
	}
}

// composeShared composes the digest of spec for slot on a shared
// database: one daemon composes the slot; the others wait until it is
// done, and take it over should that daemon die first. A daemon whose
// claim was lost while composing (it stalled past it) recorded nothing:
// it releases the claim and claims the slot again, so the digest is
// composed once, by the daemon that took the slot over if one did, else
// by this one. It is false when ctx ended, this daemon's attempt failed
// (its claim expires: another daemon tries again), or its claim was lost
// maxClaimLosses times in a row.
func (d *Daemon) composeShared(ctx context.Context, a *app.App, spec digest.Spec, slot time.Time, log *slog.Logger) bool {
	lease := []string{"digest:" + spec.Name}
	waiting := false
	for losses := 0; ctx.Err() == nil; {
		claimed, busy, err := a.Store.Claim(ctx, lease, slot, 1)
		if err != nil {
			log.Error("claim the digest slot", "slot", slot, "error", err)
			return false
		}
		if len(claimed) == 0 && busy == 0 {
			log.Debug("digest slot composed by another daemon", "slot", slot)
			return true
		}
		if len(claimed) == 0 {
			if !waiting {
				log.Debug("digest slot held by another claim: waiting", "slot", slot)
				waiting = true
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Second):
			}
			continue
		}
		held, stop := a.Store.HoldClaims(ctx, lease)
		done, lost := d.compose(held, a, spec, slot, log)
		stop()
		if lost != nil {
			// A claim lost by this daemon's clock alone stays its own in
			// the database until it expires: released, the slot is
			// claimed at once, by this daemon or another. (One taken
			// over is no longer this daemon's to release.)
			if err := a.Store.Release(ctx, lease, slot); err != nil && ctx.Err() == nil {
				log.Error("release the digest slot", "slot", slot, "error", err)
			}
			if losses++; losses == maxClaimLosses {
				log.Error("claim on the digest slot lost while composing, too often: slot given up, nothing recorded; its items go out with the next slot unless another daemon composes this one",
					"slot", slot, "losses", losses)
				return false
			}
			continue
		}
		if !done {
			return false
		}
		if err := a.Store.Finish(ctx, lease, slot); err != nil {
			log.Error("finish the digest slot", "slot", slot, "error", err)
		}
		return true
	}
	return false
}

// maxClaimLosses is how many times composeShared loses its claim on a
// slot before it gives the slot up: a daemon that stalls every time it
// composes must not compose again and again until its deadline.
const maxClaimLosses = 3

// compose puts the digest of spec for slot in the outbox; done is true
// when it was recorded, had nothing to send, or was recorded by another
// process, false when it failed (logged) or the claim ctx holds was lost
// on the way: then nothing was recorded, lost is the loss and a warning
// is logged.
func (d *Daemon) compose(ctx context.Context, a *app.App, spec digest.Spec, slot time.Time, log *slog.Logger) (done bool, lost error) {
	start := time.Now()
	what, dr, err := a.Compose(ctx, spec, slot, false)
	if lost := claimLost(ctx, err); lost != nil {
		log.Warn("claim on the digest slot lost while composing: nothing recorded, the slot is left to the daemon that claims it next",
			"slot", slot, "error", lost)
		return false, lost
	}
	if err != nil {
		log.Error("compose", "slot", slot, "error", err)
		return false, nil
	}
	switch what {
	case app.NothingNew:
		log.Info("digest skipped: nothing new", "slot", slot)
	case app.AlreadyRecorded, app.StillPending:
		log.Info("digest slot already recorded", "slot", slot)
	case app.Claimed:
		log.Info("items claimed by a concurrent send", "slot", slot)
	default:
		log.Info("digest composed", "slot", slot, "stories", dr.View.Count, "items", len(dr.Message.ItemIDs),
			"duration", time.Since(start).Round(time.Millisecond))
	}
	return true, nil
}

// claimLost returns the ErrLeaseLost cause when err, or ctx's
// cancellation, comes from losing the claim ctx holds: the store found
// the claim no longer the holder's before recording (store.CheckHeld), or
// a renewal found it taken over and cancelled ctx. It is nil otherwise,
// and whenever err is nil (the work was done).
func claimLost(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrLeaseLost):
		return err
	case errors.Is(context.Cause(ctx), store.ErrLeaseLost):
		return context.Cause(ctx)
	}
	return nil
}

// deliver sends the messages of the outbox that policy makes due, logging
// to the daemon's log.
func (d *Daemon) deliver(ctx context.Context, a *app.App, policy deliver.RetryPolicy) {
	policy.Logger = d.log
	rep, err := a.DeliverAll(ctx, policy)
	if err != nil {
		d.log.Error("deliver", "error", err)
	}
	d.metrics.observeDelivery(rep, a.Now())
}

// stopCron stops the schedules and waits for the running jobs' ticks to
// return.
func (d *Daemon) stopCron() {
	d.mu.Lock()
	c := d.cron
	d.mu.Unlock()
	<-c.Stop().Done()
}

// shutdown stops new jobs and waits for the ones in flight up to the
// deadline; then their context is cancelled (a send in progress is left
// pending, never marked sent unless the server accepted it).
func (d *Daemon) shutdown() {
	d.log.Info("shutting down: finishing the work in flight")
	waited := make(chan struct{})
	go func() {
		d.stopCron()
		d.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-time.After(ShutdownDeadline):
		d.log.Warn("shutdown deadline passed, cancelling the work in flight")
		d.cancelJobs()
		<-waited
	}
	d.log.Info("stopped")
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
