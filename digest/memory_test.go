package digest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// A digest holds the text of the items it keeps, not of every item in its
// window: a window of 64 MB of irrelevant text is matched item by item
// while the Go heap stays a fraction of it.
func TestComposeHoldsOnlyRelevantText(t *testing.T) {
	ctx := context.Background()
	c, st := composeFixture(t)
	const n, size = 64, 1 << 20
	body := strings.Repeat("Markets were calm and the harbour was busy today. ", size/50)
	batch := make([]model.Item, n)
	for i := range batch {
		link := fmt.Sprintf("https://wire.example/calm-%d", i)
		batch[i] = model.Item{Key: link, Link: link, Title: fmt.Sprintf("A calm day %d", i), Body: body,
			Published: fixtureNow.Add(-time.Hour)}
	}
	if _, err := st.SaveRun(ctx, model.Run{Source: "Wire", Started: time.Now(), Status: model.StatusOK, Items: n}, batch); err != nil {
		t.Fatal(err)
	}
	if all, err := st.Items(ctx, store.ItemQuery{}); err != nil || len(all) != n+5 {
		t.Fatalf("stored %d items, %v", len(all), err)
	}
	batch, body = nil, ""
	var (
		d   Draft
		err error
	)
	top := testutil.HeapPeak(func() { d, err = c.Compose(ctx, morningSpec(), fixtureNow, fixtureNow) })
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Message.ItemIDs) != 4 {
		t.Errorf("the digest claims %v, want the fixture's 4 relevant items", d.Message.ItemIDs)
	}
	if top > n*size/2 {
		t.Errorf("composing over %d MB of irrelevant text, the heap peaked at %d MB", n*size>>20, top>>20)
	}
}

// The entries a digest keeps carry their prepared text, not the item's
// own a second time.
func TestSelectedEntriesKeepTextOnce(t *testing.T) {
	c, _ := composeFixture(t)
	_, entries, err := c.selectEntries(context.Background(), morningSpec(), fixtureNow)
	if err != nil || len(entries) == 0 {
		t.Fatalf("selected %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		if e.item.Summary+e.item.Content+e.item.Body != "" || e.text.Body == "" {
			t.Errorf("entry %q keeps the item's text (%d bytes) beside its prepared text (%d bytes)",
				e.item.Key, len(e.item.Summary+e.item.Content+e.item.Body), len(e.text.Body))
		}
	}
}
