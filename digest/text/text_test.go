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
	if strings.Contains(ntfy, "@everyone") || strings.Contains(ntfy, "\n• fake") || strings.Contains(ntfy, "<!channel>") {
		t.Errorf("ntfy text:\n%s", ntfy)
	}
}

// Each service's mentions of a whole channel, in any case, and Markdown
// links with disguised text reach no service intact; what a reader sees
// is unchanged (a zero-width space breaks them).
func TestEscapePerService(t *testing.T) {
	hostile := []struct{ name, title, bad string }{
		{"mattermost @all", "Breaking @all hands", "@all"},
		{"mattermost @ALL", "Breaking @ALL hands", "@ALL"},
		{"mattermost @Channel", "Ping @Channel now", "@Channel"},
		{"matrix @Room", "Alert @Room please", "@Room"},
		{"matrix @ROOM", "Alert @ROOM please", "@ROOM"},
		{"slack @HERE", "Hey @HERE", "@HERE"},
		{"discord @Everyone", "Hey @Everyone", "@Everyone"},
		{"discord role", "Hey <@&123456> team", "<@&"},
		{"slack special", "Hey <!here|here>", "<!here"},
		{"googlechat users/all", "Hey <users/all> look", "<users/all>"},
		{"googlechat Users/All", "Hey <Users/All> look", "Users/All>"},
		{"googlechat escaped twice", "Hey &lt;users/all&gt; look", "users/all"},
		{"googlechat link", "See <https://evil.example|Official statement>", "<https://"},
		{"markdown link", "[Official statement](https://evil.example/x)", "](https://"},
		{"markdown link spaced", "[Official statement] (https://evil.example/x)", "] (https://"},
	}
	for _, scheme := range []string{"slack", "mattermost", "matrix", "discord", "teams", "googlechat", "telegram", "ntfy", "rocketchat", "zulip", "gotify"} {
		for _, h := range hostile {
			d := doc(1)
			d.Stories[0].Title = h.title
			d.Stories[0].Source = h.title
			out := Render(Escape(scheme, d), 4000)
			if strings.Contains(out, h.bad) {
				t.Errorf("%s, %s: the text keeps %q:\n%s", scheme, h.name, h.bad, out)
			}
			if scheme != "slack" && scheme != "mattermost" {
				if seen := strings.ReplaceAll(out, "\u200b", ""); !strings.Contains(seen, h.title) {
					t.Errorf("%s, %s: what a reader sees changed:\n%s", scheme, h.name, seen)
				}
			}
		}
	}
}
