package digest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"newswatch/digest/story"
	"newswatch/internal/safetext"
	"newswatch/match"
	"newswatch/model"
)

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// buildView groups the entries into ranked stories, at most
// spec.MaxStories of them shown (the rest listed by title), in one
// section per company.
func buildView(ctx context.Context, spec Spec, entries, earlier []entry, history []string, now time.Time) (View, error) {
	loc := spec.Location
	if loc == nil {
		loc = time.UTC
	}
	all, cands, ranked, err := rankStories(ctx, entries, earlier, history, now)
	if err != nil {
		return View{}, err
	}
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
		sv, company := rankedView(all, cands, r, loc, now)
		if _, ok := bySection[company]; !ok {
			order = append(order, company)
		}
		bySection[company] = append(bySection[company], sv)
	}
	v := View{Name: spec.Name, Date: now.In(loc).Format("Mon 2 Jan 2006"), More: more}
	v.Sections, v.Count = sections(order, bySection)
	finishView(&v)
	v.Empty = v.Count == 0 && len(more) == 0
	v.Summary, v.Subject = summaryLines(spec.Name, now.In(loc), v)
	return v, nil
}

// rankedView is the view of the ranked story r, and the company whose
// section it goes to: its lead report's.
func rankedView(all []entry, cands []story.Candidate, r rankedStory, loc *time.Location, now time.Time) (StoryView, string) {
	lead := all[r.fresh[0]]
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
	return sv, company
}

// sections are the companies' sections, most stories first, then by
// name, with the number of stories in all.
func sections(order []string, bySection map[string][]StoryView) ([]Section, int) {
	var out []Section
	count := 0
	for _, company := range order {
		stories := bySection[company]
		out = append(out, Section{Company: company, Stories: stories})
		count += len(stories)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if len(a.Stories) != len(b.Stories) {
			return len(a.Stories) > len(b.Stories)
		}
		return a.Company < b.Company
	})
	return out, count
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
