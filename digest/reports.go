package digest

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"newswatch/digest/story"
	"newswatch/internal/safetext"
	"newswatch/match"
)

// rankedStory is a story of the digest (indexes into its items) with its
// place in the reading order.
type rankedStory struct {
	fresh, old []int
	rank       float64
	newest     time.Time
}

// rankStories groups the entries, with the earlier digests' items
// (whose place in all follows the entries'), into stories and ranks the
// ones with a fresh report, highest first; a new report of a delivered
// story thus joins it as an update.
func rankStories(ctx context.Context, entries, earlier []entry, history []string, now time.Time) ([]entry, []story.Candidate, []rankedStory, error) {
	all := slices.Concat(entries, earlier)
	cands := make([]story.Candidate, len(all))
	for i, e := range all {
		cands[i] = candidate(e)
	}
	groups, err := story.Group(ctx, cands, history)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("group stories: %w", err)
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
	return all, cands, ranked, nil
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
