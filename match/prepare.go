package match

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
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
var dropRaw = map[string]bool{ // raw text: their content is not markup
	"script": true, "style": true, "noscript": true, "iframe": true, "noembed": true, "noframes": true,
}
var dropNested = map[string]bool{ // their content is markup: track depth
	"template": true, "object": true, "svg": true, "math": true,
}

// keptRaw are the other elements whose content an HTML tokenizer reads as
// text up to their end tag, like dropRaw's; their content is kept.
var keptRaw = map[string]bool{"title": true, "textarea": true, "xmp": true, "plaintext": true}

// Elements that do not separate words.
var inline = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true, "code": true,
	"data": true, "del": true, "dfn": true, "em": true, "font": true, "i": true, "ins": true,
	"kbd": true, "mark": true, "q": true, "s": true, "samp": true, "small": true, "span": true,
	"strike": true, "strong": true, "sub": true, "sup": true, "time": true, "tt": true, "u": true,
	"var": true, "wbr": true,
}

// markup is what starts at a '<'.
type markup int

const (
	notMarkup markup = iota // a literal '<'
	startTag
	endTag
	cdata
	ignored // comment, doctype, processing instruction, "</>", a tag cut off by the end
)

// stripPass removes tags and decodes entities once. It splits s as the
// HTML5 tokenizer does, as far as plain text needs: tags (attribute values
// may hold '>'), comments, doctypes and processing instructions, CDATA
// sections, and raw-text elements (script, style, title…) whose content
// runs to their end tag. A tag cut off by the end of s is dropped. This
// replaced golang.org/x/net/html's Tokenizer, whose 4 KB buffer per call
// was a third of all the memory a fetch allocated.
func stripPass(s string, wantMap bool) (string, []int) {
	e := emitter{wantMap: wantMap}
	e.out = make([]byte, 0, len(s))
	if wantMap {
		e.m = make([]int, 0, len(s)+1)
	}
	depth := 0 // inside elements dropped with their markup content
	text := 0  // start of the text not emitted yet
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		lt := i + j
		kind, name, end := scanMarkup(s, lt)
		if kind == notMarkup {
			i = lt + 1
			continue
		}
		if depth == 0 {
			decodeEntities(&e, s[text:lt], text)
		}
		i, text = end, end
		switch kind {
		case cdata:
			if depth == 0 {
				body := s[lt+len("<![CDATA[") : end]
				e.raw(strings.TrimSuffix(body, "]]>"), lt+len("<![CDATA["))
			}
		case startTag, endTag:
			if !inline[name] {
				e.space(lt)
			}
			if dropNested[name] {
				if kind == endTag {
					depth = max(depth-1, 0)
				} else if s[end-2] != '/' { // not self-closing
					depth++
				}
			}
			if kind == startTag && (dropRaw[name] || keptRaw[name]) {
				// Self-closing or not, the content runs to the end tag.
				stop := rawTextEnd(s, end, name)
				if depth == 0 && !dropRaw[name] {
					decodeEntities(&e, s[end:stop], end)
				}
				i, text = stop, stop
			}
		}
	}
	if depth == 0 {
		decodeEntities(&e, s[text:], text)
	}
	if wantMap {
		e.m = append(e.m, len(s))
	}
	// The result is e.out itself, not a copy: nothing writes to it after.
	return unsafe.String(unsafe.SliceData(e.out), len(e.out)), e.m
}

// scanMarkup reads the markup that starts with the '<' at s[lt]: its kind,
// the lower-case tag name for tags, and the offset just past it.
func scanMarkup(s string, lt int) (kind markup, name string, end int) {
	i := lt + 1
	if i >= len(s) {
		return notMarkup, "", 0
	}
	switch c := s[i]; {
	case isLetter(c):
		return scanTag(s, i, startTag)
	case c == '/':
		i++
		switch {
		case i >= len(s):
			return notMarkup, "", 0
		case s[i] == '>':
			return ignored, "", i + 1
		case isLetter(s[i]):
			return scanTag(s, i, endTag)
		}
		return ignored, "", closeAngle(s, i) // a bogus comment
	case c == '!':
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "--"):
			return ignored, "", commentEnd(s, i+3)
		case strings.HasPrefix(rest, "[CDATA["):
			if k := strings.Index(s[i+8:], "]]>"); k >= 0 {
				return cdata, "", i + 8 + k + 3
			}
			return cdata, "", len(s)
		}
		return ignored, "", closeAngle(s, i) // doctype, bogus comment
	case c == '?':
		return ignored, "", closeAngle(s, i)
	}
	return notMarkup, "", 0
}

// scanTag reads a tag whose name starts at s[i]: the name runs to white
// space, '/' or '>'; attribute values in quotes may hold any of them.
func scanTag(s string, i int, kind markup) (markup, string, int) {
	n := i
	for n < len(s) && !isSpace(s[n]) && s[n] != '/' && s[n] != '>' {
		n++
	}
	name := lowerName(s[i:n])
	for i = n; i < len(s); {
		switch c := s[i]; {
		case c == '>':
			return kind, name, i + 1
		case isSpace(c) || c == '/':
			i++
		default: // an attribute: name, then maybe = and a value
			i++ // the first character may be '='
			for i < len(s) && !isSpace(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=' {
				i++
			}
			i = skipSpace(s, i)
			if i >= len(s) || s[i] != '=' {
				continue
			}
			i = skipSpace(s, i+1)
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				k := strings.IndexByte(s[i+1:], s[i])
				if k < 0 {
					return ignored, "", len(s)
				}
				i += k + 2
				continue
			}
			for i < len(s) && !isSpace(s[i]) && s[i] != '>' {
				i++
			}
		}
	}
	return ignored, "", len(s) // cut off: dropped
}

// rawTextEnd returns where the content of the raw-text element name, which
// starts at s[from], ends: at its end tag, or at the end of s.
func rawTextEnd(s string, from int, name string) int {
	if name == "plaintext" {
		return len(s)
	}
	for i := from; ; {
		k := strings.Index(s[i:], "</")
		if k < 0 {
			return len(s)
		}
		i += k
		n := i + 2 + len(name)
		if n <= len(s) && strings.EqualFold(s[i+2:n], name) && (n == len(s) || isSpace(s[n]) || s[n] == '/' || s[n] == '>') {
			return i
		}
		i += 2
	}
}

// commentEnd returns the offset past the comment whose text starts at
// s[i] (after "<!--"): "<!-->" and "<!--->" are empty comments, others
// end at "-->" or "--!>", or at the end of s.
func commentEnd(s string, i int) int {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, ">"):
		return i + 1
	case strings.HasPrefix(rest, "->"):
		return i + 2
	}
	for k := i; ; {
		d := strings.Index(s[k:], "--")
		if d < 0 {
			return len(s)
		}
		k += d + 2
		if strings.HasPrefix(s[k:], ">") {
			return k + 1
		}
		if strings.HasPrefix(s[k:], "!>") {
			return k + 2
		}
		k-- // "--->": the dashes may overlap
	}
}

// closeAngle returns the offset past the first '>' at or after s[i], or the
// end of s.
func closeAngle(s string, i int) int {
	if k := strings.IndexByte(s[i:], '>'); k >= 0 {
		return i + k + 1
	}
	return len(s)
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// isSpace reports HTML's ASCII white space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// lowerName lower-cases an ASCII tag name without allocating when it is
// lower-case already, as nearly all are.
func lowerName(n string) string {
	for i := 0; i < len(n); i++ {
		if c := n[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(n)
		}
	}
	return n
}

// decodeEntities emits raw (from s[base:]) with character references decoded.
func decodeEntities(e *emitter, raw string, base int) {
	i := 0
	for i < len(raw) {
		j := strings.IndexByte(raw[i:], '&')
		if j < 0 {
			e.raw(raw[i:], base+i)
			return
		}
		e.raw(raw[i:i+j], base+i)
		i += j
		if n := entityLen(raw[i:]); n > 0 {
			piece := raw[i : i+n]
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
func entityLen(b string) int {
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
		b := s[i:min(len(s), i+50)]
		if n := entityLen(b); n > 0 && b[n-1] == ';' {
			if piece := b[:n]; html.UnescapeString(piece) != piece {
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
func (e *emitter) raw(b string, base int) {
	for i := 0; i < len(b); {
		c := b[i]
		if c > ' ' && c < 0x7f { // a run of printable ASCII, copied at once
			j := i + 1
			for j < len(b) && b[j] > ' ' && b[j] < 0x7f {
				j++
			}
			e.flushSpace()
			e.out = append(e.out, b[i:j]...)
			if e.wantMap {
				for k := i; k < j; k++ {
					e.m = append(e.m, base+k)
				}
			}
			i = j
			continue
		}
		if c < utf8.RuneSelf {
			e.put(rune(c), 1, base+i)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(b[i:])
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

// flushSpace writes the white space seen before the character that follows,
// unless it led the text.
func (e *emitter) flushSpace() {
	if e.pending {
		if len(e.out) > 0 {
			e.out = append(e.out, ' ')
			if e.wantMap {
				e.m = append(e.m, e.spaceAt)
			}
		}
		e.pending = false
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
	e.flushSpace()
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
