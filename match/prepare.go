package match

import (
	"bytes"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// maxPasses bounds how many times escaped markup is unwrapped: feed content
// escaped twice ("&amp;lt;b&amp;gt;") needs three passes.
const maxPasses = 3

// Prepare turns feed HTML or text into plain text: tags removed (script and
// style dropped with their content), entities decoded (twice-escaped too),
// whitespace collapsed.
//
// In detail: elements whose content is not text (script, style, noscript,
// template, iframe, noembed, noframes, object, svg, math) are dropped with
// their content; block-level tags and <br> become a space, inline ones
// (a, b, em, span…) nothing, so "Ali<b>baba</b>" stays one word. CDATA
// sections are kept as text. When the result still holds an entity
// ("&#8217;") or markup ("<b>"), the content was escaped once more than it
// should have been, and it is unwrapped again, up to three times. Invalid
// UTF-8 becomes U+FFFD; control characters, bidirectional controls, soft
// hyphens, zero-width spaces and byte order marks are removed; every run of
// white space becomes one space, and the result is trimmed. Prepare never
// panics.
func Prepare(s string) string {
	out, _ := prepare(s, false)
	return out
}

// PrepareMap is Prepare that also returns, for each byte of the result, the
// byte offset in s it came from: out[i] came from s[m[i]], and m has
// len(out)+1 entries, m[len(out)] = len(s), so out[a:b] came from
// s[m[a]:m[b]]. m is non-decreasing. All bytes of a decoded entity map to
// its '&'; a collapsed space maps to the first white space (or tag) it
// replaces.
func PrepareMap(s string) (string, []int) {
	return prepare(s, true)
}

func prepare(s string, wantMap bool) (string, []int) {
	out, m := stripPass(s, wantMap)
	for pass := 1; pass < maxPasses && (hasEntity(out) || hasMarkup(out)); pass++ {
		out2, m2 := stripPass(out, wantMap)
		if wantMap {
			for i, j := range m2 {
				m2[i] = m[j]
			}
		}
		out, m = out2, m2
	}
	if wantMap {
		m[len(out)] = len(s)
	}
	return out, m
}

// Elements dropped with their content.
var dropRaw = map[string]bool{ // the tokenizer returns their content as one text token
	"script": true, "style": true, "noscript": true, "iframe": true, "noembed": true, "noframes": true,
}
var dropNested = map[string]bool{ // their content is markup: track depth
	"template": true, "object": true, "svg": true, "math": true,
}

// Elements that do not separate words.
var inline = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true, "code": true,
	"data": true, "del": true, "dfn": true, "em": true, "font": true, "i": true, "ins": true,
	"kbd": true, "mark": true, "q": true, "s": true, "samp": true, "small": true, "span": true,
	"strike": true, "strong": true, "sub": true, "sup": true, "time": true, "tt": true, "u": true,
	"var": true, "wbr": true,
}

// stripPass removes tags and decodes entities once.
func stripPass(s string, wantMap bool) (string, []int) {
	e := emitter{wantMap: wantMap}
	e.out = make([]byte, 0, len(s))
	if wantMap {
		e.m = make([]int, 0, len(s)+1)
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	z.AllowCDATA(true)
	off := 0
	skipText := false
	depth := 0
	for {
		tt := z.Next()
		raw := z.Raw()
		start := off
		off += len(raw)
		switch tt {
		case xhtml.ErrorToken:
			if wantMap {
				e.m = append(e.m, len(s))
			}
			return string(e.out), e.m
		case xhtml.TextToken:
			if skipText || depth > 0 {
				skipText = false
				continue
			}
			if bytes.HasPrefix(raw, []byte("<![CDATA[")) {
				body := bytes.TrimSuffix(raw[len("<![CDATA["):], []byte("]]>"))
				e.raw(body, start+len("<![CDATA["))
				continue
			}
			decodeEntities(&e, raw, start)
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			skipText = false
			name, _ := z.TagName()
			tag := string(name)
			if tt != xhtml.EndTagToken && dropRaw[tag] {
				skipText = true
			}
			if dropNested[tag] {
				switch tt {
				case xhtml.StartTagToken:
					depth++
				case xhtml.EndTagToken:
					depth = max(depth-1, 0)
				}
			}
			if !inline[tag] {
				e.space(start)
			}
		default: // comments, doctypes
			skipText = false
		}
	}
}

// decodeEntities emits raw (from s[base:]) with character references decoded.
func decodeEntities(e *emitter, raw []byte, base int) {
	i := 0
	for i < len(raw) {
		j := bytes.IndexByte(raw[i:], '&')
		if j < 0 {
			e.raw(raw[i:], base+i)
			return
		}
		e.raw(raw[i:i+j], base+i)
		i += j
		if n := entityLen(raw[i:]); n > 0 {
			piece := string(raw[i : i+n])
			if dec := html.UnescapeString(piece); dec != piece {
				e.fixed(dec, base+i)
				i += n
				continue
			}
		}
		e.raw(raw[i:i+1], base+i)
		i++
	}
}

// entityLen returns the length of the character reference candidate at the
// start of b ("&amp;", "&#8217;", "&#x2019;", "&amp" without ';'), 0 if none.
func entityLen(b []byte) int {
	if len(b) < 2 || b[0] != '&' {
		return 0
	}
	i := 1
	if b[1] == '#' {
		i = 2
		hex := false
		if i < len(b) && (b[i] == 'x' || b[i] == 'X') {
			hex = true
			i++
		}
		d := i
		for i < len(b) && i-d < 10 && (isDigit(b[i]) || hex && isHex(b[i])) {
			i++
		}
		if i == d {
			return 0
		}
	} else {
		for i < len(b) && i < 40 && (isDigit(b[i]) || isHex(b[i]) || b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z') {
			i++
		}
		if i == 1 {
			return 0
		}
	}
	if i < len(b) && b[i] == ';' {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// hasEntity reports whether s holds a character reference ending in ';'.
func hasEntity(s string) bool {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '&')
		if j < 0 {
			return false
		}
		i += j
		b := []byte(s[i:min(len(s), i+50)])
		if n := entityLen(b); n > 0 && b[n-1] == ';' {
			if piece := string(b[:n]); html.UnescapeString(piece) != piece {
				return true
			}
		}
		i++
	}
	return false
}

// markupTags are the elements whose tags, found in decoded text, show that
// the text was escaped markup.
var markupTags = map[string]bool{
	"a": true, "b": true, "i": true, "u": true, "p": true, "br": true, "hr": true, "div": true,
	"span": true, "strong": true, "em": true, "img": true, "ul": true, "ol": true, "li": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "table": true,
	"tr": true, "td": true, "th": true, "script": true, "style": true, "blockquote": true,
	"figure": true, "figcaption": true, "iframe": true, "font": true, "small": true, "sup": true,
	"sub": true, "pre": true, "code": true, "section": true, "article": true, "header": true,
	"footer": true, "html": true, "body": true, "head": true, "meta": true, "link": true,
	"noscript": true, "svg": true, "picture": true, "source": true, "video": true, "audio": true,
}

// hasMarkup reports whether s holds an HTML tag of a common element or a comment.
func hasMarkup(s string) bool {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		k := i
		if strings.HasPrefix(s[k:], "!--") {
			return true
		}
		if k < len(s) && s[k] == '/' {
			k++
		}
		n := k
		for n < len(s) && n-k < 12 && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9') {
			n++
		}
		if n == k || !markupTags[strings.ToLower(s[k:n])] {
			continue
		}
		if n == len(s) || s[n] == '>' || s[n] == '/' || s[n] == ' ' || s[n] == '\t' || s[n] == '\n' {
			return true
		}
	}
	return false
}

// emitter builds the plain text, collapsing white space and dropping
// characters that do not belong in it.
type emitter struct {
	out     []byte
	m       []int
	wantMap bool
	pending bool // white space seen since the last character
	spaceAt int  // where that white space started
}

// raw emits b, which starts at offset base of the input.
func (e *emitter) raw(b []byte, base int) {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			e.put(rune(c), 1, base+i)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		e.put(r, size, base+i)
		i += size
	}
}

// fixed emits s, all of which comes from offset src of the input.
func (e *emitter) fixed(s string, src int) {
	for _, r := range s {
		e.put(r, utf8.RuneLen(r), src)
	}
}

// space marks a word break at offset src.
func (e *emitter) space(src int) {
	if !e.pending {
		e.pending, e.spaceAt = true, src
	}
}

func (e *emitter) put(r rune, size int, src int) {
	switch {
	case r == ' ' || r >= '\t' && r <= '\r':
		e.space(src)
		return
	case r < ' ' || r == 0x7f:
		return
	case r < utf8.RuneSelf:
	case r == utf8.RuneError && size <= 1:
		r = utf8.RuneError // invalid UTF-8
	case unicode.IsSpace(r):
		e.space(src)
		return
	case dropped(r):
		return
	}
	if e.pending {
		if len(e.out) > 0 {
			e.out = append(e.out, ' ')
			if e.wantMap {
				e.m = append(e.m, e.spaceAt)
			}
		}
		e.pending = false
	}
	n := len(e.out)
	e.out = utf8.AppendRune(e.out, r)
	if e.wantMap {
		for range len(e.out) - n {
			e.m = append(e.m, src)
		}
	}
}

// dropped reports whether r is removed from plain text: controls,
// bidirectional controls, invisible format characters and non-characters.
func dropped(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == 0x00AD, r == 0x200B, r == 0x2060, r == 0xFEFF, r == 0x061C, r == 0x180E:
		return true
	case r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0xFFFE, r == 0xFFFF:
		return true
	}
	return false
}
