package match

import (
	"fmt"
	"slices"
	"strconv"
)

// verdict decides relevance for company ci given its alias items.
func (w *Watchlist) verdict(sc *scanner, tt *textTerms, ci int32, aliases []item, items []item) Verdict {
	c := &w.companies[ci]
	v := Verdict{Hit: Hit{Company: c.Name}}
	sc.groups = groups(aliases, sc.groups[:0])
	v.Aliases = make([]TermHit, 0, len(sc.groups))
	spans := make([]Span, 0, len(aliases))
	for _, g := range sc.groups {
		v.Aliases = append(v.Aliases, w.termHit(sc, aliases[g[0]:g[1]], nil, &spans))
	}
	v.Excluded = w.excluded(sc, ci, items)
	al, mentions := companyOccs(sc, aliases, &v.InTitle)
	defer func() { sc.al = al[:0] }()
	var n termCount
	if inside := tt.inside(sc, al); c.Near <= 0 && len(inside) == 0 {
		// Every topic term counts: share what the text gives everyone.
		v.Terms, v.Topics = tt.all, tt.topics
		n = termCount{topics: len(tt.topics), title: tt.nTitle, occs: tt.occs, sameSentence: tt.sharesSentence(sc, al)}
	} else {
		n = w.nearTerms(sc, tt, c, al, inside, &v)
	}

	switch {
	case len(v.Excluded) > 0:
		v.Reason = ReasonExcluded + ": " + strconv.Quote(v.Excluded[0].Term)
	case !c.AllNews && len(v.Terms) == 0 && c.Near > 0 && anyTerm(tt, sc, al):
		v.Reason = fmt.Sprintf("%s (within %d words)", ReasonNotNear, c.Near)
	case !c.AllNews && len(v.Terms) == 0:
		v.Reason = ReasonNoTopic
	default:
		v.Relevant = true
	}
	if !v.Relevant {
		return v
	}
	v.Score = score(v.InTitle, n.sameSentence, n.topics, n.title, mentions, n.occs)
	return v
}

// excluded returns the exclude phrases of company ci found in the text.
func (w *Watchlist) excluded(sc *scanner, ci int32, items []item) []TermHit {
	lo, _ := slices.BinarySearchFunc(items, ref{kindExclude, ci, 0}, func(it item, r ref) int { return it.r.cmp(r) })
	hi := lo
	for hi < len(items) && items[hi].r.kind == kindExclude && items[hi].r.owner == ci {
		hi++
	}
	var out []TermHit
	for _, g := range groups(items[lo:hi], nil) {
		out = append(out, w.termHit(sc, items[lo+g[0]:lo+g[1]], nil, nil))
	}
	return out
}

// companyOccs returns the company's occurrences (its alias items), in
// sc.al, sorted by field (title first) and word, for the Near and
// sentence checks, and the number of mentions (distinct first words). It
// sets *inTitle when one is in the title.
func companyOccs(sc *scanner, aliases []item, inTitle *bool) (al []*occ, mentions int) {
	al = sc.al[:0]
	for _, it := range aliases {
		o := &sc.occs[it.o]
		al = append(al, o)
		if o.title {
			*inTitle = true
		}
	}
	slices.SortFunc(al, func(a, b *occ) int {
		if a.title != b.title {
			if a.title {
				return -1
			}
			return 1
		}
		if a.w0 != b.w0 {
			return int(a.w0 - b.w0)
		}
		return int(a.w1 - b.w1)
	})
	al = slices.CompactFunc(al, func(a, b *occ) bool { return a.title == b.title && a.w0 == b.w0 && a.w1 == b.w1 })
	for i, a := range al {
		if i == 0 || a.title != al[i-1].title || a.w0 != al[i-1].w0 {
			mentions++
		}
	}
	return al, mentions
}

// termCount is what a company's topic terms count for its score: topics,
// topics in the title, term occurrences, and whether a term shares a
// sentence with the company.
type termCount struct {
	topics, title, occs int
	sameSentence        bool
}

// nearTerms sets v.Terms and v.Topics to the topic terms that count for
// company c, whose occurrences are al: those within c.Near words of one
// (any distance when c.Near is 0), and never those inside one (the
// groups of inside).
func (w *Watchlist) nearTerms(sc *scanner, tt *textTerms, c *Company, al []*occ, inside []int32, v *Verdict) termCount {
	var n termCount
	keep := func(o *occ) bool {
		d := nearest(al, o)
		return d >= 0 && (c.Near <= 0 || d <= c.Near)
	}
	affected := tt.groupsOf(sc, inside)
	v.Terms = make([]TermHit, 0, len(tt.groups))
	v.Topics = make([]string, 0, len(tt.topics))
	lastTopic, lastTitle := int32(-1), int32(-1)
	owners := make([]int32, 0, len(tt.topics))
	for gi, g := range tt.groups {
		th := tt.all[gi]
		if c.Near > 0 || slices.Contains(affected, gi) {
			th = w.termHit(sc, tt.items[g[0]:g[1]], keep, nil)
		}
		if th.Count == 0 {
			continue
		}
		v.Terms = append(v.Terms, th)
		n.occs += th.Count
		owner := tt.items[g[0]].r.owner
		if owner != lastTopic {
			lastTopic = owner
			v.Topics = append(v.Topics, th.Topic)
			owners = append(owners, owner)
		}
		if th.Spans[0].InTitle && owner != lastTitle {
			lastTitle = owner
			n.title++
		}
		for _, it := range tt.items[g[0]:g[1]] {
			if n.sameSentence {
				break
			}
			o := &sc.occs[it.o]
			n.sameSentence = keep(o) && sharesSentence(al, o)
		}
	}
	n.topics = len(v.Topics)
	w.sortTopics(v.Topics, owners)
	return n
}

// anyTerm reports whether a topic term occurs outside the company's aliases.
func anyTerm(tt *textTerms, sc *scanner, al []*occ) bool {
	for _, it := range tt.items {
		if nearest(al, &sc.occs[it.o]) >= 0 {
			return true
		}
	}
	return false
}

// nearest returns the word distance from o to the closest company
// occurrence in the same field (0 when they overlap, 1 when adjacent), a
// large number when there is none in that field, and -1 when o lies inside
// a company occurrence.
func nearest(al []*occ, o *occ) int {
	// First occurrence in o's field starting after o's last word.
	i, _ := slices.BinarySearchFunc(al, o, func(a *occ, o *occ) int {
		if a.title != o.title {
			if a.title {
				return -1
			}
			return 1
		}
		if a.w0 <= o.w1 {
			return -1
		}
		return 1
	})
	const none = 1 << 30
	best := none
	if i < len(al) && al[i].title == o.title {
		best = int(al[i].w0 - o.w1)
	}
	// Earlier occurrences: an alias is at most maxWords words long.
	for k := i - 1; k >= 0; k-- {
		a := al[k]
		if a.title != o.title || int(a.w0) < int(o.w0)-maxWords-best {
			break
		}
		if a.start <= o.start && o.end <= a.end {
			return -1
		}
		d := 0
		if a.w1 < o.w0 {
			d = int(o.w0 - a.w1)
		}
		best = min(best, d)
	}
	return best
}

// sharesSentence reports whether a company occurrence starts in o's sentence.
func sharesSentence(al []*occ, o *occ) bool {
	i, _ := slices.BinarySearchFunc(al, o, func(a *occ, o *occ) int {
		if a.title != o.title {
			if a.title {
				return -1
			}
			return 1
		}
		return int(a.sent - o.sent)
	})
	return i < len(al) && al[i].title == o.title && al[i].sent == o.sent
}
