package config

import (
	"regexp"
	"strings"
	"testing"
)

func TestNormalPath(t *testing.T) {
	// The rule as a regular expression: every [digits] becomes [].
	rule := regexp.MustCompile(`\[\d+\]`)
	for _, path := range []string{
		"", "timezone", "sources[3].links", "sources[999].feed", "digests[0].to[12]", "sources[]",
		"a[", "a[1", "a[x]", "a[1x]", "a[[2]]", `companies[0]."odd[7] key"`, "[5]", "a[0][1].b[2]",
	} {
		want := rule.ReplaceAllString(path, "[]")
		if got := normalPath(path); got != want {
			t.Errorf("normalPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestIsBareKey(t *testing.T) {
	rule := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	for _, s := range []string{"", "name", "max_age", "a-b", "A9", "a.b", "a b", "é", "a\"", "[x]"} {
		if got, want := isBareKey(s), rule.MatchString(s); got != want {
			t.Errorf("isBareKey(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	// The rule in Unicode-aware functions; fold has a one-pass ASCII path.
	rule := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	for _, s := range []string{
		"", " ", "Wire 00001", "  The\tRecord \n", "a\vb\fc\rd", "ALL CAPS", "x_Y-z!",
		"Ünïcode  Nàme", "non\u00a0breaking", "next\u0085line", "ǅ Titlecase",
	} {
		if got, want := fold(s), rule(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestSameName: two names are the same where the configuration would
// refuse them side by side, and only there.
func TestSameName(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Alibaba", "ALIBABA", true},
		{"Acme  Corp", " acme corp", true},
		{"Lords", "Lordſ", false}, // allowed side by side: not the same entry
		{"Acme", "Acme Corp", false},
	} {
		if got := SameName(c.a, c.b); got != c.same {
			t.Errorf("SameName(%q, %q) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}
