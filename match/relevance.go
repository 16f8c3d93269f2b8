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

	// Exclude phrases of this company.
	lo, _ := slices.BinarySearchFunc(items, ref{kindExclude, ci, 0}, func(it item, r ref) int { return it.r.cmp(r) })
	hi := lo
	for hi < len(items) && items[hi].r.kind == kindExclude && items[hi].r.owner == ci {
		hi++
	}
	for _, g := range groups(items[lo:hi], nil) {
		v.Excluded = append(v.Excluded, w.termHit(sc, items[lo+g[0]:lo+g[1]], nil, nil))
	}

	// Company occurrences, by field and word, for Near and sentence checks.
	al := sc.al[:0]
	defer func() { sc.al = al[:0] }()
	for _, it := range aliases {
		o := &sc.occs[it.o]
		al = append(al, o)
		if o.title {
			v.InTitle = true
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
	mentions := 0
	for i, a := range al {
		if i == 0 || a.title != al[i-1].title || a.w0 != al[i-1].w0 {
			mentions++
		}
	}

	var nTopics, nTitle, termOccs int
	sameSentence := false
	inside := tt.inside(sc, al)
	if c.Near <= 0 && len(inside) == 0 {
		// Every topic term counts: share what the text gives everyone.
		v.Terms, v.Topics = tt.all, tt.topics
		nTopics, nTitle, termOccs = len(tt.topics), tt.nTitle, tt.occs
		sameSentence = tt.sharesSentence(sc, al)
	} else {
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
			termOccs += th.Count
			owner := tt.items[g[0]].r.owner
			if owner != lastTopic {
				lastTopic = owner
				v.Topics = append(v.Topics, th.Topic)
				owners = append(owners, owner)
			}
			if th.Spans[0].InTitle && owner != lastTitle {
				lastTitle = owner
				nTitle++
			}
			for _, it := range tt.items[g[0]:g[1]] {
				if sameSentence {
					break
				}
				o := &sc.occs[it.o]
				sameSentence = keep(o) && sharesSentence(al, o)
			}
		}
		nTopics = len(v.Topics)
		w.sortTopics(v.Topics, owners)
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
	v.Score = score(v.InTitle, sameSentence, nTopics, nTitle, mentions, termOccs)
	return v
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
