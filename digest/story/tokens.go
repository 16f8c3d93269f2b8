package story

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// token is one normalised term and what its spelling said about it.
type token struct {
	term          string
	capital       bool // began with an upper-case letter
	sentenceStart bool // first word of a sentence, so capitalised anyway
	strong        bool // acronym, number or identifier: an entity wherever it stands
	class         bool // a news class added beside a word (see newsWords): no pairs
}

// tokenizer turns text into terms. It caches stems, so one tokenizer
// serves one grouping and is not safe for concurrent use.
type tokenizer struct {
	stems map[string]string
}

func newTokenizer() *tokenizer { return &tokenizer{stems: map[string]string{}} }

// headlinePrefix matches the wire-service labels a headline can start
// with: "UPDATE 2-", "EXCLUSIVE-", "[UPDATED]", "BREAKING:".
var headlinePrefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?:\[[A-Za-z ]{2,20}\]|\((?i:updated?|exclusive|breaking|video|watch|corrected)\)|(?:UPDATE|EXCLUSIVE|BREAKING|REFILE|CORRECTED|CORRECTION|WRAPUP|INSIGHT|ANALYSIS|FACTBOX|RPT|VIDEO|LIVE|(?i:update|exclusive|breaking))(?:\s*\d{1,2})?\s*(?:[-:–—|]|\s+-))\s*`)
})

// trailingMark matches a wire service's version suffix: "... Breach (2)".
var trailingMark = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s*\(\d\)\s*$`) })

// cleanTitle strips a headline's wire-service labels.
func cleanTitle(title string) string {
	for {
		loc := headlinePrefix().FindStringIndex(title)
		if loc == nil || loc[1] == 0 {
			break
		}
		title = title[loc[1]:]
	}
	return trailingMark().ReplaceAllString(title, "")
}

// tokens splits s into terms: words of letters and digits, CJK runs as
// bigrams, stop words dropped.
func (tz *tokenizer) tokens(s string) []token {
	var out []token
	start := true // at the start of a sentence
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isCJK(r):
			j := i
			var run []rune
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !isCJK(r2) {
					break
				}
				run = append(run, r2)
				j += sz
			}
			if len(run) == 1 {
				out = append(out, token{term: string(run)})
			}
			for k := 0; k+1 < len(run); k++ {
				out = append(out, token{term: string(run[k : k+2])})
			}
			i = j
			start = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			j := wordEnd(s, i)
			if i > 0 && s[i-1] == '#' {
				// A hashtag runs words together: "#BanBossy" is "ban bossy".
				for _, w := range camelWords(s[i:j]) {
					out = tz.appendWord(out, w, start)
					start = false
				}
			} else {
				out = tz.appendWord(out, s[i:j], start)
			}
			i = j
			start = false
		default:
			switch r {
			case '.', '!', '?', '\n', ':', ';', '。', '！', '？':
				start = true
			}
			i += size
		}
	}
	return out
}

// wordEnd returns the end of the word starting at i: letters, digits and
// marks, joined across '-' always and across '.' or ',' between digits.
// An apostrophe inside a word ends it: "McDonald's" is "McDonald".
func wordEnd(s string, i int) int {
	j := i
	var prev rune
	for j < len(s) {
		r, sz := utf8.DecodeRuneInString(s[j:])
		if isCJK(r) {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			prev = r
			j += sz
			continue
		}
		if r == '-' || r == '.' || r == ',' {
			next, nsz := utf8.DecodeRuneInString(s[j+sz:])
			joins := r == '-' && (unicode.IsLetter(next) || unicode.IsDigit(next)) && !isCJK(next)
			joins = joins || (unicode.IsDigit(prev) && unicode.IsDigit(next))
			if joins {
				prev = next
				j += sz + nsz
				continue
			}
		}
		break
	}
	return j
}

// appendWord normalises one word (which may hold hyphens) and appends
// its terms to out.
func (tz *tokenizer) appendWord(out []token, w string, start bool) []token {
	if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
		if t, ok := number(w); ok {
			return append(out, token{term: t, strong: true})
		}
		if !mixedHyphen(w) {
			// Identifiers stay whole: "CVE-2025-0282", "G7", "4G".
			t := strings.ToLower(w)
			if utf8.RuneCountInString(t) >= 2 {
				out = append(out, token{term: t, strong: true})
				// "Q4" is a quarter's results.
				for _, class := range newsClasses()[t] {
					out = append(out, token{term: class, class: true})
				}
			}
			return out
		}
		// "2-McDonald", "4-day": a number joined to a word is two terms.
	}
	for part := range strings.SplitSeq(w, "-") {
		if t, ok := number(part); ok {
			out = append(out, token{term: t, strong: true})
			start = false
			continue
		}
		if utf8.RuneCountInString(part) < 2 {
			continue
		}
		lower := foldLatin(strings.ToLower(part))
		if n, ok := numberWords[lower]; ok {
			out = append(out, token{term: n, strong: true})
			start = false
			continue
		}
		if stopWords()[lower] {
			for _, class := range newsClasses()[lower] {
				out = append(out, token{term: class, class: true})
			}
			start = false
			continue
		}
		first, _ := utf8.DecodeRuneInString(part)
		stem := tz.stem(lower)
		out = append(out, token{
			term:          stem,
			capital:       unicode.IsUpper(first),
			sentenceStart: start,
			strong:        acronym(part),
		})
		if !acronym(part) {
			for _, class := range newsClasses()[stem] {
				out = append(out, token{term: class, class: true})
			}
		}
		start = false
	}
	return out
}

// mixedHyphen reports whether w is a number joined by a hyphen to a
// word ("2-McDonald", "4-day"), not an identifier ("CVE-2025-0282").
func mixedHyphen(w string) bool {
	first, rest, ok := strings.Cut(w, "-")
	if !ok || strings.IndexFunc(first, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0 {
		return false
	}
	for part := range strings.SplitSeq(rest, "-") {
		if strings.IndexFunc(part, unicode.IsDigit) < 0 {
			return true
		}
	}
	return false
}

// number normalises a number: "1,000" is "1000", "2nd" and "4th" are "2"
// and "4", "3.50" is "3.5". ok is false when w is not a number.
func number(w string) (string, bool) {
	t := strings.ReplaceAll(w, ",", "")
	for _, suf := range []string{"st", "nd", "rd", "th", "ST", "ND", "RD", "TH"} {
		if len(t) > len(suf) && strings.HasSuffix(t, suf) && isDigit(t[len(t)-len(suf)-1]) {
			t = t[:len(t)-len(suf)]
			break
		}
	}
	if t == "" || !isDigit(t[0]) {
		return "", false
	}
	dot := false
	for i := 0; i < len(t); i++ {
		switch {
		case isDigit(t[i]):
		case t[i] == '.' && !dot:
			dot = true
		default:
			return "", false
		}
	}
	if dot {
		t = strings.TrimRight(strings.TrimRight(t, "0"), ".")
	}
	return t, true
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// numberWords spells out the small numbers and ordinals as digits, so
// "second quarter" meets "2nd quarter" and "two senators" "2 senators".
var numberWords = map[string]string{
	"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
	"eight": "8", "nine": "9", "ten": "10", "twelve": "12", "twenty": "20", "hundred": "100",
	"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6",
	"seventh": "7", "eighth": "8", "ninth": "9", "tenth": "10",
}

// acronym reports whether w is written in capitals (PLA, VSSE, EU).
func acronym(w string) bool {
	upper := 0
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			upper++
		}
	}
	return upper >= 2
}

// stem reduces a lower-case English word to its Snowball (Porter 2) stem,
// so that fine, fines and fined meet in "fine"; words in other scripts
// stay as they are.
func (tz *tokenizer) stem(w string) string {
	if s, ok := tz.stems[w]; ok {
		return s
	}
	s := w
	if isASCII(w) {
		s = english.Stem(w, true)
	}
	tz.stems[w] = s
	return s
}

func isASCII(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isCJK reports whether r belongs to a script written without spaces.
func isCJK(r rune) bool {
	if r < 0x1100 { // below Hangul Jamo: Latin, Greek, Cyrillic, Arabic, Indic...
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// stopWords holds English function words and news boilerplate. Months
// stay: "February sales" is the event. This table, newsClasses and the
// regular expressions of this package are built on first use, not at
// start-up: a command that groups no stories (fetch) does not pay for them.
var stopWords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`
a about above across after afterwards again against all almost alone along already also although always am among
amongst an and another any anyhow anyone anything anyway anywhere are around as at back be became because become
becomes been before beforehand behind being below beside besides between beyond both but by can cannot could
did do does doing done down due during each either else elsewhere enough etc even ever every everyone everything
everywhere except few for former formerly from further had has have having he her here hereafter hereby herein
hers herself him himself his how however i if in indeed into is it its itself just last latter least less
made make many may me meanwhile might more moreover most mostly much must my myself neither never nevertheless
next no nobody none nor not nothing now nowhere of off often on once one only onto or other others otherwise our
ours ourselves out over own per perhaps please put rather re same seem seemed seeming seems several she should
since so some somehow someone something sometime sometimes somewhere still such than that the their theirs them
themselves then thence there thereafter thereby therefore therein thereupon these they this those though through
throughout thus to together too toward towards under until up upon us very via was we well were what whatever
when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which while whither who
whoever whole whom whose why will with within without would yet you your yours yourself yourselves
said says say saying told tell tells according reported reports report reporting reportedly
added adds news statement statements comment comments commented asked new also including include includes
week weeks year years month months day days today yesterday tomorrow time times recent recently
monday tuesday wednesday thursday friday saturday sunday
update updated updates exclusive breaking
mr mrs ms dr inc ltd co corp plc
`) {
		m[w] = true
	}
	return m
})

// camelWords splits a hashtag's run of words where a lower-case letter is
// followed by an upper-case one: "BanBossy" is "Ban", "Bossy".
func camelWords(w string) []string {
	var out []string
	start := 0
	var prev rune
	for i, r := range w {
		if i > 0 && unicode.IsLower(prev) && unicode.IsUpper(r) {
			out = append(out, w[start:i])
			start = i
		}
		prev = r
	}
	return append(out, w[start:])
}

// foldLatin drops the accents of a word in the Latin script, so that
// "Beyoncé" meets "Beyonce" and "Chávez" "Chavez"; words in other
// scripts, where a mark can make another letter, stay as they are.
func foldLatin(w string) string {
	if isASCII(w) {
		return w
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r):
			return w
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}
