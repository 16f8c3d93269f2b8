package web

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textProblem says why s is not text a person could have typed, "" when
// it is: bytes that are not UTF-8, a control character other than a tab
// or a line break (a NUL), or U+FFFD, the mark a decoder leaves where a
// character was lost (a JSON escape of a lone surrogate, "\udc00",
// decodes to it). Such a value is refused, not read as something else:
// decoded it becomes U+FFFD, which would be saved so, and a search drops
// it as no word at all, so that "q=%ff" searched for everything.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return fmt.Sprintf("is not valid UTF-8 (byte 0x%02x at %d)", s[i], i)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("holds the control character %U", r)
	}
	if strings.ContainsRune(s, utf8.RuneError) {
		return lostChar
	}
	return ""
}

// lostChar is why text holding U+FFFD is refused.
const lostChar = "holds U+FFFD, the mark of a character lost in decoding (as an escaped lone surrogate such as \\udc00 is)"

// checkText refuses query parameters or form fields that are not text
// (textProblem), naming the first such key.
func checkText(v url.Values) error {
	for _, k := range slices.Sorted(maps.Keys(v)) {
		name := k
		if textProblem(k) != "" {
			name = strconv.Quote(k)
		}
		for _, s := range append([]string{k}, v[k]...) {
			if why := textProblem(s); why != "" {
				return fmt.Errorf("%w: %s: %s", errBadRequest, name, why)
			}
		}
	}
	return nil
}

// checkJSONText refuses a decoded JSON value with U+FFFD in a string
// (textProblem), naming the first such key as the entry's checks do
// ("aliases[1]"); an unknown key, as any key with U+FFFD is, was refused
// by the decoding. The body's bytes were checked as UTF-8 already; this
// catches what its escapes decode to: a lone surrogate, "\udc00", is
// decoded to U+FFFD, which no later check can tell from typed text. An
// escaped control character needs no check here: the entry's own checks
// refuse it, naming the key and quoting the value.
func checkJSONText(v any, key string) error {
	switch v := v.(type) {
	case string:
		if strings.ContainsRune(v, utf8.RuneError) {
			return fmt.Errorf("%w: %s: %s", errBadRequest, cmp.Or(key, "body"), lostChar)
		}
	case []any:
		for i, e := range v {
			if err := checkJSONText(e, fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			name := k
			if key != "" {
				name = key + "." + k
			}
			if err := checkJSONText(v[k], name); err != nil {
				return err
			}
		}
	}
	return nil
}
