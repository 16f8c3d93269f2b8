package match

import "slices"

// maxOccs bounds the occurrences recorded per text (sorting packs an
// occurrence's index in 24 bits); a text with more only reports the first.
const maxOccs = 1<<24 - 1

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
