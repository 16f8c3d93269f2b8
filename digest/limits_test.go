package digest

import (
	"context"
	"fmt"
	"newswatch/config"
	"newswatch/model"
	"strings"
	"testing"
	"time"
)

// Past max_stories, stories are listed by title under "and N more" in the
// text part; every item is still claimed, so none comes back in the next
// digest and the next digest is no bigger than the cap.
func TestComposeMaxStories(t *testing.T) {
	c, _ := composeFixture(t)
	spec := morningSpec()
	spec.MaxStories = 1
	d, err := c.Compose(context.Background(), spec, fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.View.Count != 1 {
		t.Errorf("%d stories in full, want 1", d.View.Count)
	}
	if !strings.Contains(d.Message.Text, "and 2 more") {
		t.Errorf("text part does not say \"and 2 more\":\n%s", d.Message.Text)
	}
	shown := 0
	for _, title := range []string{"Huawei chip suppliers", "Ivanti zero-day", "Belgi"} {
		if strings.Contains(d.Message.Text, title) {
			shown++
		}
	}
	if shown != 3 {
		t.Errorf("text part names %d of the 3 stories, want all 3 (1 in full, 2 by title):\n%s", shown, d.Message.Text)
	}
	if !strings.Contains(d.Message.HTML, "and 2 more") {
		t.Error("HTML part does not say \"and 2 more\"")
	}
	if len(d.Message.ItemIDs) != 4 {
		t.Errorf("claimed %d items, want all 4", len(d.Message.ItemIDs))
	}
}

// A 1 MB title, or a word of thousands of letters, gives a digest of
// bounded size whose HTML wraps within its column.
func TestComposeLongTitles(t *testing.T) {
	c, st := composeFixture(t)
	huge := "Alibaba " + strings.Repeat("spying", 1<<20/6)
	word := "Alibaba espionage " + strings.Repeat("x", 5000)
	items := []model.Item{
		{Key: "https://huge.example/1", Link: "https://huge.example/1", Title: huge, Summary: "Alibaba espionage.", Published: fixtureNow.Add(-time.Hour)},
		{Key: "https://huge.example/2", Link: "https://huge.example/2", Title: word, Summary: "Alibaba spying.", Published: fixtureNow.Add(-2 * time.Hour)},
	}
	if _, err := st.SaveRun(context.Background(), model.Run{Source: "Huge", Started: time.Now(), Status: model.StatusOK, Items: 2}, items); err != nil {
		t.Fatal(err)
	}
	d, err := c.Compose(context.Background(), morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Message.Text) + len(d.Message.HTML); n > 64<<10 {
		t.Errorf("digest is %d bytes with a 1 MB title; want titles shortened", n)
	}
	if !strings.Contains(d.Message.HTML, "overflow-wrap:anywhere") {
		t.Error("HTML does not wrap long words (overflow-wrap)")
	}
}

// gmailClip is the size of an HTML part above which Gmail clips a
// message ("[Message clipped]").
const gmailClip = 100 << 10

// fullDigest is a digest of max_stories stories, each led by a title of
// titleLen characters with the longest snippet, and ten other reports,
// each on a line of its own with a headline of lineLen characters and a
// link of about linkLen.
func fullDigest(titleLen, lineLen, linkLen int, update bool) View {
	long := func(n int, word string) string {
		return strings.Repeat(word+" ", n/(len(word)+1)+1)[:n]
	}
	link := func(i, j int) string {
		u := fmt.Sprintf("https://www.example-news-outlet.com/world/%d/%d/", i, j)
		return u + strings.Repeat("x", max(0, linkLen-len(u)))
	}
	v := View{Name: "Morning brief", Date: "Mon 23 Nov 2026", Summary: "50 stories · Alibaba 50", Subject: "Morning brief · Mon 23 Nov · 50 stories: Alibaba"}
	sec := Section{Company: "Alibaba"}
	for i := range config.DefaultMaxStories {
		sv := StoryView{
			Title: long(titleLen, "Alibaba"), Link: link(i, 0), Source: "South China Morning Post",
			Time: "Mon 23 Nov 06:30 CET", Topics: []string{"Espionage", "Data breach", "Sanctions"},
			Reasons: `"Alibaba" in title, "Alibaba Cloud", "Cainiao"; espionage, spying, data breach, sanctions`,
			Snippet: []Fragment{{Text: long(snippetLen/2, "words")}, {Text: "espionage", Mark: true}, {Text: long(snippetLen/2, "words")}},
		}
		if update {
			sv.Update = "first reported Sun by South China Morning Post · 11 outlets so far"
		}
		for j := 1; j <= maxAlso; j++ {
			sv.Lines = append(sv.Lines, LineView{Title: long(lineLen, "headline"),
				Outlets: []OutletView{{Source: fmt.Sprintf("Outlet number %d", j), Link: link(i, j)}}})
		}
		sv.MoreOutlets = 12
		sec.Stories = append(sec.Stories, sv)
	}
	v.Sections = []Section{sec}
	v.Count = len(sec.Stories)
	finishView(&v)
	return v
}

// The HTML part of a full digest stays under Gmail's clipping size: a
// typical one (new stories, headlines of 90 characters, links of 100)
// with every outlet named, and the worst case the composer allows (every
// story an update, the longest title, snippet and line headlines, links
// of 200 characters) by naming fewer outlets per story.
func TestHTMLFullDigestUnderClip(t *testing.T) {
	tmpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name                       string
		titleLen, lineLen, linkLen int
		wantLines                  int // outlets named per story, at least
	}{
		{"typical", 90, 90, 100, maxAlso},
		{"worst", maxTitle, maxLineTitle, 200, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := fullDigest(tt.titleLen, tt.lineLen, tt.linkLen, tt.name == "worst")
			_, html, err := tmpl.renderWithin(&v, htmlBudget)
			if err != nil {
				t.Fatal(err)
			}
			named, linked, chars := 0, 0, 0
			for _, l := range v.Sections[0].Stories[0].Lines {
				named += len(l.Outlets)
				chars = max(chars, len([]rune(l.Title)))
				if !l.Plain {
					linked++
				}
			}
			sv := v.Sections[0].Stories[0]
			t.Logf("%s: HTML part %d bytes; per story %d outlets named, headlines up to %d characters, %d lines linked, snippet %v, matched line %v",
				tt.name, len(html), named, chars, linked, sv.Snippet != nil, sv.Reasons != "")
			if len(html) >= gmailClip {
				t.Errorf("HTML part is %d bytes; want under %d (Gmail clips above)", len(html), gmailClip)
			}
			if named < tt.wantLines {
				t.Errorf("%d outlets named per story, want %d", named, tt.wantLines)
			}
		})
	}
}
