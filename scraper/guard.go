package scraper

// HTML pages need no guard of their own: golang.org/x/net/html refuses a
// document whose open elements nest deeper than 512 (html.Parse returns an
// error), so parsing, selector matching and text extraction never see a
// deeper tree (TestHTMLParserBoundsDepth tries the nestings that do not
// stay on the parser's stack). XML has no such limit: checkDepth below
// bounds a feed before it is parsed.

import (
	"bytes"
	"fmt"
)

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
