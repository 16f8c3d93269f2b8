package config

import (
	"strings"
	"testing"
)

// TestOffsetZones: "GMT+1" is refused with the city and the Etc/GMT-1 form
// (the sign inverted) rather than a near name an hour off; "EST" loads but
// warns that it has no daylight saving.
func TestOffsetZones(t *testing.T) {
	const rest = `
[[sources]]
name = "a"
feed = "https://example.org/feed"
[[companies]]
name = "X"
[[topics]]
name = "T"
terms = ["t"]
[[digests]]
name = "D"
schedule = "@daily"
to = ["a@example.org"]
`
	for zone, want := range map[string]string{
		"GMT+1":     `"Etc/GMT-1"`,
		"UTC-05:00": `"Etc/GMT+5"`,
	} {
		_, err := Parse("newswatch.toml", []byte(`timezone = "`+zone+`"`+rest))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "inverted") || strings.Contains(err.Error(), "GMT+0") {
			t.Errorf("timezone %q: got %v, want a refusal suggesting %s", zone, err, want)
		}
	}
	_, warns, err := parse("newswatch.toml", []byte(`timezone = "EST"`+rest), true)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(warns, "\n"); !strings.Contains(w, "without daylight saving") || !strings.Contains(w, "America/New_York") {
		t.Errorf("EST: warnings %q, want one about daylight saving", w)
	}
}
