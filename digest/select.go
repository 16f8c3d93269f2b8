package digest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// updateLookback is how far back a digest looks for the stories it has
// delivered, so a new report of one is shown as an update of it: a story
// spans at most 48 h (see package story).
const updateLookback = 48 * time.Hour

// History around a digest: the stored items of the last historySpan, at
// most historyLimit of them (the newest), weigh the words that group
// stories.
const (
	historySpan  = 72 * time.Hour
	historyLimit = 5000
)

// history returns the headline and summary of the stored items of the
// days before now, the digest's own items left out.
func (c *Composer) history(ctx context.Context, entries, earlier []entry, now time.Time) ([]string, error) {
	items, err := c.Store.Headlines(ctx, now.Add(-historySpan), historyLimit)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	own := map[int64]bool{}
	for _, e := range slices.Concat(entries, earlier) {
		own[e.item.ID] = true
	}
	var out []string
	for _, it := range items {
		if own[it.ID] {
			continue
		}
		t := match.ItemText(it.Title, it.Summary, "", "")
		out = append(out, t.Title+"\n"+t.Body)
	}
	return out, nil
}

// entry is a relevant item with its best hit for this digest.
type entry struct {
	item  model.Item
	text  match.Text
	hit   match.Hit
	other []string // further companies the item is relevant for
}

// relevant returns the items relevant for the digest.
func (c *Composer) relevant(spec Spec, items []model.Item) []entry {
	var out []entry
	for _, it := range items {
		if e, ok := c.entryOf(spec, it, nil); ok {
			out = append(out, e)
		}
	}
	return out
}

// entryOf is item it as an entry of the digest, when relevant for it: its
// best hit and the further companies it is relevant for, leaving out
// those it was marked not relevant for (marked).
func (c *Composer) entryOf(spec Spec, it model.Item, marked []string) (entry, bool) {
	return c.entryFor(spec, it, match.ItemText(it.Title, it.Summary, it.Content, it.Body), marked)
}

// entryFor is entryOf for an item whose text is prepared already.
func (c *Composer) entryFor(spec Spec, it model.Item, text match.Text, marked []string) (entry, bool) {
	var e *entry
	for _, h := range c.Watchlist.Match(text) {
		if !spec.wants(h) || slices.Contains(marked, h.Company) {
			continue
		}
		if e == nil {
			e = &entry{item: it, text: text, hit: h}
			continue
		}
		e.other = append(e.other, h.Company)
	}
	if e == nil {
		return entry{}, false
	}
	return *e, true
}

func (s Spec) wants(h match.Hit) bool {
	if len(s.Companies) > 0 && !slices.Contains(s.Companies, h.Company) {
		return false
	}
	if len(s.Topics) == 0 {
		return true
	}
	for _, t := range h.Topics {
		if slices.Contains(s.Topics, t) {
			return true
		}
	}
	return false
}

// selectEntries returns the start of the digest's window (zero for its
// first message) and the relevant items it has not covered yet: changed
// since the window started, within max_age, not claimed by a message of
// the digest, and not marked not relevant for their company.
func (c *Composer) selectEntries(ctx context.Context, spec Spec, now time.Time) (time.Time, []entry, error) {
	var windowStart time.Time
	last, ok, err := c.Store.LastSent(ctx, spec.Name)
	if err != nil {
		return time.Time{}, nil, err
	}
	if ok {
		windowStart = last.CoveredUntil.Add(-windowMargin)
	}
	// The window may hold every item of a day of thousands of feeds: each
	// is matched as it is read, and only the relevant ones are kept.
	var entries []entry
	err = c.Store.EachItem(ctx, store.ItemQuery{
		ChangedAfter: windowStart,
		Since:        Oldest(now, c.MaxAge),
		UnclaimedBy:  spec.Name,
		ReleasedBy:   spec.Name,
	}, func(it model.Item) error {
		if e, ok := c.entryOf(spec, it, nil); ok {
			// The digest reads the prepared text from here on: the
			// item's own is not kept twice.
			e.item.Summary, e.item.Content, e.item.Body = "", "", ""
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("select items: %w", err)
	}
	// An item marked not relevant for a company is not about it: that
	// company's hit is left out, the others' kept.
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.item.ID
	}
	marks, err := c.Store.NotRelevant(ctx, ids)
	if err != nil {
		return time.Time{}, nil, err
	}
	kept := entries[:0]
	for _, e := range entries {
		if m := marks[e.item.ID]; len(m) > 0 {
			var ok bool
			if e, ok = c.entryFor(spec, e.item, e.text, m); !ok {
				continue
			}
		}
		kept = append(kept, e)
	}
	return windowStart, kept, nil
}

// background returns what the digest's entries are grouped against: the
// relevant items the digest delivered in the last updateLookback (a new
// report of one of their stories is an update) and the stored history
// that weighs words.
func (c *Composer) background(ctx context.Context, spec Spec, entries []entry, now time.Time) ([]entry, []string, error) {
	delivered, err := c.Store.Delivered(ctx, spec.Name, now.Add(-updateLookback))
	if err != nil {
		return nil, nil, err
	}
	earlier := c.relevant(spec, delivered)
	history, err := c.history(ctx, entries, earlier, now)
	if err != nil {
		return nil, nil, err
	}
	return earlier, history, nil
}
