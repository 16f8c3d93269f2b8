package match

import (
	"slices"
	"strings"
)

// Words returns the normalised words a term is matched by (NFKC, case
// folded), e.g. "People’s Liberation Army" → [people s liberation army].
// Two terms with the same words match the same occurrences, up to the
// case-sensitivity of terms written in capitals.
func Words(term string) []string {
	var lx lexer
	lx.reset(term)
	var out []string
	for lx.next() {
		out = append(out, lx.keyString())
	}
	return out
}

// CheckTerm returns the error Compile would refuse term with:
// ErrEmptyTerm when it has no letters or digits, ErrLongTerm when it has
// more than 64 words; nil otherwise.
func CheckTerm(term string) error {
	var lx lexer
	lx.reset(term)
	n := 0
	for lx.next() {
		n++
	}
	switch {
	case n == 0:
		return ErrEmptyTerm
	case n > maxWords:
		return ErrLongTerm
	}
	return nil
}

// Terms compares terms with one another under the matching rules of the
// package doc, so that a caller can tell that a term can never add a match
// (configuration warnings) without a second definition of a word.
type Terms struct {
	w     *Watchlist
	ok    []bool    // the term compiled (it has words, at most 64)
	exact []bool    // the term is written in capitals
	found [][]int32 // per term j: the terms found in every text j matches
}

// CompileTerms prepares terms for Covers. A term Compile would refuse
// (no letters or digits, more than 64 words) covers nothing and is
// covered by nothing.
func CompileTerms(terms []string) *Terms {
	w := &Watchlist{edges: make(map[uint64]int32), kids: make([]bool, 1, 64)}
	b := builder{w: w, nodes: make([]bnode, 1, 64)}
	t := &Terms{w: w, ok: make([]bool, len(terms)), exact: make([]bool, len(terms)), found: make([][]int32, len(terms))}
	for i, term := range terms {
		t.ok[i] = b.add(term, ref{kindTerm, int32(i), 0}) == nil
		t.exact[i] = allCaps(term)
	}
	b.flatten()
	w.indexRoot()
	var sc scanner
	for j, term := range terms {
		if !t.ok[j] {
			continue
		}
		t.found[j] = t.in(&sc, term)
		if joined, ok := joinHyphens(term); ok {
			also := t.in(&sc, joined)
			t.found[j] = slices.DeleteFunc(t.found[j], func(k int32) bool { return !slices.Contains(also, k) })
		}
	}
	return t
}

// in returns the terms found in text, in increasing order.
func (t *Terms) in(sc *scanner, text string) []int32 {
	sc.occs = sc.occs[:0]
	t.w.scanField(sc, text, true)
	var out []int32
	for _, it := range t.w.itemize(sc) {
		if n := len(out); n == 0 || out[n-1] != it.r.owner {
			out = append(out, it.r.owner)
		}
	}
	return out
}

// Within returns the terms that may cover term j (those found in its own
// text), in increasing order: Covers(i, j) is false for every other i.
func (t *Terms) Within(j int) []int {
	out := make([]int, len(t.found[j]))
	for k, i := range t.found[j] {
		out[k] = int(i)
	}
	return out
}

// Covers reports whether term i occurs in every text that term j matches,
// so that term j can never add a match to term i. Every text term j
// matches holds its words with any spaces, hyphens or apostrophes between
// them (or joined, where j has a hyphen), so it is enough that i is found
// in j itself and in j's joined form; case decides the rest: a term in
// capitals never covers one that matches in any case.
func (t *Terms) Covers(i, j int) bool {
	if i == j || !t.ok[i] || !t.ok[j] || t.exact[i] && !t.exact[j] {
		return false
	}
	return slices.Contains(t.found[j], int32(i))
}

// joinHyphens returns term with the hyphens between two words removed,
// the other form a hyphenated term matches ("zero-day" → "zeroday"), and
// whether there was any.
func joinHyphens(term string) (string, bool) {
	var lx lexer
	lx.reset(term)
	var sb strings.Builder
	joined := false
	prev := token{start: -1}
	for lx.next() {
		tk := lx.tok
		if prev.start >= 0 {
			gap := term[prev.end:tk.start]
			if hyphenOnly(gap) && !isUnspacedToken(term[prev.start:prev.end]) && !isUnspacedToken(term[tk.start:tk.end]) {
				joined = true
			} else {
				sb.WriteString(gap)
			}
		}
		sb.WriteString(term[tk.start:tk.end])
		prev = tk
	}
	return sb.String(), joined
}
