package digest

import (
	"regexp"
	"sort"

	"newswatch/match"
)

// snippetLen is the length of a story's snippet, in bytes of text.
const snippetLen = 300

var cvePattern = regexp.MustCompile(`\bCVE-\d{4}-\d{4,7}\b`)

// snippet cuts the body around the best place, marks the matched words and
// links CVE identifiers to NVD.
func snippet(e entry) []Fragment {
	aliases := bodySpans(e.hit.Aliases)
	terms := bodySpans(e.hit.Terms)
	spans := append(append([]match.Span{}, aliases...), terms...)
	if a, ok := anchor(aliases, terms); ok {
		// Snippet cuts around the earliest span it is given.
		kept := spans[:0]
		for _, s := range spans {
			if s.Start >= a.Start {
				kept = append(kept, s)
			}
		}
		spans = kept
	}
	text, marks := match.Snippet(e.text.Body, spans, snippetLen)
	return fragments(text, marks)
}

// fragments splits text at the edges of the marks and of CVE identifiers:
// each piece is marked when inside a mark and linked when inside an identifier.
func fragments(text string, marks []match.Span) []Fragment {
	cves := cvePattern.FindAllStringIndex(text, -1)
	cuts := []int{0, len(text)}
	for _, m := range marks {
		if m.Start >= 0 && m.End <= len(text) && m.Start < m.End {
			cuts = append(cuts, m.Start, m.End)
		}
	}
	for _, c := range cves {
		cuts = append(cuts, c[0], c[1])
	}
	sort.Ints(cuts)
	var out []Fragment
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		if a == b {
			continue
		}
		f := Fragment{Text: text[a:b]}
		for _, m := range marks {
			f.Mark = f.Mark || (m.Start <= a && b <= m.End)
		}
		for _, c := range cves {
			if c[0] <= a && b <= c[1] {
				f.Href = "https://nvd.nist.gov/vuln/detail/" + text[c[0]:c[1]]
			}
		}
		if n := len(out); n > 0 && out[n-1].Mark == f.Mark && out[n-1].Href == f.Href {
			out[n-1].Text += f.Text
			continue
		}
		out = append(out, f)
	}
	return out
}

// anchorReach is how close (in bytes) a topic term must stand to a company
// mention to anchor the snippet: about a sentence.
const anchorReach = 200

// anchor picks where a snippet starts: the first topic term near a company
// mention, else the first topic term, else the first company mention.
func anchor(aliases, terms []match.Span) (match.Span, bool) {
	for _, t := range terms {
		for _, a := range aliases {
			if d := t.Start - a.Start; d < anchorReach && d > -anchorReach {
				return minSpan(t, a), true
			}
		}
	}
	if len(terms) > 0 {
		return terms[0], true
	}
	if len(aliases) > 0 {
		return aliases[0], true
	}
	return match.Span{}, false
}

func minSpan(a, b match.Span) match.Span {
	if b.Start < a.Start {
		return b
	}
	return a
}

// bodySpans returns the spans in the body, sorted.
func bodySpans(hits []match.TermHit) []match.Span {
	var out []match.Span
	for _, th := range hits {
		for _, s := range th.Spans {
			if !s.InTitle {
				out = append(out, s)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
