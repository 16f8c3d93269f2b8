package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // every name in zones.txt must load, whatever the machine has
)

func TestEnabled(t *testing.T) {
	doc := `[[sources]]
name = "On"
feed = "https://example.org/a"
[[sources]]
name = "Off"
feed = "https://example.org/b"
enabled = false
[[sources]]
name = "Explicit"
feed = "https://example.org/c"
enabled = true
[[companies]]
name = "A"
all_news = true
[[digests]]
name = "Paused"
schedule = "@daily"
to = ["a@example.org"]
enabled = false
[[digests]]
name = "Daily"
schedule = "@daily"
to = ["a@example.org"]
`
	cfg, err := Parse("n.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	names := func(list []Source) (out []string) {
		for _, s := range list {
			out = append(out, s.Name)
		}
		return out
	}
	if got := names(cfg.Sources); !slices.Equal(got, []string{"On", "Explicit"}) {
		t.Errorf("Sources = %q, want On, Explicit", got)
	}
	if got := names(cfg.PausedSources); !slices.Equal(got, []string{"Off"}) || cfg.PausedSources[0].Enabled {
		t.Errorf("PausedSources = %+v, want Off, not enabled", cfg.PausedSources)
	}
	if !cfg.Sources[0].Enabled || !cfg.Sources[1].Enabled {
		t.Errorf("enabled sources = %+v, want Enabled set", cfg.Sources)
	}
	if len(cfg.Digests) != 1 || cfg.Digests[0].Name != "Daily" || len(cfg.PausedDigests) != 1 || cfg.PausedDigests[0].Name != "Paused" {
		t.Errorf("Digests = %+v, PausedDigests = %+v, want Daily and Paused", cfg.Digests, cfg.PausedDigests)
	}
}

func TestPausedEntriesAreValidated(t *testing.T) {
	doc := `[[sources]]
name = "Off"
feed = "gopher://example.org/b"
enabled = false
[[digests]]
name = "Paused"
schedule = "0 25 * * *"
to = ["a@example.org"]
enabled = false
`
	_, err := Parse("n.toml", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), "sources[0].feed") || !strings.Contains(err.Error(), "digests[0].schedule") {
		t.Errorf("err = %v, want the paused source's feed and the paused digest's schedule refused", err)
	}
}

func TestEverythingPausedWarns(t *testing.T) {
	doc := `[[sources]]
name = "Off"
feed = "https://example.org/b"
enabled = false
[[digests]]
name = "Paused"
schedule = "@daily"
to = ["a@example.org"]
enabled = false
`
	_, warns, err := parse("n.toml", []byte(doc), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"n.toml:1: sources: every source is paused", "n.toml:5: digests: every digest is paused"} {
		if !hasPrefixIn(warns, want) {
			t.Errorf("warnings %q, want one starting %q", warns, want)
		}
	}
}

func TestFileFeedMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "here.xml"), []byte("<rss/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := `[[sources]]
name = "Here"
feed = "file:here.xml"
[[sources]]
name = "Gone"
feed = "file:gone.xml"
[[sources]]
name = "Folder"
feed = "file:` + filepath.ToSlash(dir) + `"
`
	_, warns, err := parse(filepath.Join(dir, "n.toml"), []byte(doc), true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		if strings.Contains(w, "sources[") {
			got = append(got, w)
		}
	}
	if len(got) != 2 || !strings.Contains(got[0], "sources[1].feed: "+filepath.Join(dir, "gone.xml")+": no such file") ||
		!strings.Contains(got[1], "sources[2].feed: ") || !strings.Contains(got[1], "is a folder") {
		t.Errorf("warnings = %q, want gone.xml missing and the folder refused", got)
	}
}

func TestZoneSuggestion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Europe/Brusels", "Europe/Brussels"},
		{"Europe/Bruxelles", "Europe/Brussels"},
		{"Brussels", "Europe/Brussels"},
		{"new york", "America/New_York"},
		{"utc", "UTC"},
		{"Mars/Olympus_Mons", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := suggestZone(tt.in); got != tt.want {
				t.Errorf("suggestZone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestZoneListLoads(t *testing.T) {
	names := zoneNames()
	if len(names) < 400 {
		t.Fatalf("zones.txt has %d names, want the whole tz database", len(names))
	}
	for _, n := range names {
		if _, err := time.LoadLocation(n); err != nil {
			t.Errorf("zones.txt: %v", err)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"The Record", "Euronews Business"}
	if got := Suggest("the recrod", known); got != ` (did you mean "The Record"?)` {
		t.Errorf("Suggest = %q", got)
	}
	if got := Suggest("Reuters", known); got != "" {
		t.Errorf("Suggest(Reuters) = %q, want none", got)
	}
}
