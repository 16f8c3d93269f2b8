package text

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"newswatch/digest"
)

func doc(n int) digest.Document {
	d := digest.Document{Digest: "Morning", Subject: "Morning · Wed 2 Dec · 3 stories: Acme", Summary: "3 stories · Acme 3"}
	for i := range n {
		d.Stories = append(d.Stories, digest.DocStory{
			Title: fmt.Sprintf("Acme story number %d", i), Link: fmt.Sprintf("https://news.example.org/%d", i),
			Source: "Wire", Company: "Acme", Published: time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC),
		})
	}
	return d
}

func TestRender(t *testing.T) {
	got := Render(doc(2), 4000)
	want := "Morning · Wed 2 Dec · 3 stories: Acme\n3 stories · Acme 3\n" +
		"• Acme story number 0 (Wire, Acme)\n  https://news.example.org/0\n" +
		"• Acme story number 1 (Wire, Acme)\n  https://news.example.org/1\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRenderCapped(t *testing.T) {
	for _, limit := range []int{100, 300, 2000} {
		got := Render(doc(100), limit)
		if len(got) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(got))
		}
		if !strings.Contains(got, "more stories") {
			t.Errorf("limit %d: no count of the stories left out:\n%s", limit, got)
		}
	}
	got := Render(doc(100), 2000)
	shown := strings.Count(got, "\n• ")
	if !strings.Contains(got, fmt.Sprintf("… %d more stories", 100-shown)) {
		t.Errorf("count of the stories left out is not 100-%d:\n%s", shown, got)
	}
}

// A feed's title cannot ping a whole channel, add a story line, or (on
// Slack) open a link or mention.
func TestEscape(t *testing.T) {
	d := doc(1)
	d.Stories[0].Title = "Ping @everyone <!channel> & <https://evil.example|click>\n• fake story"
	slack := Render(Escape("slack", d), 4000)
	for _, bad := range []string{"@everyone", "<!channel>", "<https://", "\n• fake"} {
		if strings.Contains(slack, bad) {
			t.Errorf("slack text keeps %q:\n%s", bad, slack)
		}
	}
	if !strings.Contains(slack, "&lt;!channel&gt; &amp;") {
		t.Errorf("slack text not escaped:\n%s", slack)
	}
	ntfy := Render(Escape("ntfy", d), 4000)
	if strings.Contains(ntfy, "@everyone") || strings.Contains(ntfy, "\n• fake") || !strings.Contains(ntfy, "<!channel> &") {
		t.Errorf("ntfy text:\n%s", ntfy)
	}
}
