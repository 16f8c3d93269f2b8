package digest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"newswatch/store"
)

// An item marked not relevant for a company stays out of that company's
// later digests.
func TestComposeLeavesOutMarked(t *testing.T) {
	ctx := context.Background()
	c, st := composeFixture(t)
	items, err := st.Items(ctx, store.ItemQuery{Key: "https://therecord.example/ivanti-cve"})
	if err != nil || len(items) != 1 {
		t.Fatalf("%v %v", items, err)
	}
	if err := st.MarkNotRelevant(ctx, items[0].ID, "Alibaba"); err != nil {
		t.Fatal(err)
	}
	d, err := c.Compose(ctx, morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(d.Message.ItemIDs, items[0].ID) || len(d.Message.ItemIDs) != 3 {
		t.Errorf("claimed %v: the marked item %d is still in", d.Message.ItemIDs, items[0].ID)
	}
}

// With the console's URL, each story links to its item's page there and
// the digest to the console's list of everything it covers.
func TestComposeLinksToConsole(t *testing.T) {
	ctx := context.Background()
	c, st := composeFixture(t)
	c.Console = "https://nw.example.org"
	items, err := st.Items(ctx, store.ItemQuery{Key: "https://therecord.example/ivanti-cve"})
	if err != nil || len(items) != 1 {
		t.Fatalf("%v %v", items, err)
	}
	spec := morningSpec()
	spec.MaxStories = 1
	d, err := c.Compose(ctx, spec, fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	html := d.Message.HTML
	for _, want := range []string{`href="https://nw.example.org/items/`, `href="https://nw.example.org/search?matched=1"`, "All stories in the console", ">and "} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	c.Console = ""
	d, err = c.Compose(ctx, spec, fixtureNow, fixtureNow)
	if err != nil || strings.Contains(d.Message.HTML, "nw.example.org") || strings.Contains(d.Message.HTML, "not relevant?") {
		t.Errorf("without a console URL the digest links to one: %v", err)
	}
}
