package story

import "strings"

// restateShare is the share of a report's words that earlier reports must
// hold for it to say nothing new.
const restateShare = 0.7

// Restates reports whether c says nothing the earlier reports did not: at
// least 70% of the distinct words of its headline and first sentence are
// in their headlines and openings (the first 1,000 bytes of text, about
// what a reader of a digest saw of them). A digest folds a delivered story
// whose new reports all restate it into one line.
func Restates(earlier []Candidate, c Candidate) bool {
	tz := newTokenizer()
	known := map[string]bool{}
	for _, e := range earlier {
		for _, s := range []string{cleanTitle(e.Title), opening(e.Text)} {
			for _, t := range tz.tokens(s) {
				known[t.term] = true
			}
		}
	}
	words := map[string]bool{}
	for _, s := range []string{cleanTitle(c.Title), firstSentence(c.Text)} {
		for _, t := range tz.tokens(s) {
			words[t.term] = true
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
	return float64(n) >= restateShare*float64(len(words))
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
