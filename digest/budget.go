package digest

import (
	"newswatch/internal/safetext"
)

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
