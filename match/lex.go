package match

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Gap flags describe the characters between two tokens.
const (
	gapSpace uint8 = 1 << iota // whitespace
	gapJoin                    // hyphen or apostrophe: "Alibaba-backed", "People's"
	gapHard                    // any other punctuation or symbol
	gapStop                    // a sentence terminator, not yet followed by whitespace
	gapSent                    // a sentence break
)

// ASCII character classes for the lexer's fast path.
const (
	cWord  uint8 = 1 << 7
	cUpper uint8 = 1 << 6
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = cWord
		case c >= 'A' && c <= 'Z':
			t[c] = cWord | cUpper
		case c == ' ', c >= '\t' && c <= '\r':
			t[c] = gapSpace
		case c == '-', c == '\'', c == '`', c == '_':
			t[c] = gapJoin
		case c == '.', c == '!', c == '?':
			t[c] = gapHard | gapStop
		case c < ' ', c == 0x7f:
			t[c] = 0 // control characters are ignored
		default:
			t[c] = gapHard
		}
	}
	return t
}()

// token is one word (or one character of an unspaced script) of a text.
type token struct {
	start, end int   // byte offsets in the text
	gap        uint8 // gap flags of the characters before it
	word       int32 // word number: hyphen and apostrophe do not start a new word
	sent       int32 // sentence number
}

// lexer splits a text into tokens and computes each token's key: its NFKC,
// case-folded form. Terms and texts go through the same lexer, which is what
// makes a term's tokens and a text's tokens comparable.
type lexer struct {
	s         string
	pos       int
	n         int   // tokens so far
	word      int32 // of the last token
	sent      int32
	prevShort bool   // the last token is one ASCII letter ("U.S.": no sentence break)
	key       []byte // key of the last token, unless direct
	direct    bool   // the key of the last token is its text
	tmp       []byte
	tmp2      []byte
	tok       token // the last token
	fold      cases.Caser
	foldOK    bool
}

func (lx *lexer) reset(s string) {
	lx.s, lx.pos, lx.n, lx.word, lx.sent, lx.prevShort = s, 0, 0, 0, 0, false
}

// next reads the next token into lx.tok; its key (see id, keyString) is
// valid until the next call.
func (lx *lexer) next() bool {
	s := lx.s
	i := lx.pos
	var gap uint8
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			cl := asciiClass[c]
			if cl&cWord != 0 {
				break
			}
			if cl&gapSpace != 0 && gap&gapStop != 0 {
				gap |= gapSent
			}
			gap |= cl
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			break
		}
		cl := gapClass(r)
		if cl&gapSpace != 0 && gap&gapStop != 0 {
			gap |= gapSent
		}
		gap |= cl
		i += size
	}
	if i >= len(s) {
		lx.pos = i
		return false
	}
	if gap&gapStop != 0 && lx.prevShort && gap&gapSent != 0 && !hasCJKStop(s[lx.pos:i]) {
		gap &^= gapSent // "U.S. officials", "J. Smith"
	}

	start := i
	lx.key = lx.key[:0]
	lx.direct = false
	if s[i] >= utf8.RuneSelf {
		if r, size := utf8.DecodeRuneInString(s[i:]); isUnspaced(r) {
			lx.readUnspaced(i, r, size, gap)
			return true
		}
	}
	ascii := true
	var classes uint8
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			cl := asciiClass[c]
			if cl&cWord == 0 {
				break
			}
			classes |= cl
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.Is(unicode.Cf, r) {
			ascii = false
			i += size
			continue
		}
		if !isWordRune(r) || isUnspaced(r) {
			break
		}
		ascii = false
		i += size
	}
	switch {
	case !ascii:
		lx.key = lx.foldForm(lx.key[:0], s[start:i], true)
	case classes&cUpper != 0:
		for j := start; j < i; j++ {
			c := s[j]
			if asciiClass[c]&cUpper != 0 {
				c += 'a' - 'A'
			}
			lx.key = append(lx.key, c)
		}
	default:
		lx.direct = true // the key is s[start:i]: no copy
	}
	lx.emit(start, i, gap, ascii && i-start == 1 && s[start] > '9')
	return true
}

// readUnspaced emits the token of a script written without spaces, starting
// at start with r (size bytes): the character with its combining marks.
func (lx *lexer) readUnspaced(start int, r rune, size int, gap uint8) {
	s := lx.s
	i := start + size
	for i < len(s) {
		r2, size2 := utf8.DecodeRuneInString(s[i:])
		if !continuesUnspaced(r2) {
			break
		}
		i += size2
	}
	if i-start == size && (stableUnspaced(r) || norm.NFKC.IsNormalString(s[start:i])) {
		lx.direct = true // the key is the character itself
	} else {
		lx.key = lx.foldForm(lx.key, s[start:i], true)
	}
	lx.emit(start, i, gap, false)
}

func (lx *lexer) emit(start, end int, gap uint8, short bool) {
	if lx.n > 0 {
		if gap == 0 || gap&(gapSpace|gapHard) != 0 {
			lx.word++
		}
		if gap&gapSent != 0 {
			lx.sent++
		}
	}
	lx.n++
	lx.pos = end
	lx.prevShort = short
	// Field by field: a composite literal goes through a stack copy
	// that stalls store forwarding, a third of the lexer's time.
	t := &lx.tok
	t.start, t.end, t.gap, t.word, t.sent = start, end, gap, lx.word, lx.sent
}

// id looks the key of the last token up in v.
func (lx *lexer) id(v *vocab) (int32, bool) {
	if lx.direct {
		k := lx.s[lx.tok.start:lx.tok.end]
		return lookup(v, k, hash(k))
	}
	return lookup(v, lx.key, hash(lx.key))
}

// keyString returns the key of the last token.
func (lx *lexer) keyString() string {
	if lx.direct {
		return lx.s[lx.tok.start:lx.tok.end]
	}
	return string(lx.key)
}

// foldForm appends the key of raw (a token's text) to dst: format characters
// removed, NFKC, then (when fold) full case folding.
func (lx *lexer) foldForm(dst []byte, raw string, fold bool) []byte {
	lx.tmp = lx.tmp[:0]
	for _, r := range raw {
		if r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			continue
		}
		lx.tmp = utf8.AppendRune(lx.tmp, r)
	}
	lx.tmp2 = norm.NFKC.Append(lx.tmp2[:0], lx.tmp...)
	if !fold {
		return append(dst, lx.tmp2...)
	}
	if !lx.foldOK {
		lx.fold, lx.foldOK = cases.Fold(), true
	}
	if cap(dst)-len(dst) < 2*len(lx.tmp2)+8 {
		d := make([]byte, len(dst), len(dst)+2*len(lx.tmp2)+16)
		copy(d, dst)
		dst = d
	}
	n := len(dst)
	dst, _, err := transform.Append(lx.fold, dst, lx.tmp2)
	if err != nil {
		return append(dst[:n], lx.tmp2...)
	}
	if !norm.NFKC.IsNormal(dst[n:]) {
		lx.tmp = append(lx.tmp[:0], dst[n:]...)
		dst = norm.NFKC.Append(dst[:n], lx.tmp...)
	}
	return dst
}

// isWordRune reports whether r continues a word: letters, digits and marks
// of any script.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiClass[r]&cWord != 0
	}
	if r == 'ʼ' { // modifier apostrophe, used as an apostrophe
		return false
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// unspacedScripts are written without spaces between words; each of their
// characters is a token, so their terms match as substrings.
var unspacedScripts = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar,
}

func isUnspaced(r rune) bool {
	if r < 0x0E00 {
		return false
	}
	return unicode.In(r, unspacedScripts...)
}

// stableUnspaced reports whether r is in a block whose characters NFKC
// and case folding leave alone: CJK ideographs, kana, Hangul syllables.
func stableUnspaced(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3041 && r <= 0x3096 ||
		r >= 0x30A1 && r <= 0x30FA || r >= 0xAC00 && r <= 0xD7A3
}

// continuesUnspaced reports whether r belongs to the token of the unspaced
// character before it: combining marks, Hangul vowel and final jamo,
// half-width voicing marks.
func continuesUnspaced(r rune) bool {
	switch {
	case r >= 0x1160 && r <= 0x11FF, r >= 0xD7B0 && r <= 0xD7FB:
		return true
	case r == 0xFF9E, r == 0xFF9F:
		return true
	}
	return unicode.IsMark(r)
}

// gapClass classifies a non-word rune.
func gapClass(r rune) uint8 {
	switch r {
	case '’', '‘', 'ʼ', '＇', '′', '´', '‛':
		return gapJoin
	case '‐', '‑', '‒', '–', '−', '﹣', '－', '⁃':
		return gapJoin
	case '。', '！', '？', '｡':
		return gapHard | gapSent
	case '．':
		return gapHard | gapStop
	case '…':
		return gapHard
	}
	switch {
	case unicode.IsSpace(r):
		return gapSpace
	case unicode.Is(unicode.Cf, r), unicode.IsControl(r):
		return 0
	}
	return gapHard
}

func hasCJKStop(gap string) bool {
	for _, r := range gap {
		if r == '。' || r == '！' || r == '？' || r == '｡' {
			return true
		}
	}
	return false
}
