package store

import (
	"context"
	"errors"
	"newswatch/model"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// copyOf is one source's copy of the article at outlet.example/a.
type copyOf struct {
	source, site string
	item         model.Item
}

var (
	pubOutlet = time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)
	// An aggregator lists the article by title only, with tracking parameters.
	aggCopy = copyOf{"Aggregator", "https://agg.example/feed", model.Item{Key: "https://outlet.example/a",
		Link: "https://outlet.example/a?utm_source=agg", Title: "Logistics firm in the news",
		Published: pubOutlet.Add(3 * time.Hour)}}
	// The outlet's own feed has the text.
	outletCopy = copyOf{"Outlet", "https://feeds.outlet.example/rss", model.Item{Key: "https://outlet.example/a",
		Link: "https://outlet.example/a", GUID: "outlet-1", Title: "Cainiao accused of spying",
		Summary: "Officials say the Alibaba logistics arm shared customer data with a spy agency.", Published: pubOutlet}}
	// A hostile feed claims the outlet's link with longer text of its own.
	hostileCopy = copyOf{"Hostile", "https://evil.example/", model.Item{Key: "https://outlet.example/a",
		Link: "https://outlet.example/a", Title: "Nothing to see here",
		Summary: strings.Repeat("Markets were calm today. ", 20)}}
)

// TestSaveRunMergesCopies stores the three copies in every order: the item
// keeps the outlet's own link, text and date and every source, whatever the
// order; a richer copy arriving after a poorer one is reported as Richer.
func TestSaveRunMergesCopies(t *testing.T) { both(t, testSaveRunMergesCopies) }

func testSaveRunMergesCopies(t *testing.T) {
	ctx := context.Background()
	copies := []copyOf{aggCopy, outletCopy, hostileCopy}
	var want *model.Item
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		s := open(t)
		var names []string
		for n, i := range order {
			c := copies[i]
			names = append(names, c.source)
			saved, err := s.SaveRun(ctx, model.Run{Source: c.source, Site: c.site, Status: model.StatusOK, Items: 1}, []model.Item{c.item})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				if len(saved) != 1 || saved[0].Richer {
					t.Fatalf("%v: first copy saved as %+v, want one new item", names, saved)
				}
				continue
			}
			// The outlet's copy beats any; the hostile one, longer,
			// beats only the title-only one.
			richer := c.source == "Outlet" || c.source == "Hostile" && !slices.Contains(names, "Outlet")
			if got := len(saved) == 1 && saved[0].Richer; got != richer || len(saved) > 1 {
				t.Errorf("%v: %s's copy saved as %+v, want richer %v", names, c.source, saved, richer)
			}
			if richer && len(saved) == 1 && saved[0].Summary != c.item.Summary {
				t.Errorf("%v: richer item carries summary %q, want %s's", names, saved[0].Summary, c.source)
			}
		}
		items, err := s.Items(ctx, ItemQuery{})
		if err != nil || len(items) != 1 {
			t.Fatalf("%v: Items = %v, %v; want one item", names, items, err)
		}
		got := items[0]
		if !reflect.DeepEqual(got.Sources, names) {
			t.Errorf("%v: sources %v, want every source in arrival order", names, got.Sources)
		}
		got.Sources, got.ID, got.FirstSeen = nil, 0, time.Time{}
		if want == nil {
			want = &got
			o := outletCopy.item
			if got.Link != o.Link || got.Title != o.Title || got.Summary != o.Summary || got.GUID != o.GUID || !got.Published.Equal(o.Published) {
				t.Errorf("%v: stored %+v, want the outlet's copy", names, got)
			}
		} else if !reflect.DeepEqual(got, *want) {
			t.Errorf("%v: stored %+v\nwant the same as in the first order: %+v", names, got, *want)
		}
	}
}

// TestSaveRunRanksEachNewItem: the new items of one batch are stored with
// their own rank, so a later copy is weighed against the right one.
func TestSaveRunRanksEachNewItem(t *testing.T) { both(t, testSaveRunRanksEachNewItem) }

func testSaveRunRanksEachNewItem(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	long := model.Item{Key: "https://outlet.example/long", Link: "https://outlet.example/long", Title: "Long",
		Summary: strings.Repeat("A long summary. ", 20)}
	short := model.Item{Key: "https://outlet.example/short", Link: "https://outlet.example/short", Title: "Short",
		Summary: "Brief."}
	run := model.Run{Source: "Aggregator", Site: "https://agg.example/feed", Status: model.StatusOK, Items: 2}
	if _, err := s.SaveRun(ctx, run, []model.Item{long, short}); err != nil {
		t.Fatal(err)
	}
	fuller := short
	fuller.Summary = "Brief, then a little more."
	saved, err := s.SaveRun(ctx, model.Run{Source: "Other", Site: "https://other.example/feed", Status: model.StatusOK, Items: 1}, []model.Item{fuller})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || !saved[0].Richer || saved[0].Summary != fuller.Summary {
		t.Errorf("a fuller copy of the short item saved as %+v, want it taken as richer", saved)
	}
}

// TestSaveRunKnownAfterOwnCopy: a key stored through another site's
// title-only copy is not known, so the outlet's full text is still fetched;
// the outlet's copy or a copy with the page's body makes it known.
func TestSaveRunKnownAfterOwnCopy(t *testing.T) { both(t, testSaveRunKnownAfterOwnCopy) }

func testSaveRunKnownAfterOwnCopy(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	key := aggCopy.item.Key
	isKnown := func() bool {
		t.Helper()
		k, err := s.Known(ctx, []string{key})
		if err != nil {
			t.Fatal(err)
		}
		return k[key]
	}
	if _, err := s.SaveRun(ctx, model.Run{Source: aggCopy.source, Site: aggCopy.site, Status: model.StatusOK, Items: 1}, []model.Item{aggCopy.item}); err != nil {
		t.Fatal(err)
	}
	if isKnown() {
		t.Error("known after the aggregator's title-only copy")
	}
	withBody := aggCopy.item
	withBody.Body = "The article page's text."
	if _, err := s.SaveRun(ctx, model.Run{Source: "Page", Site: "https://other.example/", Status: model.StatusOK, Items: 1}, []model.Item{withBody}); err != nil {
		t.Fatal(err)
	}
	if !isKnown() {
		t.Error("not known after a copy with the page's body")
	}
}

// TestRicherCopyReachesNextDigest: an item first seen before a digest's
// window that a richer copy changed is selected again by ChangedAfter,
// unless a message of the digest claimed it; a claimed one is not reported
// as Richer.
func TestRicherCopyReachesNextDigest(t *testing.T) { both(t, testRicherCopyReachesNextDigest) }

func testRicherCopyReachesNextDigest(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	save := func(c copyOf, it model.Item) []model.Item {
		t.Helper()
		saved, err := s.SaveRun(ctx, model.Run{Source: c.source, Site: c.site, Status: model.StatusOK, Items: 1}, []model.Item{it})
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	save(aggCopy, aggCopy.item)
	claimedAgg := aggCopy.item
	claimedAgg.Key, claimedAgg.Link = "https://outlet.example/b", "https://outlet.example/b"
	added := save(aggCopy, claimedAgg)
	m := model.Message{Digest: "Morning", Slot: t0.Add(time.Hour), ItemIDs: []int64{added[0].ID}}
	if err := s.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	window := s.now()

	got := save(outletCopy, outletCopy.item)
	if len(got) != 1 || !got[0].Richer {
		t.Fatalf("outlet's copy saved as %+v, want one richer item", got)
	}
	claimedOutlet := outletCopy.item
	claimedOutlet.Key, claimedOutlet.Link = claimedAgg.Key, claimedAgg.Link
	if got := save(outletCopy, claimedOutlet); len(got) != 0 {
		t.Errorf("richer copy of a claimed item reported: %+v", got)
	}
	items, err := s.Items(ctx, ItemQuery{ChangedAfter: window, UnclaimedBy: "Morning"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(items); !slices.Equal(got, []string{aggCopy.item.Key}) {
		t.Errorf("changed after the window: %v, want only the unclaimed item", got)
	}
	if items, _ := s.Items(ctx, ItemQuery{FirstSeenAfter: window}); len(items) != 0 {
		t.Errorf("first seen after the window: %v, want none", keys(items))
	}
}

// EachItem hands over the items in Items' order, and stops at the first
// error of its function, returning it.
func TestEachItem(t *testing.T) { both(t, testEachItem) }

func testEachItem(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	save(t, s, "a", item("k1"), item("k2"), item("k3"))
	want, err := s.Items(ctx, ItemQuery{})
	if err != nil || len(want) != 3 {
		t.Fatalf("Items = %v, %v", want, err)
	}
	var got []model.Item
	stop := errors.New("enough")
	err = s.EachItem(ctx, ItemQuery{}, func(it model.Item) error {
		got = append(got, it)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("EachItem handed %v and returned %v; want the first two of %v and its function's error", keys(got), err, keys(want))
	}
}

// TestSaveRunInvalidUTF8Again: a key and text that are not valid UTF-8
// are stored with U+FFFD in place of each bad byte, on both databases,
// so that the next fetch of the same item finds it (not new, no error),
// a richer copy replaces it, and a failure whose message has such bytes
// is recorded.
func TestSaveRunInvalidUTF8Again(t *testing.T) { both(t, testSaveRunInvalidUTF8Again) }

func testSaveRunInvalidUTF8Again(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	it := model.Item{Key: "k\xff", Link: "https://example.org/k", Title: "caf\xe9", Summary: "bad \xff"}
	batch := []model.Item{it}
	if added := save(t, s, "a", batch...); len(added) != 1 || added[0].Key != "k\uFFFD" {
		t.Fatalf("first save added %q, want the key with U+FFFD", keys(added))
	}
	if batch[0].Key != it.Key || batch[0].Summary != it.Summary {
		t.Errorf("the caller's batch was changed: %q %q", batch[0].Key, batch[0].Summary)
	}
	if added := save(t, s, "a", it); len(added) != 0 {
		t.Errorf("the same item again added %q", keys(added))
	}
	richer := it
	richer.Summary = "bad \xff, and much more text about it"
	if added := save(t, s, "b", richer); len(added) != 1 || !added[0].Richer {
		t.Errorf("a richer copy added %+v, want it reported richer", added)
	}
	if _, err := s.SaveRun(ctx, model.Run{Source: "c", Status: model.StatusError, Err: "HTTP 500: \xff\xfe"}, nil); err != nil {
		t.Errorf("a failure with invalid UTF-8 in its message: %v", err)
	}
}
