package digest

import (
	"context"
	"slices"
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
