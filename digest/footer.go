package digest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"newswatch/model"
)

// health is the footer of spec's digest: how the sources fared since the
// last digest (24 hours for a first one), and the digests of spec that
// failed or are still held since then.
func (c *Composer) health(ctx context.Context, spec Spec, since, now time.Time) (HealthView, error) {
	window := "since the last digest"
	if since.IsZero() {
		since, window = now.Add(-24*time.Hour), "in the last 24 hours"
	}
	format := func(t time.Time) string { return t.In(spec.Location).Format("Mon 2 Jan 15:04") }
	hv, err := c.sources(ctx, since, window, format)
	if err != nil {
		return HealthView{}, err
	}
	if hv.FailedDigests, err = c.failedDigests(ctx, spec.Name, since, format); err != nil {
		return HealthView{}, err
	}
	via, err := c.failedChannels(ctx, spec.Name, since, format)
	if err != nil {
		return HealthView{}, err
	}
	hv.FailedDigests = append(hv.FailedDigests, via...)
	return hv, nil
}

// sources fills the footer's summary, its failing sources and those that
// failed since and recovered: the reader should still learn that
// something was missing for a while.
func (c *Composer) sources(ctx context.Context, since time.Time, window string, format func(time.Time) string) (HealthView, error) {
	hs, err := c.Store.Health(ctx)
	if err != nil {
		return HealthView{}, fmt.Errorf("source health: %w", err)
	}
	var hv HealthView
	fine := 0
	failing := map[string]bool{}
	for _, h := range hs {
		if !c.configured(h.Source) {
			continue
		}
		if h.LastStatus == model.StatusError {
			failing[h.Source] = true
			hv.Failing = append(hv.Failing, FailingSource{Source: h.Source, Since: format(h.FailingSince), Error: c.sourceError(h.Source, h.LastError)})
			continue
		}
		if h.LastSuccess.After(since) {
			fine++
		}
	}
	runs, err := c.Store.SourceErrors(ctx, since)
	if err != nil {
		return HealthView{}, fmt.Errorf("source errors: %w", err)
	}
	recovered := map[string]int{} // source → index in hv.Recovered
	for _, r := range runs {
		if !c.configured(r.Source) || failing[r.Source] {
			continue
		}
		i, ok := recovered[r.Source]
		if !ok {
			i = len(hv.Recovered)
			recovered[r.Source] = i
			hv.Recovered = append(hv.Recovered, FailingSource{Source: r.Source, Since: format(r.Started)})
		}
		hv.Recovered[i].Error = c.sourceError(r.Source, r.Err) // runs come oldest first: the last one stays
		hv.Recovered[i].Failures++
	}
	hv.Summary = fmt.Sprintf("%d %s fetched fine %s", fine, plural(fine, "source", "sources"), window)
	if n := len(hv.Failing); n > 0 {
		hv.Summary += fmt.Sprintf("; %d failing", n)
	}
	hv.Summary += "."
	return hv, nil
}

// failedDigests lists the mail of the digest named name created since
// that failed, or was tried and is still pending (held back by a wrong
// password: it goes out once fixed).
func (c *Composer) failedDigests(ctx context.Context, name string, since time.Time, format func(time.Time) string) ([]FailedDigest, error) {
	failed, err := c.Store.Messages(ctx, model.MessageFailed, model.MessagePending)
	if err != nil {
		return nil, fmt.Errorf("failed digests: %w", err)
	}
	var out []FailedDigest
	for _, m := range failed {
		if m.Digest != name || m.Created.Before(since) || len(m.To) == 0 && len(m.Channels) > 0 {
			continue // another digest's (its readers may differ), or no mail: its channels are listed apart
		}
		why := c.deliveryError(m.LastError)
		if m.Status == model.MessagePending {
			if why == "" {
				continue // not tried yet
			}
			why = "kept in the outbox, not sent yet: " + why
		}
		out = append(out, FailedDigest{Name: m.Digest, Date: format(m.Slot), Error: why})
	}
	return out, nil
}

// sourceError is a source's recorded error as the footer shows it:
// masked, and without the source's name in front (the footer names the
// source already).
func (c *Composer) sourceError(source, err string) string {
	if c.Mask != nil {
		err = c.Mask(source, err)
	}
	return strings.TrimPrefix(err, fmt.Sprintf("source %q: ", source))
}

// deliveryError is a delivery's recorded error as the footer shows it:
// masked.
func (c *Composer) deliveryError(err string) string {
	if c.MaskDelivery != nil {
		err = c.MaskDelivery(err)
	}
	return err
}

func (c *Composer) configured(source string) bool {
	return len(c.Sources) == 0 || slices.Contains(c.Sources, source)
}
