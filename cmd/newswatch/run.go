package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/robfig/cron/v3"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/ingest"
	"newswatch/store"
)

// Deadlines of the daemon's jobs, so a hung job cannot starve later ticks,
// and of the shutdown wait for the job in flight.
const (
	fetchDeadline    = 10 * time.Minute
	digestDeadline   = 15 * time.Minute
	shutdownDeadline = 30 * time.Second
	retryEvery       = "@every 1m"
	// retrySharedEvery: on a shared database, a message left by a daemon
	// that died mid-send is taken over soon after its lease expires.
	retrySharedEvery = "@every 5s"
	pruneSchedule    = "30 3 * * *" // and at start-up
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	e.daemon = true
	if _, err := e.parse(e.flags("run"), args); err != nil {
		return err
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	// On SQLite one daemon runs per database; on PostgreSQL the lock is a
	// no-op and daemons share the work (store.Claim, store.Lease).
	release, err := a.st.LockDaemon()
	if err != nil {
		a.Close()
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w: stop the other `newswatch run` first (fetch, send, check and preview may run beside it; on PostgreSQL several daemons may share one database)", err)
		}
		return err
	}
	d := newDaemon(e, a)
	err = d.serve(ctx)
	release()
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}

// daemon runs the schedules of the current configuration.
type daemon struct {
	env     *env
	log     *slog.Logger
	metrics *metrics

	mu   sync.Mutex // guards app and cron
	app  *app
	cron *cron.Cron

	// jobs is the context jobs run under: it outlives the signal so work in
	// flight can finish, and is cancelled when the shutdown deadline passes.
	jobs       context.Context
	cancelJobs context.CancelFunc
	wg         sync.WaitGroup

	fetchMu  sync.Mutex // guards inflight
	inflight chan struct{}

	healthMu sync.Mutex
	rounds   []int // successful sources in each of the last fetch rounds

	beforeFetch func() // test hook: runs at the start of each fetch job
}

func newDaemon(e *env, a *app) *daemon {
	jobs, cancel := context.WithCancel(context.Background())
	return &daemon{env: e, log: e.log, app: a, metrics: newMetrics(), jobs: jobs, cancelJobs: cancel}
}

func (d *daemon) current() *app {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.app
}

func (d *daemon) serve(ctx context.Context) error {
	defer d.cancelJobs()
	if err := d.schedule(d.current()); err != nil {
		return usageError{err}
	}
	if srv, err := d.listen(d.current().cfg.Listen); err != nil {
		return err
	} else if srv != nil {
		defer srv.Close()
	}
	if cfg := d.current().cfg; cfg.Web != nil {
		srv, bound, err := startConsole(cfg, d.current().st, cfg.Web.Listen, d.env)
		if err != nil {
			return err
		}
		defer srv.Close()
		d.log.Info("serving the web console", "addr", bound.String())
	}
	d.log.Info("daemon started", "config", d.current().cfg.Path, "sources", len(d.current().cfg.Sources), "digests", len(d.current().cfg.Digests))
	d.startup()

	reload := make(chan struct{}, 1)
	stopWatch := d.watch(ctx, reload)
	defer stopWatch()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	for {
		select {
		case <-ctx.Done():
			return d.shutdown()
		case <-hup:
			d.reload()
		case <-reload:
			d.reload()
		}
	}
}

// startup delivers what was left pending and catches up on digests whose
// slot passed while the daemon was down: one digest for the whole missed
// window, never one per missed slot.
func (d *daemon) startup() {
	d.goJob(func() {
		a := d.current()
		ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
		defer cancel()
		d.deliver(ctx, a, true)
		now := a.now()
		for _, dg := range a.cfg.Digests {
			last, ok, err := a.st.LastSlot(ctx, dg.Name)
			if err != nil {
				d.log.Error("catch-up: read last slot", "digest", dg.Name, "error", err)
				continue
			}
			if !ok {
				continue
			}
			if slot, missed := dg.Timetable.Prev(last, now); missed {
				d.log.Info("catching up on a missed digest", "digest", dg.Name, "slot", slot, "last_slot", last)
				d.digestJob(dg.Name, slot)
			}
		}
		d.pruneJob()
	})
}

// goJob runs f as tracked work that shutdown waits for.
func (d *daemon) goJob(f func()) {
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
func (d *daemon) schedule(a *app) error {
	logger := cronLogger{d.log}
	c := cron.New(
		cron.WithLocation(a.cfg.Location),
		// Skip outside Recover: robfig's SkipIfStillRunning hands its token
		// back only when the job returns, so a panic passing through it
		// would skip that job forever (TestDaemonJobPanics).
		cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)),
		cron.WithLogger(logger),
	)
	c.Schedule(a.cfg.FetchTimetable, d.tracked(func() { d.fetchJob() }))
	for _, dg := range a.cfg.Digests {
		name, tt := dg.Name, dg.Timetable
		c.Schedule(dg.Timetable, d.tracked(func() { d.digestJob(name, slotOf(a, tt)) }))
	}
	every := retryEvery
	if a.st.Shared() {
		every = retrySharedEvery
	}
	retry, err := config.ParseSchedule(every, a.cfg.Location)
	if err != nil {
		return err
	}
	c.Schedule(retry, d.tracked(func() {
		ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
		defer cancel()
		d.deliver(ctx, d.current(), false)
	}))
	prune, err := config.ParseSchedule(pruneSchedule, a.cfg.Location)
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
func (d *daemon) tracked(f func()) cron.Job {
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
func slotOf(a *app, tt *config.Schedule) time.Time {
	if a.st.Shared() {
		return tt.Slot(a.now())
	}
	return a.now().Truncate(time.Second)
}

// pruneJob keeps the database from growing without bound (app.prune).
func (d *daemon) pruneJob() {
	ctx, cancel := context.WithTimeout(d.jobs, fetchDeadline)
	defer cancel()
	d.current().prune(ctx, d.log)
}

func (d *daemon) fetchJob() {
	if d.beforeFetch != nil {
		d.beforeFetch()
	}
	deadline := fetchDeadline
	if t := d.current().cfg.FetchTimeout; t > 0 {
		deadline = t
	}
	ctx, cancel := context.WithTimeout(d.jobs, deadline)
	defer cancel()
	a := d.current()
	d.sharedFetch(ctx, slotOf(a, a.cfg.FetchTimetable))
}

// sharedFetch fetches every source, or, when a fetch is already running,
// waits for that one: never two fetches at once. On a shared database it
// fetches, for slot, the sources no other daemon fetches, and returns once
// each was fetched by one of them (ingest.RunShared).
func (d *daemon) sharedFetch(ctx context.Context, slot time.Time) {
	d.fetchMu.Lock()
	if ch := d.inflight; ch != nil {
		d.fetchMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return
	}
	ch := make(chan struct{})
	d.inflight = ch
	d.fetchMu.Unlock()
	defer func() {
		d.fetchMu.Lock()
		d.inflight = nil
		d.fetchMu.Unlock()
		close(ch)
	}()

	a := d.current()
	report := func(o ingest.Outcome) {
		logOutcome(d.log, o, slog.LevelWarn, slog.LevelInfo)
		d.metrics.observeSource(o)
	}
	var (
		sum ingest.Summary
		err error
	)
	if a.st.Shared() {
		sum, err = a.ingest.RunShared(ctx, a.cfg.Sources, slot, report)
	} else {
		sum, err = a.ingest.Run(ctx, a.cfg.Sources, report)
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
	if sum.Sources > 0 || !a.st.Shared() {
		d.noteRound(sum.Sources - sum.Failed)
	}
	d.log.Info("fetch done", "sources", sum.Sources, "failed", sum.Failed, "new_items", sum.New,
		"new_matches", sum.Matches, "duration", sum.Elapsed.Round(time.Millisecond))
}

// digestJob fetches, then composes the digest for slot and delivers it.
func (d *daemon) digestJob(name string, slot time.Time) {
	ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
	defer cancel()
	d.sharedFetch(ctx, slot)
	a := d.current()
	specs, err := a.specs([]string{name})
	if err != nil {
		d.log.Info("digest no longer configured", "digest", name)
		return
	}
	log := d.log.With("digest", name)
	if !a.st.Shared() {
		if d.compose(ctx, a, specs[0], slot, log) {
			d.deliver(ctx, a, false)
		}
		return
	}
	// One daemon composes the slot; the others wait until it is done, and
	// take it over should that daemon die first.
	lease := []string{"digest:" + name}
	for {
		claimed, busy, err := a.st.Claim(ctx, lease, slot, 1)
		if err != nil {
			log.Error("claim the digest slot", "slot", slot, "error", err)
			return
		}
		if len(claimed) == 0 && busy == 0 {
			log.Debug("digest slot composed by another daemon", "slot", slot)
			break
		}
		if len(claimed) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		stop := a.st.HoldClaims(ctx, lease)
		done := d.compose(ctx, a, specs[0], slot, log)
		stop()
		if !done {
			return // the claim expires: another daemon tries again
		}
		if err := a.st.Finish(ctx, lease, slot); err != nil {
			log.Error("finish the digest slot", "slot", slot, "error", err)
		}
		break
	}
	d.deliver(ctx, a, false)
}

// compose puts the digest of spec for slot in the outbox; done is false
// when it failed (logged), true when it was recorded, had nothing to
// send, or was recorded by another process.
func (d *daemon) compose(ctx context.Context, a *app, spec digest.Spec, slot time.Time, log *slog.Logger) (done bool) {
	start := time.Now()
	dr, err := a.composer.Compose(ctx, spec, slot, a.now())
	if err != nil {
		log.Error("compose", "error", err)
		return false
	}
	if dr.Empty && !spec.SendEmpty {
		log.Info("digest skipped: nothing new", "slot", slot)
		// The slot is done: after a restart, catching up must not find it
		// due and mail later stories off schedule.
		if err := a.st.RecordEmpty(ctx, spec.Name, slot); err != nil {
			log.Error("record empty slot", "error", err)
			return false
		}
		return true
	}
	if err := a.composer.Record(ctx, &dr); err != nil {
		if errors.Is(err, store.ErrSlotTaken) {
			log.Info("digest slot already recorded", "slot", slot)
			return true
		}
		if errors.Is(err, store.ErrClaimed) {
			log.Info("items claimed by a concurrent send", "slot", slot)
			return true
		}
		log.Error("record", "error", err)
		return false
	}
	log.Info("digest composed", "slot", slot, "stories", dr.View.Count, "items", len(dr.Message.ItemIDs),
		"duration", time.Since(start).Round(time.Millisecond))
	return true
}

// deliver sends the due messages of the outbox; immediate ignores backoff.
func (d *daemon) deliver(ctx context.Context, a *app, immediate bool) {
	rep, err := a.deliverAll(ctx, deliver.RetryPolicy{Immediate: immediate, Logger: d.log})
	if err != nil {
		d.log.Error("deliver", "error", err)
	}
	d.metrics.observeDelivery(rep)
}

// reload reads the configuration file again; an invalid edit keeps the
// running configuration.
func (d *daemon) reload() {
	old := d.current()
	cfg, wl, tmpl, err := loadConfig(old.cfg.Path)
	if err != nil {
		d.log.Error("config reload rejected, keeping the running configuration", "error", err)
		d.metrics.reloads.WithLabelValues("rejected").Inc()
		return
	}
	if cfg.Database != old.cfg.Database {
		d.log.Warn("config reload: a new database takes effect on restart", "database", store.Redact(cfg.Database))
		cfg.Database = old.cfg.Database
	}
	a := newApp(cfg, wl, tmpl, old.st, old.now)
	if err := d.schedule(a); err != nil {
		d.log.Error("config reload rejected, keeping the running configuration", "error", err)
		d.metrics.reloads.WithLabelValues("rejected").Inc()
		return
	}
	d.metrics.reloads.WithLabelValues("applied").Inc()
	d.log.Info("config reloaded", "sources", len(cfg.Sources), "companies", len(cfg.Companies), "digests", len(cfg.Digests))
}

// watch reports edits of the config file on reload. Editors often replace the
// file, so the folder is watched and events are filtered by name; a burst
// of events becomes one reload.
func (d *daemon) watch(ctx context.Context, reload chan<- struct{}) func() {
	path := d.current().cfg.Path
	w, err := fsnotify.NewWatcher()
	if err != nil {
		d.log.Warn("config watch unavailable, use SIGHUP to reload", "error", err)
		return func() {}
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		d.log.Warn("config watch unavailable, use SIGHUP to reload", "error", err)
		w.Close()
		return func() {}
	}
	last := d.current().cfg.Sum // the content acted on last
	done := make(chan struct{})
	go func() {
		defer close(done)
		var debounce <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				// The file itself written or replaced, or any entry of its
				// folder created or renamed: a symlinked config (a
				// Kubernetes ConfigMap) changes by a swap of the link it
				// points through, which fsnotify reports only under that
				// link's name.
				if filepath.Clean(ev.Name) == path && ev.Op&fsnotify.Write != 0 || ev.Op&(fsnotify.Create|fsnotify.Rename) != 0 {
					debounce = time.After(200 * time.Millisecond)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				d.log.Warn("config watch", "error", err)
			case <-debounce:
				debounce = nil
				sum := fileSum(path)
				if sum == last || sum == d.current().cfg.Sum {
					continue // the folder changed, not the file; or SIGHUP reloaded it
				}
				last = sum
				select {
				case reload <- struct{}{}:
				default:
				}
			}
		}
	}()
	return func() { w.Close(); <-done }
}

// fileSum is the SHA-256 of the file at path (through symlinks), or zero
// when it cannot be read.
func fileSum(path string) [sha256.Size]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(data)
}

// shutdown stops new jobs and waits for the ones in flight up to the
// deadline; then their context is cancelled (a send in progress is left
// pending, never marked sent unless the server accepted it).
func (d *daemon) shutdown() error {
	d.mu.Lock()
	c := d.cron
	d.mu.Unlock()
	d.log.Info("shutting down: finishing the work in flight")
	stopped := c.Stop()
	waited := make(chan struct{})
	go func() {
		<-stopped.Done()
		d.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-time.After(shutdownDeadline):
		d.log.Warn("shutdown deadline passed, cancelling the work in flight")
		d.cancelJobs()
		<-waited
	}
	d.log.Info("stopped")
	return nil
}

func (d *daemon) noteRound(ok int) {
	d.healthMu.Lock()
	defer d.healthMu.Unlock()
	d.rounds = append(d.rounds, ok)
	if len(d.rounds) > 3 {
		d.rounds = d.rounds[len(d.rounds)-3:]
	}
}

// healthy is false when no source succeeded in the last three fetches.
func (d *daemon) healthy() bool {
	d.healthMu.Lock()
	defer d.healthMu.Unlock()
	if len(d.rounds) < 3 {
		return true
	}
	for _, n := range d.rounds {
		if n > 0 {
			return true
		}
	}
	return false
}

// listen serves /healthz and /metrics on addr when set.
func (d *daemon) listen(addr string) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s (config key listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", d.serveHealth)
	mux.Handle("/metrics", d.metrics.handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server", "error", err)
		}
	}()
	d.log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	return srv, nil
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
