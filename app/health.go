package app

import (
	"context"
	"errors"
	"fmt"

	"newswatch/config"
	"newswatch/model"
	"newswatch/store"
)

// ErrEverySourceFailed is the error of a fetch (and of status -q) where
// every source failed: commands exit non-zero on it, so that cron
// monitoring sees an outage.
var ErrEverySourceFailed = errors.New("every source failed: see the errors above and `newswatch status`")

// timeLayout is how times are written in messages: in the configuration's
// zone, to the minute.
const timeLayout = "2006-01-02 15:04 MST"

// ErrHeld is wrapped by Unhealthy's error for a digest held back by the
// mail settings (model.Message.Held).
var ErrHeld = errors.New("held until the mail settings are fixed")

// Unhealthy is status -q's verdict: an error when configured sources were
// fetched but none worked in its last run, when fetches are no longer recorded
// (SaveProblem), when a configured digest is held back by the mail
// settings (wrapping ErrHeld), or when a digest failed for good.
//
// A failure is forgotten once a later digest went through: the mail of the
// same digest, or the same channel of it.
func (a *App) Unhealthy(ctx context.Context, hs []store.Health, msgs []model.Message, dels []model.Delivery) error {
	// Only the sources fetched now count: a removed or paused one's last
	// run, failed or not, says nothing of the fetches to come.
	enabled := make(map[string]bool, len(a.Config.Sources))
	for _, src := range a.Config.Sources {
		enabled[src.Name] = true
	}
	fetched, worked := false, false
	for _, h := range hs {
		if enabled[h.Source] {
			fetched = true
			worked = worked || h.LastStatus != model.StatusError
		}
	}
	if fetched && !worked {
		return ErrEverySourceFailed
	}
	if err := a.SaveProblem(hs, a.Now()); err != nil {
		return err
	}
	mask := config.DeliveryMask(a.Config)
	for _, m := range msgs {
		if m.Status == model.MessagePending && m.Held && a.Configured(m.Digest, "") {
			return fmt.Errorf("digest %q of %s: %w: %s", m.Digest, m.Slot.In(a.Config.Location).Format(timeLayout), ErrHeld, mask(m.LastError))
		}
	}
	for _, m := range msgs {
		if m.Status != model.MessageFailed || !a.Configured(m.Digest, "") {
			continue // a digest renamed or removed since: nothing to repair
		}
		last, ok, err := a.Store.LastSent(ctx, m.Digest)
		if err != nil {
			return err
		}
		if !ok || !last.Slot.After(m.Slot) {
			return fmt.Errorf("digest %q of %s failed for good: %s", m.Digest, m.Slot.In(a.Config.Location).Format(timeLayout), mask(m.LastError))
		}
	}
	for _, d := range dels {
		if d.Status != model.MessageFailed || !a.Configured(d.Message.Digest, d.Key) {
			continue // the URL was corrected or removed since
		}
		last, ok, err := a.Store.LastDelivered(ctx, d.Message.Digest, d.Key)
		if err != nil {
			return err
		}
		if !ok || !last.After(d.Message.Slot) {
			return fmt.Errorf("digest %q of %s failed for good through %s: %s", d.Message.Digest, d.Message.Slot.In(a.Config.Location).Format(timeLayout), d.Channel, mask(d.LastError))
		}
	}
	return nil
}

// Status is what the outbox and the sources' health hold now, as `status`
// and /healthz show it.
type Status struct {
	Health     []store.Health
	Messages   []model.Message  // pending and failed digests
	Deliveries []model.Delivery // pending and failed deliveries to notify channels
}

// Status reads the sources' health and the pending and failed digests and
// channel deliveries.
func (a *App) Status(ctx context.Context) (Status, error) {
	var (
		st  Status
		err error
	)
	if st.Health, err = a.Store.Health(ctx); err != nil {
		return st, err
	}
	if st.Messages, err = a.Store.Messages(ctx, model.MessagePending, model.MessageFailed); err != nil {
		return st, err
	}
	st.Deliveries, err = a.Store.Deliveries(ctx, model.MessagePending, model.MessageFailed)
	return st, err
}

// SourceConfigured says whether the source name is in the configuration,
// enabled or paused.
func (a *App) SourceConfigured(name string) bool {
	for _, list := range [][]config.Source{a.Config.Sources, a.Config.PausedSources} {
		for _, src := range list {
			if src.Name == name {
				return true
			}
		}
	}
	return false
}

// ConfiguredOnly is st with only what the configuration has: the health of
// its sources (paused ones too), the messages of its digests and the
// deliveries to their notify channels. A source, digest or channel
// removed or renamed keeps its rows in the database; /healthz leaves them
// out, so that a monitor is not told of errors nothing will ever retry.
func (a *App) ConfiguredOnly(st Status) Status {
	out := Status{Health: []store.Health{}, Messages: []model.Message{}, Deliveries: []model.Delivery{}}
	for _, h := range st.Health {
		if a.SourceConfigured(h.Source) {
			out.Health = append(out.Health, h)
		}
	}
	for _, m := range st.Messages {
		if a.Configured(m.Digest, "") {
			out.Messages = append(out.Messages, m)
		}
	}
	for _, d := range st.Deliveries {
		if a.Configured(d.Message.Digest, d.Key) {
			out.Deliveries = append(out.Deliveries, d)
		}
	}
	return out
}
