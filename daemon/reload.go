package daemon

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"newswatch/app"
	"newswatch/deliver"
	"newswatch/model"
	"newswatch/store"
)

// reload reads the configuration file again; an invalid edit keeps the
// running configuration.
func (d *Daemon) reload() {
	old := d.current()
	s, err := app.Load(old.Config.Path)
	if err != nil {
		d.log.Error("config reload rejected, keeping the running configuration", "error", err)
		d.metrics.observeReload("rejected")
		return
	}
	if s.Config.Database != old.Config.Database {
		d.log.Warn("config reload: a new database takes effect on restart", "database", store.Redact(s.Config.Database))
		s.Config.Database = old.Config.Database
	}
	a := app.New(s, old.Store, old.Now)
	a.SenderOptions = old.SenderOptions
	if err := d.schedule(a); err != nil {
		d.log.Error("config reload rejected, keeping the running configuration", "error", err)
		d.metrics.observeReload("rejected")
		return
	}
	d.metrics.observeReload("applied")
	d.metrics.forget(old.Config.Sources, s.Config.Sources)
	d.log.Info("config reloaded", "sources", len(s.Config.Sources), "companies", len(s.Config.Companies), "digests", len(s.Config.Digests))
	d.retryHeld(a)
}

// retryHeld tries at once the digests held back by the mail settings
// (model.Message.Held), rather than at their next attempt up to an hour
// away: the edit just applied may be the fix. One still refused is held
// again, as after any try.
func (d *Daemon) retryHeld(a *app.App) {
	d.goJob(func() {
		ctx, cancel := context.WithTimeout(d.jobs, digestDeadline)
		defer cancel()
		pending, err := a.Store.Messages(ctx, model.MessagePending)
		if err != nil {
			d.log.Error("config reload: read the outbox", "error", err)
			return
		}
		n := 0
		for _, m := range pending {
			if m.Held {
				n++
			}
		}
		if n == 0 {
			return
		}
		d.log.Info("config reloaded: retrying the digests held back by the mail settings", "digests", n)
		d.deliver(ctx, a, deliver.RetryPolicy{Held: true})
	})
}

// watch reports edits of the config file on reload. Editors often replace the
// file, so the folder is watched and events are filtered by name; a burst
// of events becomes one reload.
func (d *Daemon) watch(ctx context.Context, reload chan<- struct{}) func() {
	path := d.current().Config.Path
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
	last := d.current().Config.Sum // the content acted on last
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
				changed := sum != last && sum != d.current().Config.Sum
				if changed { // else the folder changed, not the file; or SIGHUP reloaded it
					last = sum
					select {
					case reload <- struct{}{}:
					default:
					}
				}
				if d.afterDebounce != nil {
					d.afterDebounce(changed)
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
