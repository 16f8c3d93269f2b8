package story

import "strings"

// Shares of a report's words that others must hold for it to add nothing:
// restateShare for a new report against what was delivered, sameShare for
// two reports shown as one line.
const (
	restateShare = 0.7
	sameShare    = 0.8
)

// Restates reports whether c says nothing the earlier reports did not: at
// least 70% of the distinct words of its headline and first sentence are
// in their headlines and openings (the first 1,000 bytes of text, about
// what a reader of a digest saw of them), every number, acronym and
// identifier of its headline is among them, and its headline does not
// affirm what they deny or deny what they affirm ("confirms" after
// "denies", "charged" after "cleared"). A digest folds a delivered story
// whose new reports all restate it into one line.
func Restates(earlier []Candidate, c Candidate) bool {
	tz := newTokenizer()
	var texts []string
	for _, e := range earlier {
		texts = append(texts, cleanTitle(e.Title), opening(e.Text))
	}
	var titles []string
	for _, e := range earlier {
		titles = append(titles, cleanTitle(e.Title))
	}
	return restates(tz, texts, titles, c, restateShare)
}

// SameReport reports whether two reports say the same: each restates the
// other with 80% of its words, the same numbers and names, and the same
// polarity. A digest shows such reports as one line with their outlets.
func SameReport(a, b Candidate) bool {
	tz := newTokenizer()
	ta, tb := cleanTitle(a.Title), cleanTitle(b.Title)
	return restates(tz, []string{ta, firstSentence(a.Text)}, []string{ta}, b, sameShare) &&
		restates(tz, []string{tb, firstSentence(b.Text)}, []string{tb}, a, sameShare)
}

// restates reports whether c's headline and first sentence hold at least
// share of words known from texts, no number or strong term unknown there,
// and no polarity the titles lack.
func restates(tz *tokenizer, texts, titles []string, c Candidate, share float64) bool {
	known := map[string]bool{}
	for _, s := range texts {
		for _, t := range tz.tokens(s) {
			known[t.term] = true
		}
	}
	var earlier int8
	for _, s := range titles {
		earlier |= int8(polarBits(polarity(tz.tokens(s))))
	}
	title := tz.tokens(cleanTitle(c.Title))
	if p := polarBits(polarity(title)); p != 0 && earlier&int8(p) == 0 {
		return false
	}
	words := map[string]bool{}
	for _, t := range title {
		if t.strong && !known[t.term] {
			return false // a new number or name: "expels two", "CVE-…"
		}
	}
	for _, toks := range [][]token{title, tz.tokens(firstSentence(c.Text))} {
		for _, t := range toks {
			if !t.class {
				words[t.term] = true
			}
		}
	}
	if len(words) == 0 {
		return true
	}
	n := 0
	for w := range words {
		if known[w] {
			n++
		}
	}
	return float64(n) >= share*float64(len(words))
}

// firstSentence is s up to the end of its first sentence, 300 bytes at most.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// opening is the first 1,000 bytes of s.
func opening(s string) string {
	if len(s) > 1000 {
		s = s[:1000]
	}
	return s
}
