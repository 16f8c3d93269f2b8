package web

import (
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
// it is: bytes that are not UTF-8, or a control character other than a
// tab or a line break (a NUL). Such a value is refused, not read as
// something else: decoded it becomes U+FFFD, and a search drops it as no
// word at all, so that "q=%ff" searched for everything.
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
	return ""
}

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
