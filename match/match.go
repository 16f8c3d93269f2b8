// Package match finds tracked companies and topics in news text (SPEC §3).
//
// # Words
//
// Texts and terms go through the same lexer. A word is a run of letters,
// digits and combining marks of any script; format characters (soft hyphen,
// zero-width joiners) inside a word are ignored. Each character of a script
// written without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer,
// Myanmar) is a word of its own, so terms in those scripts match as
// substrings: "阿里巴巴" is found in "阿里巴巴集团否认". Each word is compared in
// its NFKC, case-folded form, so full-width "ＡＬＩＢＡＢＡ" and "alibaba" are
// the same word.
//
// A term matches when its words occur consecutively in the text. This makes
// every match whole-word: "Alibaba" matches "Alibaba's" and "Alibaba-backed"
// (the apostrophe and the hyphen end the word) but not "Alibabacoin".
//
// Between two words of a term, any run of spaces, hyphens and apostrophes (’
// and ' alike) in the text matches any other such run: "People's Liberation
// Army" matches "People’s Liberation Army", "zero-day" matches "zero day".
// Other punctuation between two words (". , ; ( &") only matches where the
// term itself has punctuation there, so "Alibaba Cloud" does not match
// "…Alibaba. Cloud…" across a sentence, while "AT&T" matches "AT&T". A term
// with a hyphen also matches its words written together: "zero-day" matches
// "zeroday", "e-commerce" matches "ecommerce" (not the other way round).
//
// A term written wholly in capitals (it has upper-case letters and no
// lower-case ones: PLA, CVE, VSSE, ZTE) matches case-sensitively, after NFKC:
// "PLA" and full-width "ＰＬＡ" match it, "Pla" and "pla" do not. Every other
// term matches case-insensitively.
//
// # Relevance
//
// An item is relevant for a company when
//   - the company's name or one of its aliases occurs (title or body), and
//   - none of its Exclude phrases occurs anywhere in the item: as SPEC §2 says,
//     "an item containing one of these is not matched for this company", even
//     if the company is also mentioned on its own elsewhere, and
//   - AllNews is set, or a topic term occurs; a topic term that lies inside a
//     company alias occurrence ("cloud" inside "Alibaba Cloud") does not count
//     for that company, and
//   - when Near > 0, the topic term stands within Near words of an occurrence
//     of the company in the same field (title or body): the distance is 1 for
//     adjacent words, 0 when they overlap. Hyphenated and possessive forms
//     ("Alibaba-backed", "People's") count as one word; each Han/Kana/Hangul
//     character counts as a word. Only the terms that satisfy Near are
//     reported as reasons.
//
// # Score
//
// Hit.Score orders hits; it is computed as
//
//	1
//	+ 2   if the company occurs in the title
//	+ 1   per distinct topic matched
//	+ 1   per distinct topic with a term in the title
//	+ 2   if a company occurrence and a topic term start in the same sentence
//	+ 0.1 per company occurrence, at most 1
//	+ 0.1 per topic term occurrence, at most 1
//
// A sentence ends at ". ", "! ", "? " (not after a single letter, as in
// "U.S. officials") and at 。！？; title and body never share a sentence.
// Match returns hits best score first, ties in the order the companies were
// given to Compile.
//
// # Engine
//
// Compile gives every distinct word of every term an id and builds a trie
// keyed by word id (a map from (node, word id) to node; a dense array for
// the root). Word ids live in an open-addressing hash table behind an 8 KB
// Bloom filter, which turns most words of a news text away for the price
// of one hash. Match lexes each field once and, at each word, looks it up,
// advances the walks still alive (never more than the longest term has
// words) and starts one at the root. The cost grows with the text, not with
// the number of terms, and every match is whole-word by construction.
//
// Aho-Corasick was measured against it (match_bench_test.go, BENCHMARKS.md
// "Matching"): github.com/BobuSumisu/aho-corasick over the same lexer's
// output, written as " word word … ", finds the same hits. It cannot do
// without the lexer (whole words, NFKC, case folding, apostrophes), so it
// only adds work: copying every word into a stream and walking it byte by
// byte made it 1.2× slower at 50 terms and 1.7× slower at 10,000, and its
// dense 256-way transition table held 168 MB and took about 200 ms to build
// at 10,000 terms (budget: 50 MB, 100 ms), against 1.4 MB and 17 ms for the
// word trie.
package match

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// MaxSpans is the number of spans kept per TermHit; TermHit.Count has the
// number of occurrences found.
const MaxSpans = 50

// maxOccs bounds the occurrences recorded per text (sorting packs an
// occurrence's index in 24 bits); a text with more only reports the first.
const maxOccs = 1<<24 - 1

// maxWords is the longest term, in words (one bit each in a uint64 mask).
const maxWords = 64

// Errors returned by Compile, wrapped with the company or topic and term.
var (
	ErrEmptyTerm = errors.New("term has no letters or digits")
	ErrLongTerm  = errors.New("term is longer than 64 words")
	ErrNoName    = errors.New("company has no name")
)

// Company is a tracked company as the matcher sees it.
type Company struct {
	Name    string
	Aliases []string
	Exclude []string
	AllNews bool
	Near    int
}

// Topic is a tracked topic.
type Topic struct {
	Name  string
	Terms []string
}

// Text is one item's text, as plain text (see Prepare).
type Text struct {
	Title string
	Body  string
}

// Span is a byte range [Start, End) in Text.Title (InTitle) or Text.Body.
type Span struct {
	Start, End int
	InTitle    bool
}

// TermHit is one tracked word found in a text.
type TermHit struct {
	Term    string // the alias or topic term as configured
	Topic   string // "" for a company alias
	Company string // the company of an alias or exclude phrase; "" for a topic term
	Exclude bool   // Term is one of Company's exclude phrases
	Spans   []Span // title spans first, then body spans, by offset; at most MaxSpans
	Count   int    // occurrences found (Spans may hold fewer)
}

// Hit is one company an item is relevant for, with its reasons. The hits
// of one Match call may share their Topics and Terms slices: treat them as
// read-only.
type Hit struct {
	Company string
	Aliases []TermHit // which aliases (or the name) matched, where, in configuration order
	Topics  []string  // names of topics matched, sorted
	Terms   []TermHit // topic terms that matched, where, by topic then term in configuration order
	InTitle bool      // the company occurs in the title
	Score   float64   // see the package doc
}

// Verdict says whether an item is relevant for one company, and why.
type Verdict struct {
	Hit                // reasons found; Score is 0 when not Relevant
	Relevant bool      // Match would return this Hit
	Reason   string    // why not relevant; "" when Relevant
	Excluded []TermHit // exclude phrases found
}

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
	w.root = make([]int32, w.vocab.len())
	for k, child := range w.edges {
		if k>>32 == 0 {
			w.root[uint32(k)] = child
		}
	}
	w.scanners.New = func() any { return new(scanner) }
	return w, nil
}

type builder struct {
	w     *Watchlist
	nodes []bnode
	pats  []bpattern
	lx    lexer
	toks  []token
	keys  []string
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

// Words returns the normalised words a term is matched by (NFKC, case
// folded), e.g. "People’s Liberation Army" → [people s liberation army].
// Callers use it to compare terms, e.g. to warn about a term that repeats
// the words of another.
func Words(term string) []string {
	var lx lexer
	lx.reset(term)
	var out []string
	for lx.next() {
		out = append(out, lx.keyString())
	}
	return out
}

// occ is one occurrence of a pattern.
type occ struct {
	pat        int32
	title      bool
	start, end int   // bytes
	w0, w1     int32 // first and last word number
	sent       int32 // sentence number of the first word
}

// walk is a partial match: the trie node reached and where it started.
type walk struct {
	node  int32
	depth int
	hard  uint64 // bit k: the gap before word k holds hard punctuation
	start int
	w0    int32
	sent  int32
}

// scanner holds the buffers of one Match call.
type scanner struct {
	lx, vx lexer
	walks  []walk
	occs   []occ
	items  []item
	keys   []uint64
	tt     textTerms
	al     []*occ
	groups [][2]int
}

// item is one occurrence of one configured term.
type item struct {
	r ref
	o int32 // index in scanner.occs
}

func (w *Watchlist) scan(sc *scanner, t Text) {
	sc.occs = sc.occs[:0]
	w.scanField(sc, t.Title, true)
	w.scanField(sc, t.Body, false)
}

func (w *Watchlist) scanField(sc *scanner, s string, title bool) {
	lx := &sc.lx
	lx.reset(s)
	walks := sc.walks[:0]
	for lx.next() {
		tk := &lx.tok
		id, ok := lx.id(&w.vocab)
		if !ok {
			walks = walks[:0]
			continue
		}
		n := 0
		for _, wk := range walks {
			child, ok := w.edges[uint64(wk.node)<<32|uint64(id)]
			if !ok {
				continue
			}
			wk.depth++
			if tk.gap&gapHard != 0 {
				wk.hard |= 1 << wk.depth
			}
			wk.node = child
			w.emit(sc, s, title, &wk, tk)
			if w.kids[child] {
				walks[n] = wk
				n++
			}
		}
		walks = walks[:n]
		if c := w.root[id]; c != 0 {
			wk := walk{node: c, start: tk.start, w0: tk.word, sent: tk.sent}
			w.emit(sc, s, title, &wk, tk)
			if w.kids[c] {
				walks = append(walks, wk)
			}
		}
	}
	sc.walks = walks
}

func (w *Watchlist) emit(sc *scanner, s string, title bool, wk *walk, tk *token) {
	if len(sc.occs) >= maxOccs {
		return
	}
	for _, p := range w.patsAt(wk.node) {
		pt := &w.pats[p]
		if wk.hard&pt.soft != 0 {
			continue
		}
		if pt.exact >= 0 && !sc.verify(s[wk.start:tk.end], w.exact[pt.exact]) {
			continue
		}
		sc.occs = append(sc.occs, occ{pat: p, title: title, start: wk.start, end: tk.end, w0: wk.w0, w1: tk.word, sent: wk.sent})
	}
}

// verify reports whether the words of s, in NFKC but not case-folded, are exact.
func (sc *scanner) verify(s string, exact []string) bool {
	vx := &sc.vx
	vx.reset(s)
	i := 0
	for vx.next() {
		t := vx.tok
		if i >= len(exact) {
			return false
		}
		raw := s[t.start:t.end]
		if isASCII(raw) {
			if raw != exact[i] {
				return false
			}
		} else if string(vx.foldForm(vx.key[:0], raw, false)) != exact[i] {
			return false
		}
		i++
	}
	return i == len(exact)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// items lists every (configured term, occurrence) pair, sorted by term then
// position.
//
// Refs are numbered in their sort order at Compile, so sorting packed
// (ref number, occurrence) integers gives that order: occurrences are
// recorded title first and, for one configured term, in text order.
func (w *Watchlist) itemize(sc *scanner) []item {
	keys := sc.keys[:0]
	for i, o := range sc.occs {
		for _, id := range w.refIDs(o.pat) {
			keys = append(keys, uint64(id)<<32|uint64(i))
		}
	}
	slices.Sort(keys)
	items := sc.items[:0]
	for _, k := range keys {
		items = append(items, item{w.refs[k>>32], int32(uint32(k))})
	}
	sc.keys, sc.items = keys, items
	return items
}

// Match returns the companies the text is relevant for, best score first.
func (w *Watchlist) Match(t Text) []Hit {
	sc := w.scanners.Get().(*scanner)
	defer w.scanners.Put(sc)
	w.scan(sc, t)
	return w.hits(sc)
}

// hits turns the occurrences found by a scan into the relevant hits.
func (w *Watchlist) hits(sc *scanner) []Hit {
	if len(sc.occs) == 0 {
		return nil
	}
	items := w.itemize(sc)
	if len(items) == 0 || items[0].r.kind != kindAlias {
		return nil
	}
	tt := w.textTerms(sc, items)
	n := 0
	forEachCompany(items, func(int32, []item) { n++ })
	hits := make([]Hit, 0, n)
	order := make([]int32, 0, n)
	forEachCompany(items, func(ci int32, aliases []item) {
		v := w.verdict(sc, tt, ci, aliases, items)
		if v.Relevant {
			hits = append(hits, v.Hit)
			order = append(order, ci)
		}
	})
	if len(hits) == 0 {
		return nil
	}
	sortHits(hits, order)
	return hits
}

// Explain returns one Verdict per company, in the order given to Compile:
// whether the text is relevant for it and, when not, why. It is what
// `newswatch check -item` shows.
func (w *Watchlist) Explain(t Text) []Verdict {
	sc := w.scanners.Get().(*scanner)
	defer w.scanners.Put(sc)
	w.scan(sc, t)
	items := w.itemize(sc)
	out := make([]Verdict, len(w.companies))
	for ci, c := range w.companies {
		out[ci] = Verdict{Hit: Hit{Company: c.Name}, Reason: ReasonNoAlias}
	}
	tt := w.textTerms(sc, items)
	forEachCompany(items, func(ci int32, aliases []item) {
		out[ci] = w.verdict(sc, tt, ci, aliases, items)
	})
	return out
}

// Find returns every alias, exclude phrase and topic term found in the text,
// relevant or not: aliases by company, then exclude phrases, then topic
// terms, each in configuration order.
func (w *Watchlist) Find(t Text) []TermHit {
	sc := w.scanners.Get().(*scanner)
	defer w.scanners.Put(sc)
	w.scan(sc, t)
	items := w.itemize(sc)
	var out []TermHit
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].r == items[i].r {
			j++
		}
		out = append(out, w.termHit(sc, items[i:j], nil, nil))
		i = j
	}
	return out
}

// Reasons a Verdict gives for an item that is not relevant.
const (
	ReasonNoAlias  = "no alias found"
	ReasonExcluded = "excluded"
	ReasonNoTopic  = "no topic term"
	ReasonNotNear  = "no topic term near the company"
)

// forEachCompany calls fn with each company's alias items.
func forEachCompany(items []item, fn func(ci int32, aliases []item)) {
	for i := 0; i < len(items) && items[i].r.kind == kindAlias; {
		j := i + 1
		for j < len(items) && items[j].r.kind == kindAlias && items[j].r.owner == items[i].r.owner {
			j++
		}
		fn(items[i].r.owner, items[i:j])
		i = j
	}
}

func sortHits(hits []Hit, order []int32) {
	if len(hits) > 1 {
		sort.Sort(byScore{hits, order})
	}
}

// byScore orders hits best score first, then by company order (unique).
type byScore struct {
	hits  []Hit
	order []int32
}

func (b byScore) Len() int { return len(b.hits) }

func (b byScore) Less(i, j int) bool {
	if b.hits[i].Score != b.hits[j].Score {
		return b.hits[i].Score > b.hits[j].Score
	}
	return b.order[i] < b.order[j]
}

func (b byScore) Swap(i, j int) {
	b.hits[i], b.hits[j] = b.hits[j], b.hits[i]
	b.order[i], b.order[j] = b.order[j], b.order[i]
}

// termHit builds the TermHit of one configured term from its items (all
// with the same ref); keep, when not nil, selects the occurrences. With buf,
// the spans are appended to *buf, which must have room for them.
func (w *Watchlist) termHit(sc *scanner, items []item, keep func(o *occ) bool, buf *[]Span) TermHit {
	r := items[0].r
	var th TermHit
	switch r.kind {
	case kindAlias, kindExclude:
		c := w.companies[r.owner]
		th.Company = c.Name
		if r.kind == kindExclude {
			th.Exclude = true
			th.Term = c.Exclude[r.index]
		} else if r.index == 0 {
			th.Term = c.Name
		} else {
			th.Term = c.Aliases[r.index-1]
		}
	case kindTerm:
		tp := w.topics[r.owner]
		th.Topic = tp.Name
		th.Term = tp.Terms[r.index]
	}
	var spans []Span
	if buf != nil {
		spans = (*buf)[len(*buf):len(*buf):cap(*buf)]
	}
	for _, it := range items {
		o := &sc.occs[it.o]
		if keep != nil && !keep(o) {
			continue
		}
		sp := Span{Start: o.start, End: o.end, InTitle: o.title}
		if n := len(spans); n > 0 && spans[n-1] == sp {
			continue
		}
		th.Count++
		if len(spans) < MaxSpans {
			spans = append(spans, sp)
		}
	}
	if buf != nil {
		*buf = (*buf)[:len(*buf)+len(spans)]
		spans = spans[:len(spans):len(spans)]
	}
	th.Spans = spans
	return th
}

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
	score := 10
	if v.InTitle {
		score += 20
	}
	score += 10*nTopics + 10*nTitle
	if sameSentence {
		score += 20
	}
	score += min(mentions, 10) + min(termOccs, 10)
	v.Score = float64(score) / 10
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
