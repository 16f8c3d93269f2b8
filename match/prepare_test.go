package match

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrepare(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Alibaba denies report", "Alibaba denies report"},
		{"tags", "<p>Alibaba <b>denies</b> <a href=\"x\">report</a></p>", "Alibaba denies report"},
		{"inline tags keep words", "Ali<b>baba</b> denies", "Alibaba denies"},
		{"block tags separate words", "<p>Alibaba</p><p>denies</p><br>it<li>now", "Alibaba denies it now"},
		{"script and style dropped", "a<script>var x = '<b>Alibaba</b>';</script>b<style>p{color:red}</style>c", "a b c"},
		{"self-closing script", "a<script/>alert(1)</script>b", "a b"},
		{"noscript and template", "a<noscript>enable JS</noscript><template><p>hidden</p></template>b", "a b"},
		{"svg dropped", "x<svg><text>label</text></svg>y", "x y"},
		{"math dropped", "x<math><mi>label</mi></math>y", "x y"},
		{"iframe dropped", "x<iframe>fallback <b>text</b></iframe>y", "x y"},
		{"stray end tag of a dropped element", "a</svg>b<svg>c</svg>d", "a b d"},
		{"comment", "Ali<!-- note -->baba", "Alibaba"},
		{"entities", "AT&amp;T &lt;3 caf&eacute; it&#8217;s &#x2019; &nbsp;x", "AT&T <3 café it’s ’ x"},
		{"double-escaped tags", "&amp;lt;b&amp;gt;Alibaba&amp;lt;/b&amp;gt; spy", "Alibaba spy"},
		{"double-escaped character", "it&amp;#8217;s", "it’s"},
		{"escaped tags", "&lt;p&gt;Alibaba&lt;/p&gt;", "Alibaba"},
		{"literal less-than", "3 &lt; 4 and 5 > 2", "3 < 4 and 5 > 2"},
		{"bare ampersand", "R&D and AT&T", "R&D and AT&T"},
		{"whitespace collapsed", "  a \t\n\r b\u00a0\u2003c\u3000d  ", "a b c d"},
		{"control characters", "a\x00b\x07c\x1bd\u0085e", "abcd e"},
		{"invalid UTF-8", "caf\xe9 ok", "caf\ufffd ok"},
		{"invisible characters", "Ali\u00adbaba\u200b \ufeffx\u202eevil", "Alibaba xevil"},
		{"bidirectional isolates", "\u2066Ali\u2067ba\u2068ba\u2069", "Alibaba"},
		{"cdata", "<![CDATA[Alibaba & <spy>]]> ok", "Alibaba & <spy> ok"},
		{"unterminated tag", "Alibaba <b", "Alibaba"},
		{"quoted attribute holds >", `<a title="a > b" href='x>y'>Alibaba</a> spy`, "Alibaba spy"},
		{"unquoted attribute", "<a href=x>Ali</a>baba", "Alibaba"},
		{"unterminated attribute value", `Alibaba <a href="x>spy`, "Alibaba"},
		{"upper-case tags", "<P>Alibaba</P><SCRIPT>x</SCRIPT >spy", "Alibaba spy"},
		{"script ends only at its end tag", "a<script>if (x</b) '</scripts>'</script>b", "a b"},
		{"raw title kept as text", "<title>Ali<b>baba</title>", "Alibaba"},
		{"plaintext runs to the end", "a<plaintext>b</plaintext>c", "a b</plaintext>c"},
		{"doctype and processing instruction", "<!DOCTYPE html><?xml version=\"1.0\"?>Alibaba", "Alibaba"},
		{"empty comments", "Ali<!-->baba <!--->spy", "Alibaba spy"},
		{"comment with dashes", "Ali<!-- a -- b --->baba", "Alibaba"},
		{"bogus end tags", "Ali</>baba </ x>spy", "Alibaba spy"},
		{"literal less-than before a digit or space", "a <3 b < c", "a <3 b < c"},
		{"unterminated comment", "Alibaba <!-- spy", "Alibaba"},
		{"svg self-closing drops nothing", "x<svg/>y", "x y"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Prepare(tt.in); got != tt.want {
				t.Errorf("Prepare(%q) = %q, want %q", tt.in, got, tt.want)
			}
			out, m := PrepareMap(tt.in)
			if out != tt.want {
				t.Errorf("PrepareMap(%q) = %q, want %q", tt.in, out, tt.want)
			}
			checkMap(t, tt.in, out, m)
		})
	}
}

func checkMap(t *testing.T, in, out string, m []int) {
	t.Helper()
	if len(m) != len(out)+1 {
		t.Fatalf("map has %d entries for %d bytes", len(m), len(out))
	}
	if m[len(out)] != len(in) {
		t.Errorf("m[len(out)] = %d, want %d", m[len(out)], len(in))
	}
	for i := range m {
		if m[i] < 0 || m[i] > len(in) || i > 0 && m[i] < m[i-1] {
			t.Fatalf("m[%d] = %d (previous %d, input %d bytes)", i, m[i], m[max(i-1, 0)], len(in))
		}
	}
}

func TestPrepareMap(t *testing.T) {
	in := "<p>Alibaba&#8217;s <b>spy</b>\n\n case</p>"
	out, m := PrepareMap(in)
	if out != "Alibaba’s spy case" {
		t.Fatalf("out = %q", out)
	}
	for _, word := range []string{"Alibaba", "spy", "case"} {
		i := strings.Index(out, word)
		if got := in[m[i] : m[i+len(word)-1]+1]; got != word {
			t.Errorf("%q maps back to %q", word, got)
		}
	}
	i := strings.Index(out, "’")
	if !strings.HasPrefix(in[m[i]:], "&#8217;") {
		t.Errorf("’ maps to %q", in[m[i]:])
	}
	// Text without markup maps byte for byte.
	plain := "Alibaba’s  spy\tcase"
	out, m = PrepareMap(plain)
	for i := range out {
		if out[i] != ' ' && out[i] != plain[m[i]] {
			t.Errorf("byte %d: %q maps to %q", i, out[i], plain[m[i]])
		}
	}
	// Double-escaped content maps into the original.
	in = "x &amp;lt;b&amp;gt;Alibaba&amp;lt;/b&amp;gt;"
	out, m = PrepareMap(in)
	if out != "x Alibaba" {
		t.Fatalf("out = %q", out)
	}
	if got := in[m[2] : m[len(out)-1]+1]; got != "Alibaba" {
		t.Errorf("Alibaba maps back to %q", got)
	}
}

func TestSnippet(t *testing.T) {
	long := "First sentence is here. " + strings.Repeat("filler words go on ", 10) +
		"and on. Then Alibaba was accused of espionage by the state. " + strings.Repeat("more text follows here ", 10)
	a := strings.Index(long, "Alibaba")
	e := strings.Index(long, "espionage")
	tests := []struct {
		name      string
		text      string
		spans     []Span
		max       int
		want      string
		highlight []string
	}{
		{"fits", "Alibaba spy", []Span{{0, 7, false}, {8, 11, false}}, 100, "Alibaba spy", []string{"Alibaba", "spy"}},
		{"no limit", "Alibaba spy", []Span{{8, 11, false}}, 0, "Alibaba spy", []string{"spy"}},
		{"sentence start", long, []Span{{e, e + 9, false}, {a, a + 7, false}}, 80,
			"…Then Alibaba was accused of espionage by the state. more text follows here more…", []string{"Alibaba", "espionage"}},
		{"no spans", long, nil, 30, "First sentence is here. filler…", nil},
		{"bad spans ignored", "Alibaba spy", []Span{{-1, 3, false}, {5, 50, false}, {4, 4, false}}, 5, "Aliba…", nil},
		{"overlapping spans merged", "Alibaba Group spy", []Span{{0, 13, true}, {0, 7, true}}, 100, "Alibaba Group spy", []string{"Alibaba Group"}},
		{"end of text", strings.Repeat("word ", 40) + "ends with Alibaba", []Span{{200 + 10, 200 + 17, false}}, 40,
			"…word word word word ends with Alibaba", []string{"Alibaba"}},
		{"no spaces", strings.Repeat("文", 100) + "阿里巴巴" + strings.Repeat("字", 100), []Span{{300, 312, false}}, 60,
			"…" + strings.Repeat("文", 6) + "阿里巴巴" + strings.Repeat("字", 10) + "…", []string{"阿里巴巴"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, spans := Snippet(tt.text, tt.spans, tt.max)
			if got != tt.want {
				t.Errorf("Snippet = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8: %q", got)
			}
			var hl []string
			for _, sp := range spans {
				if sp.Start < 0 || sp.End > len(got) || sp.Start >= sp.End {
					t.Fatalf("span %+v outside %q", sp, got)
				}
				hl = append(hl, got[sp.Start:sp.End])
			}
			if strings.Join(hl, "|") != strings.Join(tt.highlight, "|") {
				t.Errorf("highlights = %q, want %q", hl, tt.highlight)
			}
		})
	}
}
