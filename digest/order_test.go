package digest

import (
	"context"
	"newswatch/model"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The text part numbers its links in reading order: [1], [2], … down the
// page, whatever order the stories were grouped in before the sections
// were sorted.
func TestComposeLinksInReadingOrder(t *testing.T) {
	c, st := composeFixture(t)
	// Two more Huawei stories: Huawei's section (three stories) comes
	// first, though its stories score lower than Alibaba's and are
	// grouped after them.
	items := []model.Item{
		{Key: "https://wire.example/huawei-poland", Link: "https://wire.example/huawei-poland",
			Title: "Poland expels Huawei engineer", Summary: "Prosecutors say he was spying.",
			Published: fixtureNow.Add(-30 * time.Hour)},
		{Key: "https://wire.example/huawei-uk", Link: "https://wire.example/huawei-uk",
			Title: "Britain reviews Huawei kit", Summary: "Officials cite sanctions risk.",
			Published: fixtureNow.Add(-31 * time.Hour)},
	}
	if _, err := st.SaveRun(context.Background(), model.Run{Source: "Wire", Started: time.Now(), Status: model.StatusOK, Items: len(items)}, items); err != nil {
		t.Fatal(err)
	}
	d, err := c.Compose(context.Background(), morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	body, _, ok := strings.Cut(d.Message.Text, "\nLinks:")
	if !ok {
		t.Fatalf("no link list:\n%s", d.Message.Text)
	}
	next := 1
	for _, m := range regexp.MustCompile(`\[(\d+)\]`).FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		switch {
		case n == next:
			next++
		case n > next:
			t.Fatalf("link [%d] comes before [%d] in the text:\n%s", n, next, d.Message.Text)
		}
	}
	if next != len(d.View.Links)+1 {
		t.Errorf("the text shows links up to [%d], the list has %d", next-1, len(d.View.Links))
	}
}
