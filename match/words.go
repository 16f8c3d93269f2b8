package match

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
