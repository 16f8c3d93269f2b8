package digest

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// Spec is what one digest covers, from its [[digests]] entry.
type Spec struct {
	Name      string
	To        []string
	Companies []string // empty: all
	Topics    []string // empty: all
	SendEmpty bool
	Location  *time.Location
	// MaxStories caps the stories shown in full; the others are listed
	// by title. 0: no cap.
	MaxStories int
	// Channels are the digest's notify channels; with any, the message
	// carries its JSON document.
	Channels []model.Channel
}

// Composer builds digests from the stored items.
type Composer struct {
	// Console is the web console's public base URL ([web] url), "" for
	// none: the HTML part then links each story's "not relevant?" and
	// "all stories" to it.
	Console   string
	Store     *store.Store
	Watchlist *match.Watchlist
	Templates *Templates
	MaxAge    time.Duration
	Sources   []string // configured source names, for the health footer
	Domain    string   // right-hand side of Message-IDs
	// Mask hides the secrets of source's URLs in an error recorded for
	// it before the footer shows it: a failure an older newswatch stored
	// unmasked is still in the footer's window. Masking a masked error
	// again must change nothing. nil shows errors as recorded.
	Mask func(source, text string) string
	// MaskDelivery hides the secrets of every configured URL, source and
	// notify, in an error recorded for a delivery (a digest's mail or a
	// channel) before the footer shows it: a server or a receiver may
	// quote any of them, and the footer goes to every reader. Masking a
	// masked error again must change nothing. nil shows errors as
	// recorded.
	MaskDelivery func(text string) string
}

// Draft is a composed digest, not yet recorded in the outbox.
type Draft struct {
	Message model.Message
	View    View
	Empty   bool // nothing matched
}

// windowMargin is how far a digest's window reaches back before the previous
// digest's cut-off, so an item committed while that digest was composed is
// still seen; claims keep such items from being sent twice. The store keeps
// its side of this: a save commits within 15 s of stamping its items, or
// stamps them again (store/group.go, "First-seen order").
const windowMargin = time.Minute

// Compose selects the items the digest has not covered yet, groups them
// into stories and renders the message for slot. It records nothing.
func (c *Composer) Compose(ctx context.Context, spec Spec, slot, now time.Time) (Draft, error) {
	windowStart, entries, err := c.selectEntries(ctx, spec, now)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	health, err := c.health(ctx, spec, windowStart, now)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	var earlier []entry
	var history []string
	if len(entries) > 0 {
		if earlier, history, err = c.background(ctx, spec, entries, now); err != nil {
			return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
		}
	}
	v, err := buildView(ctx, spec, entries, earlier, history, now)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	v.Health = health
	c.consoleLinks(&v, windowStart)
	text, html, err := c.Templates.renderWithin(&v, htmlBudget)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	d := c.draft(spec, slot, now, v, entries, text, html)
	if len(spec.Channels) > 0 {
		doc, err := NewDocument(d.View, d.Message).Marshal()
		if err != nil {
			return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
		}
		d.Message.Doc = string(doc)
	}
	return d, nil
}

// consoleLinks points the digest at the web console, when there is one:
// its home and the matched items of the digest's window.
func (c *Composer) consoleLinks(v *View, windowStart time.Time) {
	if c.Console == "" {
		return
	}
	v.Console = c.Console
	v.AllStories = c.Console + "/search?" + url.Values{"matched": {"1"}, "since": {windowStart.UTC().Format(time.RFC3339)}}.Encode()
	if windowStart.IsZero() {
		v.AllStories = c.Console + "/search?matched=1"
	}
}

// draft is the pending message of the rendered view v, claiming entries.
func (c *Composer) draft(spec Spec, slot, now time.Time, v View, entries []entry, text, html string) Draft {
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.item.ID
	}
	return Draft{
		Message: model.Message{
			Digest:       spec.Name,
			Slot:         slot,
			MessageID:    MessageID(spec.Name, slot, c.Domain),
			Subject:      v.Subject,
			To:           spec.To,
			Text:         text,
			HTML:         html,
			Status:       model.MessagePending,
			Created:      now,
			CoveredUntil: now,
			ItemIDs:      ids,
			Channels:     spec.Channels,
		},
		View:  v,
		Empty: len(entries) == 0,
	}
}

// Record puts a composed digest in the outbox, claiming its items. It
// returns store.ErrSlotTaken when the slot was already recorded.
func (c *Composer) Record(ctx context.Context, d *Draft) error {
	if err := c.Store.CreateMessage(ctx, &d.Message); err != nil {
		return fmt.Errorf("digest %q: record: %w", d.Message.Digest, err)
	}
	return nil
}

// MessageID is the stable Message-ID of a digest's slot, built on the
// digest's identity [config.Slug] (validation keeps it unique).
func MessageID(name string, slot time.Time, domain string) string {
	if domain == "" {
		domain = "newswatch.invalid"
	}
	return fmt.Sprintf("<%s.%d@%s>", config.Slug(name), slot.Unix(), domain)
}
