package scraper

import (
	"unicode"
	"unicode/utf8"
)

// sanitizeXML removes what encoding/xml rejects even in non-strict mode,
// which would otherwise fail a whole feed over one character: C0 controls
// other than tab, newline and return, U+FFFE and U+FFFF, invalid UTF-8, and
// character references to any of those (&#8;, &#xFFFE;).
func sanitizeXML(b []byte) []byte {
	if !needsSanitizing(b) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c == '&' && i+1 < len(b) && b[i+1] == '#' {
			if n := badCharRef(b[i:]); n > 0 {
				i += n
				continue
			}
		}
		if c < utf8.RuneSelf {
			if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, "\uFFFD"...)
		case r == 0xFFFE || r == 0xFFFF:
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// suspect marks the bytes needsSanitizing looks at twice: C0 controls but
// tab, newline and return; 0xEF, which starts U+FFFE and U+FFFF; '&'.
var suspect = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t[0xEF], t['&'] = true, true
	return t
}()

func needsSanitizing(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	for i, c := range b {
		if !suspect[c] {
			continue
		}
		switch {
		case c < 0x20:
			return true
		case c == 0xEF:
			if i+2 < len(b) && b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF) {
				return true
			}
		case i+1 < len(b) && b[i+1] == '#' && badCharRef(b[i:]) > 0:
			return true
		}
	}
	return false
}

// badCharRef returns the length of the character reference at the start of
// b when it names a character XML forbids, else 0.
func badCharRef(b []byte) int {
	i := 2
	base := 10
	if i < len(b) && (b[i] == 'x' || b[i] == 'X') {
		base = 16
		i++
	}
	start := i
	var n uint64
	for i < len(b) {
		d, ok := digitVal(b[i], base)
		if !ok {
			break
		}
		if n <= unicode.MaxRune {
			n = n*uint64(base) + uint64(d)
		}
		i++
	}
	if i == start || i >= len(b) || b[i] != ';' {
		return 0
	}
	r := rune(n)
	if n > unicode.MaxRune || r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
		r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
		return i + 1
	}
	return 0
}

func digitVal(c byte, base int) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
