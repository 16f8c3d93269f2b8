package match

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzMatch checks, on any title and body: no panic; every span inside its
// field, on rune boundaries of valid text; and every company found is still
// found, with its topics and its spans moved, when title and body are
// embedded between spaces in a longer text.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"Alibaba’s PLA ties", "Alibaba Group denied it. Customer data went to the People's Liberation Army."},
		{"", "据报道，阿里巴巴集团涉嫌间谍活动。"},
		{"Huawei", "Tencent one two three four spy"},
		{"ＡＬＩＢＡＢＡ", "zero-day zeroday zero day Alibaba Cloud cloud"},
		{"Alibaba Pictures", "Alibaba spy"},
		{"e\u0301\u00ad", "\xff\xfeAlibaba\u200d spy \u1100\u1161"},
	} {
		f.Add(s[0], s[1])
	}
	w := testWatchlist(f)
	f.Fuzz(func(t *testing.T, title, body string) {
		text := Text{Title: title, Body: body}
		hits := w.Match(text)
		checkFuzzHits(t, text, hits)
		const pre, post = "lorem ipsum ", " dolor sit"
		long := Text{Title: pre + title + post, Body: pre + body + post}
		got := map[string]Hit{}
		for _, h := range w.Match(long) {
			got[h.Company] = h
		}
		for _, h := range hits {
			g, ok := got[h.Company]
			if !ok {
				t.Fatalf("%s found in %q but not in %q", h.Company, text, long)
			}
			for _, topic := range h.Topics {
				if !contains(g.Topics, topic) {
					t.Fatalf("%s: topic %s found in %q but not in %q", h.Company, topic, text, long)
				}
			}
			for _, a := range h.Aliases {
				for _, sp := range a.Spans {
					moved := Span{sp.Start + len(pre), sp.End + len(pre), sp.InTitle}
					if !hasSpan(g.Aliases, a.Term, moved) {
						t.Fatalf("%s: %q at %+v not found at %+v in the longer text", h.Company, a.Term, sp, moved)
					}
				}
			}
		}
		for _, v := range w.Explain(text) {
			if v.Relevant != (indexHit(hits, v.Company) >= 0) {
				t.Fatalf("Explain says %s relevant=%v (%s), Match disagrees", v.Company, v.Relevant, v.Reason)
			}
		}
		for _, th := range w.Find(text) {
			checkSpans(t, text, th)
		}
		snip, spans := Snippet(body, spansOf(hits, false), 60)
		for _, sp := range spans {
			if sp.Start < 0 || sp.Start >= sp.End || sp.End > len(snip) {
				t.Fatalf("snippet span %+v outside %q", sp, snip)
			}
		}
		if utf8.ValidString(body) && !utf8.ValidString(snip) {
			t.Fatalf("snippet of valid text is invalid: %q", snip)
		}
	})
}

func checkFuzzHits(t *testing.T, text Text, hits []Hit) {
	t.Helper()
	for _, h := range hits {
		for _, th := range h.Aliases {
			checkSpans(t, text, th)
		}
		for _, th := range h.Terms {
			checkSpans(t, text, th)
		}
	}
}

func checkSpans(t *testing.T, text Text, th TermHit) {
	t.Helper()
	for _, sp := range th.Spans {
		field := text.Body
		if sp.InTitle {
			field = text.Title
		}
		if sp.Start < 0 || sp.Start >= sp.End || sp.End > len(field) {
			t.Fatalf("%q: span %+v outside a field of %d bytes", th.Term, sp, len(field))
		}
		if utf8.ValidString(field) && (!utf8.RuneStart(field[sp.Start]) || sp.End < len(field) && !utf8.RuneStart(field[sp.End])) {
			t.Fatalf("%q: span %+v splits a rune of %q", th.Term, sp, field)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasSpan(ths []TermHit, term string, sp Span) bool {
	for _, th := range ths {
		if th.Term != term {
			continue
		}
		for _, s := range th.Spans {
			if s == sp {
				return true
			}
		}
		return len(th.Spans) == MaxSpans // spans past MaxSpans are not kept
	}
	return false
}

func indexHit(hits []Hit, company string) int {
	for i, h := range hits {
		if h.Company == company {
			return i
		}
	}
	return -1
}

func spansOf(hits []Hit, title bool) []Span {
	var out []Span
	for _, h := range hits {
		for _, th := range append(append([]TermHit(nil), h.Aliases...), h.Terms...) {
			for _, sp := range th.Spans {
				if sp.InTitle == title {
					out = append(out, sp)
				}
			}
		}
	}
	return out
}

// FuzzPrepare checks that Prepare never panics and returns clean text:
// valid UTF-8, no control characters, single spaces, trimmed; and that
// PrepareMap returns the same text with a sound map.
func FuzzPrepare(f *testing.F) {
	for _, s := range []string{
		"<p>Alibaba <b>denies</b> &amp;lt;b&amp;gt;it&amp;#8217;s&amp;lt;/b&amp;gt;</p>",
		"a<script>alert(1)</script>b<style>p{}</style>",
		"<![CDATA[x & y]]> &#0; &#x110000; &#55296; \x00\x1b\u202e",
		"caf\xe9 &notit; &amp R&D <svg><text>x</text></svg> y",
		"&lt;p&gt;escaped&lt;/p&gt; 3 &lt; 4",
		"<title>t</title><textarea>&lt;x&gt;</textarea><plaintext><b>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Prepare(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Prepare(%q) = %q: invalid UTF-8", s, out)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("Prepare(%q) = %q: spaces not collapsed", s, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || r != ' ' && unicode.IsSpace(r) || dropped(r) {
				t.Fatalf("Prepare(%q) = %q: holds %U", s, out, r)
			}
		}
		out2, m := PrepareMap(s)
		if out2 != out {
			t.Fatalf("PrepareMap(%q) = %q, Prepare = %q", s, out2, out)
		}
		if len(m) != len(out)+1 || m[len(out)] != len(s) {
			t.Fatalf("PrepareMap(%q): %d map entries for %d bytes, last %d", s, len(m), len(out), m[len(m)-1])
		}
		for i := range m {
			if m[i] < 0 || m[i] > len(s) || i > 0 && m[i] < m[i-1] {
				t.Fatalf("PrepareMap(%q): m[%d] = %d after %d", s, i, m[i], m[max(i-1, 0)])
			}
		}
	})
}
