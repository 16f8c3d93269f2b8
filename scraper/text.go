package scraper

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanText returns s as valid UTF-8 without control characters (other than
// tab and newline) or noncharacters. Clean input is returned as is.
func cleanText(s string) string {
	if isCleanText(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			b.WriteByte('\n')
		case dropRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isCleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c == '\r' {
				return false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || dropRune(r) {
			return false
		}
		i += size - 1
	}
	return true
}

// dropRune: C0 and C1 controls except tab and newline, DEL, noncharacters
// (U+FFFE, U+FFFF, U+FDD0..U+FDEF and the plane ends), and bidi overrides
// that could disguise a title.
func dropRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// cleanTitle is cleanText on one line: whitespace runs become one space.
func cleanTitle(s string) string {
	s = cleanText(s)
	if !strings.ContainsAny(s, "\t\n") && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}
