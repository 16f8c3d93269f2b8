package match

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Ellipsis marks where Snippet cut the text.
const Ellipsis = "…"

// Snippet cuts about max bytes of text around the first span, for a digest:
// it starts at the beginning of the span's sentence when that fits, else
// about a quarter of max before the span, and ends at a word boundary (a
// rune boundary in text without spaces); an Ellipsis marks each cut. It
// returns the snippet and the spans that fall in it, relative to the
// snippet, sorted, merged where they overlap and clipped to the cut; spans
// outside text are ignored, InTitle is kept. With max <= 0 or a text that
// fits, the text is returned whole.
func Snippet(text string, spans []Span, max int) (string, []Span) {
	return snippet(text, spans, max)
}

func snippet(text string, spans []Span, size int) (string, []Span) {
	var sp []Span
	for _, s := range spans {
		if s.Start >= 0 && s.Start < s.End && s.End <= len(text) {
			sp = append(sp, s)
		}
	}
	slices.SortFunc(sp, func(a, b Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	merged := sp[:0]
	for _, s := range sp {
		if n := len(merged); n > 0 && s.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, s.End)
			continue
		}
		merged = append(merged, s)
	}
	sp = merged
	if size <= 0 || len(text) <= size {
		return text, sp
	}

	var a Span
	if len(sp) > 0 {
		a = sp[0]
	}
	var start, end int
	if a.End-a.Start >= size {
		start, end = a.Start, a.Start+size
	} else {
		room := size - (a.End - a.Start)
		if s := sentenceStart(text, a.Start, room*2/3); s >= 0 {
			start = s
		} else {
			start = wordStartAfter(text, max(0, a.Start-room/3), a.Start)
		}
		end = min(len(text), start+size)
		if end == len(text) {
			// Near the end: use the room before.
			start = min(start, wordStartAfter(text, max(0, end-size), a.Start))
		} else {
			end = wordEndBefore(text, end, a.End)
		}
	}
	start, end = runeStart(text, start), runeStart(text, end)
	lo := start + len(text[start:end]) - len(strings.TrimLeft(text[start:end], " "))
	hi := max(lo, start+len(strings.TrimRight(text[start:end], " ")))

	var b strings.Builder
	if start > 0 {
		b.WriteString(Ellipsis)
	}
	shift := b.Len() - lo
	b.WriteString(text[lo:hi])
	if end < len(text) {
		b.WriteString(Ellipsis)
	}
	var out []Span
	for _, s := range sp {
		s.Start, s.End = max(s.Start, lo), min(s.End, hi)
		if s.Start >= s.End {
			continue
		}
		s.Start += shift
		s.End += shift
		out = append(out, s)
	}
	return b.String(), out
}

// sentenceStart returns where the sentence holding offset at begins, if
// that is at most within bytes before it, or -1.
func sentenceStart(text string, at, within int) int {
	if at == 0 {
		return 0
	}
	for i := at - 1; i > 0 && at-i <= within; i-- {
		if text[i] == ' ' && (text[i-1] == '.' || text[i-1] == '!' || text[i-1] == '?') {
			return i + 1
		}
		if r, n := utf8.DecodeLastRuneInString(text[:i+1]); n > 1 && (r == '。' || r == '！' || r == '？') {
			return i + 1
		}
	}
	if at <= within {
		return 0
	}
	return -1
}

// wordStartAfter returns the first word start at or after i, but not after limit.
func wordStartAfter(text string, i, limit int) int {
	if i == 0 || text[i-1] == ' ' {
		return i
	}
	if j := strings.IndexByte(text[i:limit], ' '); j >= 0 {
		return i + j + 1
	}
	return i
}

// wordEndBefore returns the last word end at or before i, but not before limit.
func wordEndBefore(text string, i, limit int) int {
	if i >= len(text) || text[i] == ' ' {
		return i
	}
	if limit < i {
		if j := strings.LastIndexByte(text[limit:i], ' '); j >= 0 {
			return limit + j
		}
	}
	return i
}

// runeStart moves i back to the start of the rune it falls in.
func runeStart(text string, i int) int {
	for i > 0 && i < len(text) && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}
