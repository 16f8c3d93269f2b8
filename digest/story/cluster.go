package story

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
)

// edge is a pair of items (indexes into docs, i < j) and their cosine.
type edge struct {
	i, j int32
	sim  float64
}

// candidatePairs compares every item with at most `candidates` others: those
// that share its rarest terms, nearest in time first, found through an
// inverted index. Cost: O(n·k) comparisons however alike the items are.
// It returns the pairs worth a merge, best first.
func candidatePairs(ctx context.Context, docs []doc, nterms int32, p params) ([]edge, error) {
	postings := make([][]int32, nterms) // term → items holding it, in docs order (time)
	for i, d := range docs {
		for _, w := range d.vec {
			postings[w.term] = append(postings[w.term], int32(i))
		}
	}
	var edges []edge
	var cands []int32
	var byRarity []int32
	for i := range docs {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		d := &docs[i]
		byRarity = byRarity[:0]
		for _, w := range d.vec {
			if len(postings[w.term]) > 1 {
				byRarity = append(byRarity, w.term)
			}
		}
		slices.SortFunc(byRarity, func(a, b int32) int {
			return cmp.Or(cmp.Compare(len(postings[a]), len(postings[b])), cmp.Compare(a, b))
		})
		cands = cands[:0]
		quota := max(4, (candidates+len(byRarity)-1)/max(1, len(byRarity)))
		for _, t := range byRarity {
			if len(cands) >= candidates {
				break
			}
			cands = nearest(cands, postings[t], int32(i), min(quota, candidates-len(cands)))
		}
		for _, j := range cands {
			sim, ok := pairSim(d, &docs[j])
			if !ok || sim < p.edgeFloor*min(p.long, p.brief, p.short) {
				continue
			}
			a, b := min(int32(i), j), max(int32(i), j)
			edges = append(edges, edge{a, b, sim})
		}
	}
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(cmp.Compare(b.sim, a.sim), cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	// A pair found from both sides is there twice, side by side.
	edges = slices.CompactFunc(edges, func(a, b edge) bool { return a.i == b.i && a.j == b.j })
	return edges, nil
}

// nearest appends to cands up to k items of posting (sorted) closest to i
// in position, skipping i and items already in cands.
func nearest(cands, posting []int32, i int32, k int) []int32 {
	p, _ := slices.BinarySearch(posting, i)
	lo, hi := p-1, p
	if hi < len(posting) && posting[hi] == i {
		hi++
	}
	added := 0
	for added < k && (lo >= 0 || hi < len(posting)) {
		var j int32
		// Alternate sides, taking the closer index first.
		if hi >= len(posting) || (lo >= 0 && i-posting[lo] <= posting[hi]-i) {
			j = posting[lo]
			lo--
		} else {
			j = posting[hi]
			hi++
		}
		if !slices.Contains(cands, j) {
			cands = append(cands, j)
			added++
		}
	}
	return cands
}

// cluster is a group of items being built.
type cluster struct {
	members   []int32
	sum       map[int32]float64 // sum of the members' unit vectors; nil for one member
	keys      []int32           // the terms of sum in order, once asked for; nil after a merge
	norm2     float64           // squared length of sum
	minT      int64             // earliest and latest dated member
	maxT      int64
	dated     bool
	sources   map[string]int32 // outlet → its first member
	companies []string
	textTerms int   // summed over members
	polar     uint8 // polarities of the members: 1 affirms, 2 denies
	roundups  int   // members that are roundups
}

// link merges items into stories. Pairs are taken best first; two groups
// merge when the cosine of their centroids reaches the threshold for how
// much text they have and no gate forbids it (items more than 48 h apart,
// one outlet's items that are not near-duplicates). Comparing centroids,
// not the pair that links them, keeps a chain A~B~C from joining A and C
// when they share little; comparing with the centroid rather than with
// every member lets a story's common words outweigh each report's own.
func link(ctx context.Context, docs []doc, edges []edge, p params) ([][]int, error) {
	n := len(docs)
	parent := make([]int32, n)
	cl := make([]*cluster, n)
	for i := range docs {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	get := func(i int32) *cluster {
		if cl[i] == nil {
			d := &docs[i]
			cl[i] = &cluster{
				members: []int32{i}, norm2: 1, minT: d.unix, maxT: d.unix, dated: d.dated,
				companies: d.companies, textTerms: d.textTerms, polar: polarBits(d.polarity),
			}
			if d.roundup {
				cl[i].roundups = 1
			}
			if d.source != "" {
				cl[i].sources = map[string]int32{d.source: i}
			}
		}
		return cl[i]
	}
	// A pair that failed may pass once its groups have grown: go over the
	// pairs again while that merges anything, a few times at most.
	for pass := 0; pass < p.passes; pass++ {
		merged := false
		for e, ed := range edges {
			if e%checkEvery == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			a, b := find(ed.i), find(ed.j)
			if a == b {
				continue
			}
			ca, cb := get(a), get(b)
			if len(ca.members) < len(cb.members) {
				a, b, ca, cb = b, a, cb, ca
			}
			if !mayJoin(ca, cb) {
				continue
			}
			th := p.threshold(float64(ca.textTerms)/float64(len(ca.members)), float64(cb.textTerms)/float64(len(cb.members)))
			if len(ca.companies) > 0 && len(cb.companies) > 0 && !share(ca.companies, cb.companies) {
				th *= disjointFactor
			}
			if sharedOutlet(docs, ca, cb) {
				th *= p.outletFactor
			}
			d := clusterDot(docs, ca, cb)
			sim := d / math.Sqrt(ca.norm2*cb.norm2)
			if bridged(ca, cb) {
				// A roundup joins one story: two stories that meet only
				// through it stay apart.
				sim = coreSim(docs, ca, cb)
			}
			if sim < th {
				continue
			}
			merge(docs, ca, cb, d)
			parent[b] = a
			cl[b] = nil
			merged = true
		}
		if !merged {
			break
		}
	}
	var out [][]int
	for i := range n {
		if find(int32(i)) != int32(i) {
			continue
		}
		c := get(int32(i))
		s := make([]int, len(c.members))
		for k, m := range c.members {
			s[k] = int(m)
		}
		slices.Sort(s)
		out = append(out, s)
	}
	return out, nil
}

// mayJoin applies the gates to two groups: together they span at most
// 48 h, and one that only affirms does not join one that only denies.
func mayJoin(a, b *cluster) bool {
	if a.dated && b.dated && (max(a.maxT, b.maxT)-min(a.minT, b.minT) > windowSec) {
		return false
	}
	return !(a.polar == 1 && b.polar == 2 || a.polar == 2 && b.polar == 1)
}

func polarBits(p int8) uint8 {
	switch p {
	case 1:
		return 1
	case -1:
		return 2
	}
	return 0
}

// bridged reports whether a group holds a roundup and both groups hold
// other items: their likeness is then taken without the roundups.
func bridged(a, b *cluster) bool {
	return (a.roundups > 0 || b.roundups > 0) && a.roundups < len(a.members) && b.roundups < len(b.members)
}

// coreSim is the centroid cosine of two groups without their roundups.
func coreSim(docs []doc, a, b *cluster) float64 {
	sa, sb := coreSum(docs, a), coreSum(docs, b)
	var d, na, nb float64
	for t, w := range sa {
		d += w * sb[t]
		na += w * w
	}
	for _, w := range sb {
		nb += w * w
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return d / math.Sqrt(na*nb)
}

// coreSum is the sum of the vectors of a group's items that are not roundups.
func coreSum(docs []doc, c *cluster) map[int32]float64 {
	sum := map[int32]float64{}
	for _, m := range c.members {
		if docs[m].roundup {
			continue
		}
		for _, w := range docs[m].vec {
			sum[w.term] += w.w
		}
	}
	return sum
}

// clusterDot is the dot product of the two groups' summed vectors; b is
// the smaller group.
func clusterDot(docs []doc, a, b *cluster) float64 {
	switch {
	case a.sum == nil && b.sum == nil:
		return dot(docs[a.members[0]].vec, docs[b.members[0]].vec)
	case b.sum == nil:
		var s float64
		for _, w := range docs[b.members[0]].vec {
			s += w.w * a.sum[w.term]
		}
		return s
	default:
		// Sum in term order: a sum in map order differs in its last bits
		// from run to run, and a tie at the bar would then go either way.
		small, big := b, a
		if len(small.sum) > len(big.sum) {
			small, big = big, small
		}
		if small.keys == nil {
			small.keys = slices.Sorted(maps.Keys(small.sum))
		}
		var s float64
		for _, t := range small.keys {
			s += small.sum[t] * big.sum[t]
		}
		return s
	}
}

// merge adds b to a; d is the dot product of their sums.
func merge(docs []doc, a, b *cluster, d float64) {
	if a.sum == nil {
		a.sum = map[int32]float64{}
		for _, w := range docs[a.members[0]].vec {
			a.sum[w.term] = w.w
		}
	}
	if b.sum == nil {
		for _, w := range docs[b.members[0]].vec {
			a.sum[w.term] += w.w
		}
	} else {
		for t, w := range b.sum {
			a.sum[t] += w
		}
	}
	a.norm2 += b.norm2 + 2*d
	a.keys = nil
	a.members = append(a.members, b.members...)
	if b.dated {
		if a.dated {
			a.minT, a.maxT = min(a.minT, b.minT), max(a.maxT, b.maxT)
		} else {
			a.minT, a.maxT, a.dated = b.minT, b.maxT, true
		}
	}
	for s, i := range b.sources {
		if a.sources == nil {
			a.sources = map[string]int32{}
		}
		if _, ok := a.sources[s]; !ok {
			a.sources[s] = i
		}
	}
	if len(b.companies) > 0 {
		a.companies = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a.companies), b.companies...))))
	}
	a.textTerms += b.textTerms
	a.polar |= b.polar
	a.roundups += b.roundups
}

// sharedOutlet reports whether an outlet has items in both groups that are
// not near-duplicates: an outlet rarely reports one event twice, so it
// takes more to put its two reports in one story.
func sharedOutlet(docs []doc, a, b *cluster) bool {
	small, big := a.sources, b.sources
	if len(small) > len(big) {
		small, big = big, small
	}
	for s, i := range small {
		if j, ok := big[s]; ok && dot(docs[i].vec, docs[j].vec) < duplicateCos {
			return true
		}
	}
	return false
}
