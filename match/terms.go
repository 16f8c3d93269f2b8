package match

import "slices"

// textTerms is what the topic terms found in a text give every company,
// computed once per text: with 10,000 terms a text holds hundreds of term
// occurrences, and redoing this per company would cost hits × terms.
type textTerms struct {
	items    []item     // topic term items, by term then position
	groups   [][2]int   // ranges of items, one per configured term
	all      []TermHit  // one per group, all occurrences
	topics   []string   // names of the topics found, sorted
	owners   []int32    // their topic indexes
	nTitle   int        // topics with a term in the title
	occs     int        // term occurrences
	byPos    []int32    // term occurrences (indexes in scanner.occs) by field and start
	occGroup []uint64   // occurrence<<32 | group, sorted
	sents    []sentence // sentences holding a term, sorted
	indexed  bool       // occGroup, byPos and sents are built
	covered  []int32    // term occurrences inside some company occurrence
}

// sentence identifies a sentence of a text: the title is sentence 0 of
// field 0, the body's sentences are in field 1.
type sentence struct{ field, sent int32 }

func (a sentence) cmp(b sentence) int {
	if a.field != b.field {
		return int(a.field - b.field)
	}
	return int(a.sent - b.sent)
}

func sentenceOf(o *occ) sentence {
	if o.title {
		return sentence{0, o.sent}
	}
	return sentence{1, o.sent}
}

func (w *Watchlist) textTerms(sc *scanner, items []item) *textTerms {
	lo, _ := slices.BinarySearchFunc(items, ref{kindTerm, 0, 0}, func(it item, r ref) int { return it.r.cmp(r) })
	tt := &sc.tt
	*tt = textTerms{
		covered:  tt.covered[:0],
		owners:   tt.owners[:0],
		items:    items[lo:],
		groups:   tt.groups[:0],
		occGroup: tt.occGroup[:0],
		byPos:    tt.byPos[:0],
		sents:    tt.sents[:0],
	}
	tt.groups = groups(tt.items, tt.groups)
	// Hits share all and its spans: allocate them once, to size.
	tt.all = make([]TermHit, 0, len(tt.groups))
	spans := make([]Span, 0, len(tt.items))
	nTopics := 0
	for i, g := range tt.groups {
		if i == 0 || tt.items[g[0]].r.owner != tt.items[tt.groups[i-1][0]].r.owner {
			nTopics++
		}
	}
	tt.topics = make([]string, 0, nTopics)
	lastTopic, lastTitle := int32(-1), int32(-1)
	for _, g := range tt.groups {
		th := w.termHit(sc, tt.items[g[0]:g[1]], nil, &spans)
		tt.all = append(tt.all, th)
		tt.occs += th.Count
		owner := tt.items[g[0]].r.owner
		if owner != lastTopic {
			lastTopic = owner
			tt.topics = append(tt.topics, th.Topic)
			tt.owners = append(tt.owners, owner)
		}
		if th.Spans[0].InTitle && owner != lastTitle {
			lastTitle = owner
			tt.nTitle++
		}
	}
	w.sortTopics(tt.topics, tt.owners)
	tt.cover(sc, items)
	return tt
}

// linear is the size under which scanning all term items beats an index.
const linear = 1024

// index builds occGroup, byPos and sents, for texts with many occurrences.
func (tt *textTerms) index(sc *scanner) {
	if tt.indexed {
		return
	}
	tt.indexed = true
	for gi, g := range tt.groups {
		for _, it := range tt.items[g[0]:g[1]] {
			tt.occGroup = append(tt.occGroup, uint64(it.o)<<32|uint64(gi))
		}
	}
	slices.Sort(tt.occGroup)
	for i, e := range tt.occGroup {
		oi := int32(e >> 32)
		if i > 0 && oi == int32(tt.occGroup[i-1]>>32) {
			continue
		}
		tt.byPos = append(tt.byPos, oi)
		tt.sents = append(tt.sents, sentenceOf(&sc.occs[oi]))
	}
	sortByPos(sc, tt.byPos)
	slices.SortFunc(tt.sents, sentence.cmp)
	tt.sents = slices.Compact(tt.sents)
}

// sortByPos sorts occurrence indexes title first, then by offset.
func sortByPos(sc *scanner, idx []int32) {
	keys := sc.keys[:0]
	for _, oi := range idx {
		o := &sc.occs[oi]
		k := uint64(o.start)<<24 | uint64(oi)
		if !o.title {
			k |= 1 << 63
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		idx[i] = int32(k & (1<<24 - 1))
	}
	sc.keys = keys[:0]
}

// sortTopics sorts names, the names of the topics owners, by the rank of
// the names computed at Compile: no string comparisons per text.
func (w *Watchlist) sortTopics(names []string, owners []int32) {
	for i := 1; i < len(owners); i++ {
		for j := i; j > 0 && w.topicRank[owners[j]] < w.topicRank[owners[j-1]]; j-- {
			owners[j], owners[j-1] = owners[j-1], owners[j]
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}

// groups appends to dst the ranges of items with the same ref.
func groups(items []item, dst [][2]int) [][2]int {
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].r == items[i].r {
			j++
		}
		dst = append(dst, [2]int{i, j})
		i = j
	}
	return dst
}

// inside returns the topic term occurrences (indexes in sc.occs) that lie
// inside one of the company occurrences al.
func (tt *textTerms) inside(sc *scanner, al []*occ) []int32 {
	var in []int32
	for _, oi := range tt.covered {
		if nearest(al, &sc.occs[oi]) < 0 {
			in = append(in, oi)
		}
	}
	return in
}

// cover sets tt.covered: the topic term occurrences that lie inside an
// occurrence of any company, usually none. One sweep over company and term
// occurrences by position, tracking the furthest end of the company
// occurrences started so far.
func (tt *textTerms) cover(sc *scanner, items []item) {
	keys := sc.keys[:0]
	key := func(oi int32, term uint64) uint64 {
		o := &sc.occs[oi]
		k := uint64(o.start)<<25 | term<<24 | uint64(oi)
		if !o.title {
			k |= 1 << 63
		}
		return k
	}
	for _, it := range items {
		if it.r.kind != kindAlias {
			break
		}
		keys = append(keys, key(it.o, 0))
	}
	for _, it := range tt.items {
		keys = append(keys, key(it.o, 1))
	}
	slices.Sort(keys)
	maxEnd, field := -1, uint64(0)
	for _, k := range keys {
		if k>>63 != field {
			maxEnd, field = -1, k>>63
		}
		o := &sc.occs[k&(1<<24-1)]
		switch {
		case k>>24&1 == 0:
			maxEnd = max(maxEnd, o.end)
		case o.end <= maxEnd:
			tt.covered = append(tt.covered, int32(k&(1<<24-1)))
		}
	}
	sc.keys = keys[:0]
}

// groupsOf returns the groups holding the occurrences occs.
func (tt *textTerms) groupsOf(sc *scanner, occs []int32) []int {
	var gs []int
	if len(occs)*len(tt.items) <= linear {
		for gi, g := range tt.groups {
			for _, it := range tt.items[g[0]:g[1]] {
				if slices.Contains(occs, it.o) {
					gs = append(gs, gi)
					break
				}
			}
		}
		return gs
	}
	tt.index(sc)
	for _, oi := range occs {
		i, _ := slices.BinarySearch(tt.occGroup, uint64(oi)<<32)
		for ; i < len(tt.occGroup) && int32(tt.occGroup[i]>>32) == oi; i++ {
			gs = append(gs, int(uint32(tt.occGroup[i])))
		}
	}
	return gs
}

// sharesSentence reports whether a company occurrence starts in a sentence
// holding a topic term.
func (tt *textTerms) sharesSentence(sc *scanner, al []*occ) bool {
	if len(al)*len(tt.items) <= linear {
		for _, it := range tt.items {
			o := &sc.occs[it.o]
			for _, a := range al {
				if o.title == a.title && o.sent == a.sent {
					return true
				}
			}
		}
		return false
	}
	tt.index(sc)
	for _, a := range al {
		if _, ok := slices.BinarySearchFunc(tt.sents, sentenceOf(a), sentence.cmp); ok {
			return true
		}
	}
	return false
}
