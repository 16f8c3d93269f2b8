package digest

import (
	"context"
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
