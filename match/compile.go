package match

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// maxWords is the longest term, in words (one bit each in a uint64 mask).
const maxWords = 64

// Errors returned by Compile, wrapped with the company or topic and term.
var (
	ErrEmptyTerm = errors.New("term has no letters or digits")
	ErrLongTerm  = errors.New("term is longer than 64 words")
	ErrNoName    = errors.New("company has no name")
)

// refKind says what a pattern stands for.
type refKind uint8

const (
	kindAlias refKind = iota
	kindExclude
	kindTerm
)

// ref is one configured alias, exclude phrase or topic term: owner is the
// company or topic index, index the position in Name+Aliases, Exclude or Terms.
type ref struct {
	kind  refKind
	owner int32
	index int32
}

func (a ref) cmp(b ref) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	if a.owner != b.owner {
		return int(a.owner) - int(b.owner)
	}
	return int(a.index) - int(b.index)
}

// pattern is one word sequence in the trie, with the configured terms it
// stands for. Compiled, it holds no pointers: the garbage collector need not
// scan 10,000 of them on every cycle.
type pattern struct {
	soft  uint64   // bit k: the gap before word k must not hold hard punctuation
	exact int32    // index in Watchlist.exact; -1: case-insensitive
	refs  [2]int32 // range of Watchlist.patRefs
}

// bpattern and bnode are a pattern and a trie node while Compile builds them.
type bpattern struct {
	soft  uint64
	exact []string // NFKC words, compared case-sensitively; nil: case-insensitive
	refs  []ref
}

type bnode struct {
	pats []int32
}

// Watchlist is a compiled set of companies and topics, safe for concurrent use.
type Watchlist struct {
	companies []Company
	topics    []Topic
	pats      []pattern
	exact     [][]string       // words of the case-sensitive patterns
	patRefs   []uint32         // per pattern, indexes in refs
	refs      []ref            // every configured term, sorted
	topicRank []int32          // topic index → rank of its name in sorted order
	vocab     vocab            // word key → word id
	root      []int32          // word id → child of the root (0: none)
	edges     map[uint64]int32 // node<<32 | word id → child; node 0 is the root
	kids      []bool           // per node: it has children
	nodeStart []int32          // node n's patterns are nodePats[nodeStart[n]:nodeStart[n+1]]
	nodePats  []int32
	scanners  sync.Pool
}

// patsAt returns the patterns that end at trie node n.
func (w *Watchlist) patsAt(n int32) []int32 { return w.nodePats[w.nodeStart[n]:w.nodeStart[n+1]] }

// refIDs returns the indexes in w.refs of the terms pattern p stands for.
func (w *Watchlist) refIDs(p int32) []uint32 {
	r := w.pats[p].refs
	return w.patRefs[r[0]:r[1]]
}

// Compile builds a Watchlist. The name of each company is matched like an
// alias. It fails when a name, alias, exclude phrase or term has no letters
// or digits or is longer than 64 words.
func Compile(companies []Company, topics []Topic) (*Watchlist, error) {
	w := &Watchlist{
		companies: slices.Clone(companies),
		topics:    slices.Clone(topics),
		edges:     make(map[uint64]int32),
		kids:      make([]bool, 1, 1024),
	}
	b := builder{w: w, nodes: make([]bnode, 1, 1024)}
	for ci, c := range companies {
		if strings.TrimSpace(c.Name) == "" {
			return nil, fmt.Errorf("company %d: %w", ci+1, ErrNoName)
		}
		for ai, a := range append([]string{c.Name}, c.Aliases...) {
			if err := b.add(a, ref{kindAlias, int32(ci), int32(ai)}); err != nil {
				return nil, fmt.Errorf("company %q: alias %q: %w", c.Name, a, err)
			}
		}
		for ei, e := range c.Exclude {
			if err := b.add(e, ref{kindExclude, int32(ci), int32(ei)}); err != nil {
				return nil, fmt.Errorf("company %q: exclude %q: %w", c.Name, e, err)
			}
		}
	}
	for ti, t := range topics {
		for j, term := range t.Terms {
			if err := b.add(term, ref{kindTerm, int32(ti), int32(j)}); err != nil {
				return nil, fmt.Errorf("topic %q: term %q: %w", t.Name, term, err)
			}
		}
	}
	b.flatten()
	order := make([]int32, len(topics))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return strings.Compare(topics[a].Name, topics[b].Name) })
	w.topicRank = make([]int32, len(topics))
	for rank, i := range order {
		w.topicRank[i] = int32(rank)
	}
	w.indexRoot()
	w.scanners.New = func() any { return new(scanner) }
	return w, nil
}

// builder adds terms to a Watchlist's trie, one at a time.
type builder struct {
	w     *Watchlist
	nodes []bnode
	pats  []bpattern
	lx    lexer
	toks  []token
	keys  []string
}

// indexRoot builds w.root, the dense array of the root's children.
func (w *Watchlist) indexRoot() {
	w.root = make([]int32, w.vocab.len())
	for k, child := range w.edges {
		if k>>32 == 0 {
			w.root[uint32(k)] = child
		}
	}
}

// flatten moves the patterns built into the Watchlist's flat arrays.
func (b *builder) flatten() {
	w := b.w
	for _, p := range b.pats {
		w.refs = append(w.refs, p.refs...)
	}
	slices.SortFunc(w.refs, ref.cmp)
	w.refs = slices.Compact(w.refs)
	w.pats = make([]pattern, len(b.pats))
	for i, p := range b.pats {
		pt := &w.pats[i]
		pt.soft, pt.exact = p.soft, -1
		if p.exact != nil {
			pt.exact = int32(len(w.exact))
			w.exact = append(w.exact, p.exact)
		}
		pt.refs[0] = int32(len(w.patRefs))
		for _, r := range p.refs {
			id, _ := slices.BinarySearchFunc(w.refs, r, ref.cmp)
			w.patRefs = append(w.patRefs, uint32(id))
		}
		pt.refs[1] = int32(len(w.patRefs))
	}
	w.nodeStart = make([]int32, len(b.nodes)+1)
	for i, n := range b.nodes {
		w.nodeStart[i] = int32(len(w.nodePats))
		w.nodePats = append(w.nodePats, n.pats...)
	}
	w.nodeStart[len(b.nodes)] = int32(len(w.nodePats))
}

func (b *builder) add(term string, r ref) error {
	lx := &b.lx
	lx.reset(term)
	b.toks, b.keys = b.toks[:0], b.keys[:0]
	for lx.next() {
		t := lx.tok
		b.toks = append(b.toks, t)
		b.keys = append(b.keys, lx.keyString())
	}
	switch {
	case len(b.toks) == 0:
		return ErrEmptyTerm
	case len(b.toks) > maxWords:
		return ErrLongTerm
	}
	var exact []string
	if allCaps(term) {
		exact = make([]string, len(b.toks))
		for i, t := range b.toks {
			exact[i] = string(lx.foldForm(nil, term[t.start:t.end], false))
		}
	}
	var soft uint64
	for i, t := range b.toks[1:] {
		if t.gap&gapHard == 0 {
			soft |= 1 << (i + 1)
		}
	}
	b.insert(b.keys, soft, exact, r)

	// The hyphen-joined variant: "zero-day" also as "zeroday".
	var jkeys, jexact []string
	var jsoft uint64
	joined := false
	for i, t := range b.toks {
		if i > 0 && hyphenOnly(term[b.toks[i-1].end:t.start]) &&
			!isUnspacedToken(term[b.toks[i-1].start:b.toks[i-1].end]) && !isUnspacedToken(term[t.start:t.end]) {
			joined = true
			jkeys[len(jkeys)-1] += b.keys[i]
			if exact != nil {
				jexact[len(jexact)-1] += exact[i]
			}
			continue
		}
		if i > 0 && t.gap&gapHard == 0 {
			jsoft |= 1 << len(jkeys)
		}
		jkeys = append(jkeys, b.keys[i])
		if exact != nil {
			jexact = append(jexact, exact[i])
		}
	}
	if joined {
		b.insert(jkeys, jsoft, jexact, r)
	}
	return nil
}

func (b *builder) insert(keys []string, soft uint64, exact []string, r ref) {
	w := b.w
	var cur int32
	for _, k := range keys {
		id := w.vocab.add(k)
		e := uint64(cur)<<32 | uint64(id)
		child, ok := w.edges[e]
		if !ok {
			child = int32(len(b.nodes))
			b.nodes = append(b.nodes, bnode{})
			w.kids = append(w.kids, false)
			w.edges[e] = child
			w.kids[cur] = true
		}
		cur = child
	}
	for _, p := range b.nodes[cur].pats {
		pt := &b.pats[p]
		if pt.soft == soft && slices.Equal(pt.exact, exact) && (pt.exact == nil) == (exact == nil) {
			if !slices.Contains(pt.refs, r) {
				pt.refs = append(pt.refs, r)
			}
			return
		}
	}
	b.nodes[cur].pats = append(b.nodes[cur].pats, int32(len(b.pats)))
	b.pats = append(b.pats, bpattern{soft: soft, exact: exact, refs: []ref{r}})
}

// allCaps reports whether s has upper-case letters and no lower-case ones.
func allCaps(s string) bool {
	upper := false
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			upper = true
		}
	}
	return upper
}

// hyphenOnly reports whether a term's gap is made of hyphens only.
func hyphenOnly(gap string) bool {
	if gap == "" {
		return false
	}
	for _, r := range gap {
		switch r {
		case '-', '‐', '‑', '‒', '–', '−', '﹣', '－', '⁃':
		default:
			return false
		}
	}
	return true
}

func isUnspacedToken(s string) bool {
	for _, r := range s {
		return isUnspaced(r)
	}
	return false
}
