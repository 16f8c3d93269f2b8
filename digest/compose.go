package digest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/digest/story"
	"newswatch/internal/safetext"
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
}

// Draft is a composed digest, not yet recorded in the outbox.
type Draft struct {
	Message model.Message
	View    View
	Empty   bool // nothing matched
}

// windowMargin is how far a digest's window reaches back before the previous
// digest's cut-off, so an item committed while that digest was composed is
// still seen; claims keep such items from being sent twice.
const windowMargin = time.Minute

// snippetLen is the length of a story's snippet, in bytes of text.
const snippetLen = 300

// Compose selects the items the digest has not covered yet, groups them
// into stories and renders the message for slot. It records nothing.
func (c *Composer) Compose(ctx context.Context, spec Spec, slot, now time.Time) (Draft, error) {
	var windowStart time.Time
	last, ok, err := c.Store.LastSent(ctx, spec.Name)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	if ok {
		windowStart = last.CoveredUntil.Add(-windowMargin)
	}
	items, err := c.Store.Items(ctx, store.ItemQuery{
		ChangedAfter: windowStart,
		Since:        Oldest(now, c.MaxAge),
		UnclaimedBy:  spec.Name,
		ReleasedBy:   spec.Name,
	})
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: select items: %w", spec.Name, err)
	}
	// An item marked not relevant for a company is not about it: that
	// company's hit is left out, the others' kept.
	marks, err := c.Store.NotRelevant(ctx, itemIDs(items))
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	entries := c.relevant(spec, items, marks)
	health, err := c.health(ctx, spec, windowStart, now)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	var earlier []entry
	var history []string
	if len(entries) > 0 {
		delivered, err := c.Store.Delivered(ctx, spec.Name, now.Add(-updateLookback))
		if err != nil {
			return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
		}
		earlier = c.relevant(spec, delivered, nil)
		if history, err = c.history(ctx, entries, earlier, now); err != nil {
			return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
		}
	}
	v, err := buildView(ctx, spec, entries, earlier, history, now)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	v.Health = health
	if c.Console != "" {
		v.Console = c.Console
		v.AllStories = c.Console + "/search?" + url.Values{"matched": {"1"}, "since": {windowStart.UTC().Format(time.RFC3339)}}.Encode()
		if windowStart.IsZero() {
			v.AllStories = c.Console + "/search?matched=1"
		}
	}
	text, html, err := c.Templates.renderWithin(&v, htmlBudget)
	if err != nil {
		return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.item.ID
	}
	d := Draft{
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
	if len(spec.Channels) > 0 {
		doc, err := NewDocument(d.View, d.Message).Marshal()
		if err != nil {
			return Draft{}, fmt.Errorf("digest %q: %w", spec.Name, err)
		}
		d.Message.Doc = string(doc)
	}
	return d, nil
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

func itemIDs(items []model.Item) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}

// relevant returns the items relevant for the digest, leaving out the
// companies each item was marked not relevant for (marks, by item ID).
func (c *Composer) relevant(spec Spec, items []model.Item, marks map[int64][]string) []entry {
	var out []entry
	for _, it := range items {
		text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
		var e *entry
		for _, h := range c.Watchlist.Match(text) {
			if !spec.wants(h) || slices.Contains(marks[it.ID], h.Company) {
				continue
			}
			if e == nil {
				e = &entry{item: it, text: text, hit: h}
				continue
			}
			e.other = append(e.other, h.Company)
		}
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
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

func (c *Composer) health(ctx context.Context, spec Spec, since, now time.Time) (HealthView, error) {
	hs, err := c.Store.Health(ctx)
	if err != nil {
		return HealthView{}, fmt.Errorf("source health: %w", err)
	}
	window := "since the last digest"
	if since.IsZero() {
		since, window = now.Add(-24*time.Hour), "in the last 24 hours"
	}
	format := func(t time.Time) string { return t.In(spec.Location).Format("Mon 2 Jan 15:04") }
	var hv HealthView
	fine := 0
	failing := map[string]bool{}
	for _, h := range hs {
		if !c.configured(h.Source) {
			continue
		}
		if h.LastStatus == model.StatusError {
			failing[h.Source] = true
			hv.Failing = append(hv.Failing, FailingSource{Source: h.Source, Since: format(h.FailingSince), Error: sourceless(h.Source, h.LastError)})
			continue
		}
		if h.LastSuccess.After(since) {
			fine++
		}
	}
	// Sources that failed since the last digest but have recovered: the
	// reader should still learn that something was missing for a while.
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
		hv.Recovered[i].Error = sourceless(r.Source, r.Err) // runs come oldest first: the last one stays
		hv.Recovered[i].Failures++
	}
	hv.Summary = fmt.Sprintf("%d %s fetched fine %s", fine, plural(fine, "source", "sources"), window)
	if n := len(hv.Failing); n > 0 {
		hv.Summary += fmt.Sprintf("; %d failing", n)
	}
	hv.Summary += "."
	failed, err := c.Store.Messages(ctx, model.MessageFailed, model.MessagePending)
	if err != nil {
		return HealthView{}, fmt.Errorf("failed digests: %w", err)
	}
	for _, m := range failed {
		if m.Digest != spec.Name || m.Created.Before(since) || len(m.To) == 0 && len(m.Channels) > 0 {
			continue // another digest's (its readers may differ), or no mail: its channels are listed below
		}
		why := m.LastError
		if m.Status == model.MessagePending {
			if why == "" {
				continue // not tried yet
			}
			// Held back (a wrong password): it goes out once fixed.
			why = "kept in the outbox, not sent yet: " + why
		}
		hv.FailedDigests = append(hv.FailedDigests, FailedDigest{Name: m.Digest, Date: format(m.Slot), Error: why})
	}
	via, err := c.failedChannels(ctx, spec.Name, since, format)
	if err != nil {
		return HealthView{}, err
	}
	hv.FailedDigests = append(hv.FailedDigests, via...)
	return hv, nil
}

// sourceless is a source's recorded error without the source's name in
// front: the footer names the source already.
func sourceless(source, err string) string {
	return strings.TrimPrefix(err, fmt.Sprintf("source %q: ", source))
}

func (c *Composer) configured(source string) bool {
	return len(c.Sources) == 0 || slices.Contains(c.Sources, source)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func buildView(ctx context.Context, spec Spec, entries, earlier []entry, history []string, now time.Time) (View, error) {
	loc := spec.Location
	if loc == nil {
		loc = time.UTC
	}
	// The items an earlier digest delivered take part in the grouping, so
	// that a new report of a delivered story joins it as an update.
	all := slices.Concat(entries, earlier)
	cands := make([]story.Candidate, len(all))
	for i, e := range all {
		cands[i] = candidate(e)
	}
	groups, err := story.Group(ctx, cands, history)
	if err != nil {
		return View{}, fmt.Errorf("group stories: %w", err)
	}
	var ranked []rankedStory
	for _, group := range groups {
		r := rankedStory{}
		for _, idx := range group {
			if idx < len(entries) {
				r.fresh = append(r.fresh, idx)
			} else {
				r.old = append(r.old, idx)
			}
		}
		if len(r.fresh) == 0 {
			continue // delivered already, nothing new
		}
		r.rank, r.newest = storyRank(all, group, now)
		ranked = append(ranked, r)
	}
	slices.SortStableFunc(ranked, func(a, b rankedStory) int {
		return cmp.Or(cmp.Compare(b.rank, a.rank), b.newest.Compare(a.newest))
	})
	bySection := map[string][]StoryView{}
	var order []string
	var more []MoreView
	for n, r := range ranked {
		lead := all[r.fresh[0]]
		if spec.MaxStories > 0 && n >= spec.MaxStories {
			// Past the cap: listed by title, its items claimed all the
			// same, so the next digest is no bigger than the cap.
			more = append(more, MoreView{Title: shortTitle(lead.text.Title, lead.item.Link), Source: firstSource(lead.item)})
			continue
		}
		var sv StoryView
		if len(r.old) > 0 {
			sv = updateView(all, cands, r.fresh, r.old, loc, now)
		} else {
			sv = storyView(lead, loc, now)
			sv.Also, sv.Lines, sv.MoreOutlets = otherReports(all, cands, r.fresh, 0)
		}
		sv.Topics = storyTopics(all, slices.Concat(r.fresh, r.old))
		sv.Meta = sv.Source + " · " + sv.Time
		if len(sv.Topics) > 0 {
			sv.Meta += " · " + strings.Join(sv.Topics, ", ")
		}
		company := all[r.fresh[0]].hit.Company
		if sv.lead >= 0 {
			company = all[sv.lead].hit.Company
		}
		if _, ok := bySection[company]; !ok {
			order = append(order, company)
		}
		bySection[company] = append(bySection[company], sv)
	}
	v := View{Name: spec.Name, Date: now.In(loc).Format("Mon 2 Jan 2006"), More: more}
	for _, company := range order {
		stories := bySection[company]
		v.Sections = append(v.Sections, Section{Company: company, Stories: stories})
		v.Count += len(stories)
	}
	sort.SliceStable(v.Sections, func(i, j int) bool {
		a, b := v.Sections[i], v.Sections[j]
		if len(a.Stories) != len(b.Stories) {
			return len(a.Stories) > len(b.Stories)
		}
		return a.Company < b.Company
	})
	finishView(&v)
	v.Empty = v.Count == 0 && len(more) == 0
	v.Summary, v.Subject = summaryLines(spec.Name, now.In(loc), v)
	return v, nil
}

// finishView numbers the links in reading order and writes the folded
// stories' lines.
func finishView(v *View) {
	v.Links = numberLinks(v.Sections)
	for _, sec := range v.Sections {
		for i := range sec.Stories {
			if sv := &sec.Stories[i]; sv.Folded {
				sv.Line = foldedLine(*sv)
			}
		}
	}
}

// htmlBudget is the size of HTML part a digest aims to stay under: Gmail
// clips a message whose HTML passes 100 KB ("[Message clipped]").
const htmlBudget = 96 << 10

// shrinkSteps make a digest's mail smaller, one step at a time, until its
// HTML part fits the budget: shorter headlines under each lead, fewer of
// them linked in the HTML part (the text part keeps every link), no
// snippet in the HTML part, no "Matched" line, and last fewer outlets
// named per story (the rest counted). The JSON document is not affected.
var shrinkSteps = []func(*View){
	func(v *View) { shortenLines(v, 100) },
	func(v *View) { plainLines(v, 3) },
	func(v *View) { shortenLines(v, 60) },
	func(v *View) { plainLines(v, 0) },
	func(v *View) { forStories(v, func(sv *StoryView) { sv.Snippet = nil }) },
	func(v *View) { forStories(v, func(sv *StoryView) { sv.Reasons = "" }) },
	func(v *View) { limitLines(v, 5) },
	func(v *View) { limitLines(v, 3) },
	func(v *View) { limitLines(v, 1) },
	func(v *View) { limitLines(v, 0) },
}

// shortenLines cuts the headlines under each lead to n characters.
func shortenLines(v *View, n int) {
	forStories(v, func(sv *StoryView) {
		for i := range sv.Lines {
			sv.Lines[i].Title = safetext.Short(sv.Lines[i].Title, n)
		}
	})
}

// plainLines keeps the links of the first n lines of each story in the
// HTML part; the others name their outlets without links.
func plainLines(v *View, n int) {
	forStories(v, func(sv *StoryView) {
		for i := n; i < len(sv.Lines); i++ {
			sv.Lines[i].Plain = true
		}
	})
}

// renderWithin renders v, shrinking it (shrinkSteps) while its HTML part
// is larger than budget.
func (t *Templates) renderWithin(v *View, budget int) (text, html string, err error) {
	text, html, err = t.Render(*v)
	for _, step := range shrinkSteps {
		if err != nil || len(html) <= budget {
			break
		}
		step(v)
		finishView(v)
		text, html, err = t.Render(*v)
	}
	return text, html, err
}

func forStories(v *View, f func(*StoryView)) {
	for _, sec := range v.Sections {
		for i := range sec.Stories {
			f(&sec.Stories[i])
		}
	}
}

// limitLines names at most n outlets under each story's lead; the others
// are counted in MoreOutlets.
func limitLines(v *View, n int) {
	forStories(v, func(sv *StoryView) {
		named := 0
		var kept []LineView
		for _, l := range sv.Lines {
			keep := max(0, min(len(l.Outlets), n-named))
			sv.MoreOutlets += len(l.Outlets) - keep
			named += keep
			if keep > 0 {
				l.Outlets = l.Outlets[:keep]
				kept = append(kept, l)
			}
		}
		sv.Lines = kept
	})
}

// rankedStory is a story of the digest (indexes into its items) with its
// place in the reading order.
type rankedStory struct {
	fresh, old []int
	rank       float64
	newest     time.Time
}

// rankHalfLife is the age at which a story weighs half its outlets.
const rankHalfLife = 24 * time.Hour

// storyRank is how high a story stands: the outlets that carry it, halved
// for each day since its newest report, and that report's time.
func storyRank(all []entry, group []int, now time.Time) (float64, time.Time) {
	outlets := map[string]bool{}
	var newest time.Time
	for _, idx := range group {
		for _, src := range all[idx].item.Sources {
			outlets[src] = true
		}
		if t := itemTime(all[idx].item); t.After(newest) {
			newest = t
		}
	}
	age := max(0, now.Sub(newest))
	return float64(max(1, len(outlets))) * math.Exp2(-float64(age)/float64(rankHalfLife)), newest
}

// storyTopics is every topic the story's items matched, sorted.
func storyTopics(all []entry, items []int) []string {
	var out []string
	for _, idx := range items {
		out = append(out, all[idx].hit.Topics...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// maxAlso is the most outlets a story's mail lines name; the others are
// counted ("and 12 more outlets"), so that a story every outlet carries
// does not fill the mail. The JSON document lists every report.
const maxAlso = 10

// maxLineTitle is the most of another outlet's headline the mail shows,
// in characters.
const maxLineTitle = 160

// outletReport is one outlet's report of a story.
type outletReport struct {
	source, title, link string
	cand                story.Candidate
}

// reportsOf lists the reports of the items at idx: one per source of each
// item (an item carried by several feeds is one report of each).
func reportsOf(all []entry, cands []story.Candidate, idx []int) []outletReport {
	var out []outletReport
	for _, i := range idx {
		e := all[i]
		srcs := e.item.Sources
		if len(srcs) == 0 {
			srcs = []string{""}
		}
		for _, src := range srcs {
			out = append(out, outletReport{source: src, title: shortTitle(e.text.Title, e.item.Link), link: e.item.Link, cand: cands[i]})
		}
	}
	return out
}

// otherReports lists the reports of a story past its lead (items[lead]):
// every one of them for the JSON document, and for the mail the lines a
// reader sees under the lead: each outlet once, never the lead's own,
// reports that say the same as the lead or as another line folded into
// that line, at most maxAlso outlets named and the rest counted.
func otherReports(all []entry, cands []story.Candidate, items []int, lead int) (also []AlsoView, lines []LineView, more int) {
	leadItem := all[items[lead]].item
	leadCand := cands[items[lead]]
	// The lead's item first: its further sources carry the lead's own
	// headline.
	order := append([]int{items[lead]}, slices.Delete(slices.Clone(items), lead, lead+1)...)
	seen := map[string]bool{firstSource(leadItem): true}
	named := 0
	lineOf := func(c story.Candidate) int {
		return slices.IndexFunc(lines, func(l LineView) bool { return l.Title != "" && story.SameReport(l.cand, c) })
	}
	for _, r := range reportsOf(all, cands, order)[1:] {
		also = append(also, AlsoView{Source: r.source, Title: r.title, Link: r.link})
		again := seen[r.source]
		seen[r.source] = true
		if named >= maxAlso {
			if !again {
				more++
			}
			continue
		}
		sameAsLead := r.link == leadItem.Link || story.SameReport(leadCand, r.cand)
		line := -1
		if !sameAsLead {
			line = lineOf(r.cand)
		}
		o := OutletView{Source: r.source, Link: r.link}
		switch {
		case again:
			// An outlet is named once; its further report shows as a
			// follow-up line when it says something else.
			if sameAsLead || line >= 0 {
				continue
			}
			o.Source = ""
			lines = append(lines, LineView{Title: safetext.Short(r.title, maxLineTitle), Outlets: []OutletView{o}, cand: r.cand})
		case sameAsLead:
			lines = addToLine(lines, "", o)
		case line >= 0:
			lines[line].Outlets = append(lines[line].Outlets, o)
		default:
			lines = append(lines, LineView{Title: safetext.Short(r.title, maxLineTitle), Outlets: []OutletView{o}, cand: r.cand})
		}
		named++
	}
	return also, lines, more
}

// addToLine adds o to the line of the given title, made first when new.
func addToLine(lines []LineView, title string, o OutletView) []LineView {
	for i := range lines {
		if lines[i].Title == title {
			lines[i].Outlets = append(lines[i].Outlets, o)
			return lines
		}
	}
	return append([]LineView{{Title: title, Outlets: []OutletView{o}}}, lines...)
}

// candidate is what story grouping needs of an entry.
func candidate(e entry) story.Candidate {
	return story.Candidate{
		Key:       e.item.Key,
		Source:    firstSource(e.item),
		Title:     e.text.Title,
		Text:      e.text.Body,
		Companies: append([]string{e.hit.Company}, e.other...),
		Terms:     matchedTerms(e.hit),
		Published: itemTime(e.item),
		Score:     e.hit.Score,
	}
}

// matchedTerms is the topic terms h matched, each once.
func matchedTerms(h match.Hit) []string {
	var out []string
	for _, t := range h.Terms {
		if !slices.Contains(out, t.Term) {
			out = append(out, t.Term)
		}
	}
	return out
}

// updateView shows new reports (fresh, the best first) of a story an
// earlier digest delivered (old): "update · first reported Tue by Reuters
// · 5 outlets so far". The best new report that says something the
// delivered ones did not (story.Restates) leads it, with the other new
// reports under it; when every new report only restates what was
// delivered, the story is folded into one line under the title readers
// saw, with the new outlets.
func updateView(all []entry, cands []story.Candidate, fresh, old []int, loc *time.Location, now time.Time) StoryView {
	first := all[old[0]]
	outlets := map[string]bool{}
	var seen []story.Candidate
	delivered := map[string]bool{}
	for _, idx := range old {
		e := all[idx]
		if itemTime(e.item).Before(itemTime(first.item)) {
			first = e
		}
		seen = append(seen, cands[idx])
		for _, src := range e.item.Sources {
			delivered[src] = true
		}
	}
	news := -1
	for k, idx := range fresh {
		if !story.Restates(seen, cands[idx]) {
			news = k
			break
		}
	}
	for _, idx := range slices.Concat(old, fresh) {
		for _, src := range all[idx].item.Sources {
			outlets[src] = true
		}
	}
	when := itemTime(first.item).In(loc)
	update := fmt.Sprintf("first reported %s by %s · %d %s so far",
		when.Format("Mon"), firstSource(first.item), len(outlets), plural(len(outlets), "outlet", "outlets"))
	if news >= 0 {
		sv := storyView(all[fresh[news]], loc, now)
		sv.lead = fresh[news]
		sv.Update = update
		sv.Also, sv.Lines, sv.MoreOutlets = otherReports(all, cands, fresh, news)
		return sv
	}
	lead := all[fresh[0]]
	sv := storyView(lead, loc, now)
	sv.Update = update
	sv.Folded = true
	sv.Title = shortTitle(first.text.Title, first.item.Link)
	sv.Link = ""
	// Every new report restates the story: the new outlets, each once,
	// and none that carried it before.
	for _, r := range reportsOf(all, cands, fresh) {
		sv.Also = append(sv.Also, AlsoView{Source: r.source, Title: r.title, Link: r.link})
		if delivered[r.source] {
			continue
		}
		delivered[r.source] = true
		if len(sv.Lines) == 0 {
			sv.Lines = []LineView{{}}
		}
		if len(sv.Lines[0].Outlets) >= maxAlso {
			sv.MoreOutlets++
			continue
		}
		sv.Lines[0].Outlets = append(sv.Lines[0].Outlets, OutletView{Source: r.source, Link: r.link})
	}
	return sv
}

// foldedLine is a folded update in one line, its links numbered.
func foldedLine(sv StoryView) string {
	var also []string
	for _, l := range sv.Lines {
		for _, o := range l.Outlets {
			if o.Ref > 0 {
				also = append(also, fmt.Sprintf("%s [%d]", o.Source, o.Ref))
			} else {
				also = append(also, o.Source)
			}
		}
	}
	if sv.MoreOutlets > 0 {
		also = append(also, fmt.Sprintf("%d more", sv.MoreOutlets))
	}
	return fmt.Sprintf("%s · update · %s · now also %s", sv.Title, sv.Update, strings.Join(also, ", "))
}

// numberLinks numbers the links of the stories in reading order (down the
// sections, each story's link then the links of its lines) and returns
// them for the text part's list. An item whose link was refused as unsafe
// (the scraper keeps only http and https) gets no number: 0 tells the
// templates to show no link. An outlet carrying the lead's own item
// shares its link and number.
func numberLinks(sections []Section) []LinkRef {
	var links []LinkRef
	next := func(u string) int {
		if u == "" {
			return 0
		}
		links = append(links, LinkRef{Ref: len(links) + 1, URL: u})
		return len(links)
	}
	for _, sec := range sections {
		for i := range sec.Stories {
			sv := &sec.Stories[i]
			sv.Ref = next(sv.Link)
			for j := range sv.Lines {
				for k := range sv.Lines[j].Outlets {
					if o := &sv.Lines[j].Outlets[k]; o.Link != "" && o.Link == sv.Link {
						o.Ref = sv.Ref
					} else {
						o.Ref = next(o.Link)
					}
				}
			}
		}
	}
	return links
}

// summaryLines returns the top line ("9 stories · Alibaba 6 · Huawei 2") and
// the subject ("Morning brief · Mon 23 Nov · 9 stories: Alibaba, Huawei").
func summaryLines(name string, day time.Time, v View) (summary, subject string) {
	date := day.Format("Mon 2 Jan")
	if v.Empty {
		return "Nothing new", fmt.Sprintf("%s · %s · nothing new", name, date)
	}
	total := v.Count + len(v.More)
	parts := []string{fmt.Sprintf("%d %s", total, plural(total, "story", "stories"))}
	var top []string
	for _, s := range v.Sections {
		parts = append(parts, fmt.Sprintf("%s %d", s.Company, len(s.Stories)))
		if len(top) < 3 {
			top = append(top, s.Company)
		}
	}
	subject = fmt.Sprintf("%s · %s · %s: %s", name, date, parts[0], strings.Join(top, ", "))
	if len(v.Sections) > 3 {
		subject += ", …"
	}
	return strings.Join(parts, " · "), subject
}

func firstSource(it model.Item) string {
	if len(it.Sources) == 0 {
		return ""
	}
	return it.Sources[0]
}

func itemTime(it model.Item) time.Time {
	if !it.Published.IsZero() {
		return it.Published
	}
	return it.FirstSeen
}

func storyView(e entry, loc *time.Location, now time.Time) StoryView {
	layout := "Mon 2 Jan 15:04 MST"
	if itemTime(e.item).In(loc).Year() != now.In(loc).Year() {
		layout = "Mon 2 Jan 2006 15:04 MST" // another year's item says so
	}
	sv := StoryView{
		lead:    -1,
		Title:   shortTitle(e.text.Title, e.item.Link),
		Link:    e.item.Link,
		Source:  firstSource(e.item),
		Time:    itemTime(e.item).In(loc).Format(layout),
		Topics:  e.hit.Topics,
		Reasons: reasons(e.hit),
		// For the JSON document.
		Published: itemTime(e.item).In(loc),
		Matched:   matched(e.hit),
		ItemID:    e.item.ID,
	}
	sv.Meta = sv.Source + " · " + sv.Time
	if len(sv.Topics) > 0 {
		sv.Meta += " · " + strings.Join(sv.Topics, ", ")
	}
	sv.Snippet = snippet(e)
	var b strings.Builder
	for _, f := range sv.Snippet {
		b.WriteString(f.Text)
	}
	sv.SnippetText = b.String()
	return sv
}

// maxTitle is the most of a title a digest shows, in characters: a feed
// can send a megabyte of title.
const maxTitle = 300

// shortTitle is title cut to maxTitle characters (with "…"), or link when
// the title is empty.
func shortTitle(title, link string) string {
	if title == "" {
		title = link
	}
	return safetext.Short(title, maxTitle)
}

// reasons says why an item matched: `"Alibaba" in title; espionage, PLA`.
func reasons(h match.Hit) string {
	var parts []string
	for _, a := range h.Aliases {
		if coveredByOther(a, h.Aliases) {
			continue // "Alibaba" inside "Alibaba Cloud" says nothing more
		}
		where := ""
		if a.InTitle() {
			where = " in title"
		}
		parts = append(parts, fmt.Sprintf("%q%s", a.Term, where))
	}
	out := strings.Join(parts, ", ")
	var terms []string
	for _, t := range h.Terms {
		terms = append(terms, t.Term)
	}
	if len(terms) > 0 {
		out += "; " + strings.Join(terms, ", ")
	}
	return out
}

// coveredByOther reports whether every occurrence of a lies inside an
// occurrence of another alias.
func coveredByOther(a match.TermHit, all []match.TermHit) bool {
	if len(a.Spans) == 0 {
		return false
	}
	for _, s := range a.Spans {
		inside := false
		for _, o := range all {
			if o.Term == a.Term {
				continue
			}
			for _, os := range o.Spans {
				if os.InTitle == s.InTitle && os.Start <= s.Start && s.End <= os.End && os.End-os.Start > s.End-s.Start {
					inside = true
				}
			}
		}
		if !inside {
			return false
		}
	}
	return true
}

var cvePattern = regexp.MustCompile(`\bCVE-\d{4}-\d{4,7}\b`)

// snippet cuts the body around the best place, marks the matched words and
// links CVE identifiers to NVD.
func snippet(e entry) []Fragment {
	aliases := bodySpans(e.hit.Aliases)
	terms := bodySpans(e.hit.Terms)
	spans := append(append([]match.Span{}, aliases...), terms...)
	if a, ok := anchor(aliases, terms); ok {
		// Snippet cuts around the earliest span it is given.
		kept := spans[:0]
		for _, s := range spans {
			if s.Start >= a.Start {
				kept = append(kept, s)
			}
		}
		spans = kept
	}
	text, marks := match.Snippet(e.text.Body, spans, snippetLen)
	return fragments(text, marks)
}

// fragments splits text at the edges of the marks and of CVE identifiers:
// each piece is marked when inside a mark and linked when inside an identifier.
func fragments(text string, marks []match.Span) []Fragment {
	cves := cvePattern.FindAllStringIndex(text, -1)
	cuts := []int{0, len(text)}
	for _, m := range marks {
		if m.Start >= 0 && m.End <= len(text) && m.Start < m.End {
			cuts = append(cuts, m.Start, m.End)
		}
	}
	for _, c := range cves {
		cuts = append(cuts, c[0], c[1])
	}
	sort.Ints(cuts)
	var out []Fragment
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		if a == b {
			continue
		}
		f := Fragment{Text: text[a:b]}
		for _, m := range marks {
			f.Mark = f.Mark || (m.Start <= a && b <= m.End)
		}
		for _, c := range cves {
			if c[0] <= a && b <= c[1] {
				f.Href = "https://nvd.nist.gov/vuln/detail/" + text[c[0]:c[1]]
			}
		}
		if n := len(out); n > 0 && out[n-1].Mark == f.Mark && out[n-1].Href == f.Href {
			out[n-1].Text += f.Text
			continue
		}
		out = append(out, f)
	}
	return out
}

// anchorReach is how close (in bytes) a topic term must stand to a company
// mention to anchor the snippet: about a sentence.
const anchorReach = 200

// anchor picks where a snippet starts: the first topic term near a company
// mention, else the first topic term, else the first company mention.
func anchor(aliases, terms []match.Span) (match.Span, bool) {
	for _, t := range terms {
		for _, a := range aliases {
			if d := t.Start - a.Start; d < anchorReach && d > -anchorReach {
				return minSpan(t, a), true
			}
		}
	}
	if len(terms) > 0 {
		return terms[0], true
	}
	if len(aliases) > 0 {
		return aliases[0], true
	}
	return match.Span{}, false
}

func minSpan(a, b match.Span) match.Span {
	if b.Start < a.Start {
		return b
	}
	return a
}

// bodySpans returns the spans in the body, sorted.
func bodySpans(hits []match.TermHit) []match.Span {
	var out []match.Span
	for _, th := range hits {
		for _, s := range th.Spans {
			if !s.InTitle {
				out = append(out, s)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
