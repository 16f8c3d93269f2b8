package scraper

import (
	"bytes"
	"fmt"
	"strings"
)

// maxHTMLDepth bounds element nesting in the pages we parse (see
// htmlTooDeep); real pages stay within a few dozen levels.
const maxHTMLDepth = 512

// htmlTooDeep reports whether the elements of an HTML document may nest
// deeper than limit. The HTML parser has no depth limit, its cost grows
// with the depth for every tag, and selector matching and text extraction
// recurse, so a page of nothing but "<div>" must be refused before parsing.
// The count is an upper bound: start tags minus end tags of the elements
// that need one, skipping comments and the content of raw-text elements.
func htmlTooDeep(b []byte, limit int) bool {
	depth := 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 || i+j+1 >= len(b) {
			return false
		}
		i += j + 1
		switch c := b[i]; {
		case c == '!':
			if bytes.HasPrefix(b[i:], []byte("!--")) {
				i = skipPast(b, i+3, "-->")
			} else {
				i = skipPast(b, i, ">")
			}
		case c == '?':
			i = skipPast(b, i, ">")
		case c == '/':
			name := tagName(b[i+1:])
			if name != "" && !noEndTag[name] && depth > 0 {
				depth--
			}
			i = skipPast(b, i, ">")
		case isASCIILetter(c):
			name := tagName(b[i:])
			end, _ := tagEnd(b, i)
			i = end
			switch {
			case rawText[name]:
				i = skipRawText(b, i, name)
			case !noEndTag[name]:
				if depth++; depth > limit {
					return true
				}
			}
		}
		if i >= len(b) {
			return false
		}
	}
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// tagName returns the lower-cased tag name at the start of b.
func tagName(b []byte) string {
	n := 0
	for n < len(b) && n < 32 && (isASCIILetter(b[n]) || n > 0 && (b[n] >= '0' && b[n] <= '9' || b[n] == '-')) {
		n++
	}
	return strings.ToLower(string(b[:n]))
}

// skipRawText returns the offset of the end tag of the raw-text element
// name whose content starts at i.
func skipRawText(b []byte, i int, name string) int {
	end := []byte("</" + name)
	for i < len(b) {
		k := bytes.Index(b[i:], []byte("</"))
		if k < 0 {
			return len(b)
		}
		i += k
		if len(b)-i >= len(end) && bytes.EqualFold(b[i:i+len(end)], end) {
			return i
		}
		i += 2
	}
	return len(b)
}

// rawText elements hold text, not tags, up to their end tag.
var rawText = map[string]bool{
	"script": true, "style": true, "textarea": true, "title": true, "xmp": true,
	"iframe": true, "noembed": true, "noframes": true, "plaintext": true,
}

// noEndTag: void elements, and elements whose end tag is optional and that
// the parser closes when a sibling starts, so they do not nest when unclosed.
var noEndTag = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "param": true,
	"source": true, "track": true, "wbr": true, "keygen": true, "frame": true,
	"basefont": true, "bgsound": true, "image": true,
	"p": true, "li": true, "dt": true, "dd": true, "option": true, "optgroup": true,
	"tr": true, "td": true, "th": true, "thead": true, "tbody": true, "tfoot": true,
	"rb": true, "rt": true, "rp": true, "rtc": true, "colgroup": true,
}

// maxDepth bounds element nesting; real feeds, XHTML content included,
// stay within a few dozen levels.
const maxDepth = 1000

// checkDepth fails when XML elements nest deeper than limit. It is a cheap
// scan, not a parser: it jumps from '<' to '<', skips comments, CDATA,
// declarations and processing instructions, and counts start, end and
// empty-element tags (quote-aware, since '>' may appear in attribute values).
func checkDepth(b []byte, limit int) error {
	depth := 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 || i+j+1 >= len(b) {
			return nil
		}
		i += j + 1
		switch b[i] {
		case '/':
			depth--
			i = skipPast(b, i, ">")
		case '?':
			i = skipPast(b, i, "?>")
		case '!':
			switch {
			case bytes.HasPrefix(b[i:], []byte("!--")):
				i = skipPast(b, i+3, "-->")
			case bytes.HasPrefix(b[i:], []byte("![CDATA[")):
				i = skipPast(b, i+8, "]]>")
			default:
				i = skipPast(b, i, ">")
			}
		default:
			end, selfClosing := tagEnd(b, i)
			if !selfClosing {
				depth++
				if depth > limit {
					return fmt.Errorf("%w: elements nested deeper than %d", ErrMalformed, limit)
				}
			}
			i = end
		}
		if i >= len(b) {
			return nil
		}
	}
}

func skipPast(b []byte, i int, end string) int {
	k := bytes.Index(b[i:], []byte(end))
	if k < 0 {
		return len(b)
	}
	return i + k + len(end)
}

// tagEnd returns the offset just past the '>' closing the tag whose name
// starts at i, and whether it ends with "/>".
func tagEnd(b []byte, i int) (int, bool) {
	var quote byte
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, b[i-1] == '/'
		case c == '<': // malformed: a new tag starts; let the parser judge
			return i, false
		}
	}
	return len(b), false
}
