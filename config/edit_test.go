package config

import (
	"errors"
	"strings"
	"testing"
)

const editable = `# my watchlist
timezone = "UTC"

[[companies]]
name = "Alibaba"   # the big one
aliases = [
  "Alibaba Group", # group
  "Cainiao",
]
near = 0

# second
[[companies]]
name = 'Tencent'

[[topics]]
name = "Espionage"
terms = ["spy"] # short
`

func TestEditEntry(t *testing.T) {
	for name, tc := range map[string]struct {
		section, entry string
		settings       []Setting
		want           string
	}{
		"multi-line list": {"companies", "Alibaba", []Setting{{"aliases", []string{"Alibaba Group", "Aliyun"}}},
			strings.Replace(editable, "[\n  \"Alibaba Group\", # group\n  \"Cainiao\",\n]", `["Alibaba Group", "Aliyun"]`, 1)},
		"new key after the name": {"companies", "Tencent", []Setting{{"exclude", []string{`Tencent "Music"`}}, {"all_news", true}},
			strings.Replace(editable, "name = 'Tencent'\n", "name = 'Tencent'\nall_news = true\nexclude = [\"Tencent \\\"Music\\\"\"]\n", 1)},
		"comment kept": {"topics", "Espionage", []Setting{{"terms", []string{"spy", "spying"}}},
			strings.Replace(editable, `terms = ["spy"] # short`, `terms = ["spy", "spying"] # short`, 1)},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := EditEntry([]byte(editable), tc.section, tc.entry, tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if _, err := Parse("edit.toml", got); err != nil {
				t.Errorf("edited file does not parse: %v", err)
			}
		})
	}
	if _, err := EditEntry([]byte(editable), "companies", "Nobody", nil); !errors.Is(err, ErrEntryNotFound) {
		t.Errorf("unknown entry: %v", err)
	}
	inline := "companies = [{name = \"A\", aliases = []}]\n"
	if _, err := EditEntry([]byte(inline), "companies", "A", []Setting{{"aliases", []string{"b"}}}); !errors.Is(err, ErrNotEditable) {
		t.Errorf("inline table: %v", err)
	}
}

func TestProblems(t *testing.T) {
	_, err := Parse("p.toml", []byte("[[topics]]\nname = \"T\"\nterms = [\"\"]\n"))
	got := Problems(err)
	if len(got) != 1 || !strings.HasPrefix(got[0], "topics[0].terms[0]: empty term") {
		t.Errorf("Problems = %q", got)
	}
}
