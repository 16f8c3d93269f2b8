package story

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// Threshold is the centroid cosine at or above which two groups of
// full-text items are taken to report the same event; headline-only items
// need ShortThreshold. Items with a little text need BriefThreshold, and
// the bar falls from it to Threshold as their text grows to full length.
// A headline alone needs more than a headline with a line of text because
// its names weigh twice (as words and as entities), while an item with
// text takes its entities from the text.
const (
	Threshold      = 0.12
	BriefThreshold = 0.16
	ShortThreshold = 0.16
)

const (
	windowSec    = int64(48 * time.Hour / time.Second)
	duplicateCos = 0.8 // cosine above which one outlet's two items are one
	titleBoost   = 2   // a title token counts as this many body tokens
	titleWeight  = 0.7 // weight of the title vector added to the text vector
	longText     = 40  // distinct text terms from which an item counts as full text
	// candidates bounds how many other items one item is compared with.
	candidates = 32
	// disjointFactor raises the threshold for groups that matched
	// different tracked companies: their shared event must be plain.
	disjointFactor = 1.5
)

// Candidate is one matched item offered for story grouping.
type Candidate struct {
	Key       string   // item identity
	Source    string   // outlet name
	Title     string   // plain text
	Text      string   // plain text: summary + content/body
	Companies []string // tracked companies the item matched
	Terms     []string // topic terms the item matched: they weigh little
	Published time.Time
	Score     float64 // relevance; the best-scored item leads its story
}

// params are the tunable constants, gathered so tests can sweep them.
type params struct {
	long, brief, short float64 // thresholds for full text, a little text and headlines alone
	passes             int     // passes over the pairs
	outletFactor       float64
	entityWeight       float64
	edgeFloor          float64
}

var defaults = params{long: Threshold, brief: BriefThreshold, short: ShortThreshold, passes: 4, outletFactor: 1.2, edgeFloor: 0.8, entityWeight: 0.5}

// Group partitions cs into stories: each inner slice holds indexes into
// cs of items that report the same event, the lead (best score, then newest;
// a roundup of several events last) first; stories ordered by their lead's score, then recency. history holds
// the text of other stored items from the days around the digest (title
// and text of each); it only weighs terms, so that a word every item of
// the digest shares still counts for little when it is rare in the news.
// The result does not depend on the order of cs. Group returns ctx.Err()
// when ctx ends first.
func Group(ctx context.Context, cs []Candidate, history []string) ([][]int, error) {
	return group(ctx, cs, history, defaults)
}

func group(ctx context.Context, cs []Candidate, history []string, p params) ([][]int, error) {
	if len(cs) == 0 {
		return nil, ctx.Err()
	}
	// Work in a canonical order, so that neither ties nor the candidate
	// caps depend on how cs was ordered.
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return canonical(&cs[a], &cs[b]) })
	sorted := make([]Candidate, len(cs))
	for i, o := range order {
		sorted[i] = cs[o]
	}
	docs, nterms, err := vectors(ctx, sorted, history, p)
	if err != nil {
		return nil, err
	}
	edges, err := candidatePairs(ctx, docs, nterms, p)
	if err != nil {
		return nil, err
	}
	clusters, err := link(ctx, docs, edges, p)
	if err != nil {
		return nil, err
	}
	isRoundup := make([]bool, len(cs))
	for i, o := range order {
		isRoundup[o] = docs[i].roundup
	}
	// A roundup never leads a story of other reports: its headline and
	// link are about several events.
	lead := func(a, b int) int {
		if isRoundup[a] != isRoundup[b] {
			if isRoundup[a] {
				return 1
			}
			return -1
		}
		return leadOrder(cs, a, b)
	}
	stories := make([][]int, 0, len(clusters))
	for _, c := range clusters {
		s := make([]int, len(c))
		for k, i := range c {
			s[k] = order[i]
		}
		slices.SortFunc(s, lead)
		stories = append(stories, s)
	}
	slices.SortFunc(stories, func(a, b []int) int { return leadOrder(cs, a[0], b[0]) })
	return stories, nil
}

// canonical orders candidates by time, then by content.
func canonical(a, b *Candidate) int {
	return cmp.Or(a.Published.Compare(b.Published), strings.Compare(a.Key, b.Key),
		strings.Compare(a.Source, b.Source), strings.Compare(a.Title, b.Title), strings.Compare(a.Text, b.Text))
}

// leadOrder orders items by score, then recency, then content, then input
// position.
func leadOrder(cs []Candidate, a, b int) int {
	if c := cmp.Compare(cs[b].Score, cs[a].Score); c != 0 {
		return c
	}
	if c := cs[b].Published.Compare(cs[a].Published); c != 0 {
		return c
	}
	return cmp.Or(canonical(&cs[a], &cs[b]), cmp.Compare(a, b))
}

// threshold is the similarity two groups must reach, given how much text
// their items have on average: short items share few words even when they
// report one event, and a cosine between short vectors is also larger by
// chance, so the bar moves between the headline and the full-text one.
func (p params) threshold(textA, textB float64) float64 {
	if textA == 0 && textB == 0 {
		return p.short
	}
	f := min(1, min(textA, textB)/longText)
	return p.brief + (p.long-p.brief)*f
}

// pairSim returns the cosine of two items; ok is false when a gate
// forbids them to share a story.
func pairSim(a, b *doc) (sim float64, ok bool) {
	if a.dated && b.dated {
		if d := a.unix - b.unix; d > windowSec || d < -windowSec {
			return 0, false
		}
	}
	// One outlet's two reports may still be one story (a follow-up of
	// its own report is the commonest update): link holds them to a
	// higher bar rather than forbidding them.
	return dot(a.vec, b.vec), true
}

// dot is the dot product of two sorted vectors.
func dot(a, b []weight) float64 {
	var s float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].term < b[j].term:
			i++
		case a[i].term > b[j].term:
			j++
		default:
			s += a[i].w * b[j].w
			i++
			j++
		}
	}
	return s
}

// share reports whether two sorted string sets intersect.
func share(a, b []string) bool {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i], b[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			return true
		}
	}
	return false
}

// checkEvery is how many steps of a loop run between looks at the context.
const checkEvery = 1024
