package config

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Two digests must never share an identity (Message-ID and output folder):
// the second one's messages would count as already written and its stories
// would never be delivered.
func TestDigestIdentityDistinct(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Morning brief", "morning-brief"},
		{"  Security / EU ", "security-eu"},
		{"", "digest"},
	} {
		if got := Slug(tc.name); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Names made of non-ASCII letters get distinct, stable, ASCII slugs.
	seen := map[string]string{}
	for _, name := range []string{"早报", "晚报", "Café", "Cafe", "Утро", "Вечер", "digest"} {
		s := Slug(name)
		if s != Slug(name) {
			t.Errorf("Slug(%q) is not stable", name)
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				t.Errorf("Slug(%q) = %q: %q is not a lower-case ASCII letter, digit or '-'", name, s, r)
			}
		}
		if other, ok := seen[s]; ok {
			t.Errorf("Slug(%q) = Slug(%q) = %q", name, other, s)
		}
		seen[s] = name
	}
}

func TestDigestIdentityRefused(t *testing.T) {
	const doc = `[[sources]]
name = "The Record"
feed = "https://therecord.media/feed"

[[companies]]
name = "Alibaba"

[[digests]]
name = "Morning brief"
schedule = "0 7 * * *"
to = ["analyst@example.org"]

[[digests]]
name = "Morning-brief"
schedule = "0 8 * * *"
to = ["analyst@example.org"]

[[digests]]
name = "早报"
schedule = "0 7 * * *"
to = ["analyst@example.org"]

[[digests]]
name = "晚报"
schedule = "0 19 * * *"
to = ["analyst@example.org"]
`
	_, err := Parse("watch.toml", []byte(doc))
	if err == nil {
		t.Fatal("two digests sharing an identity were accepted")
	}
	ps := problems(t, err)
	if len(ps) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	p := ps[0]
	if p.Line != 14 || p.Key != "digests[1].name" ||
		!strings.Contains(p.Error(), "watch.toml:9") || !strings.Contains(p.Error(), `"Morning brief"`) {
		t.Errorf("got %q (line %d, key %s), want line 14, digests[1].name, naming watch.toml:9 and \"Morning brief\"", p.Error(), p.Line, p.Key)
	}
}

func TestFolderName(t *testing.T) {
	tests := map[string]string{
		"Morning brief":        "Morning-brief",
		"../../etc/passwd":     "etc-passwd",
		"..":                   "digest",
		"":                     "digest",
		"阿里巴巴 / Cainiao":       "阿里巴巴-Cainiao",
		".hidden":              "hidden",
		"a\x00b":               "a-b",
		"C:\\Windows\\win.ini": "C-Windows-win.ini",
	}
	for in, want := range tests {
		if got := FolderName(in); got != want {
			t.Errorf("FolderName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := FolderName(strings.Repeat("é", 100)); len(got) > 80 || !utf8.ValidString(got) {
		t.Errorf("long name: %q (%d bytes)", got, len(got))
	}
}
