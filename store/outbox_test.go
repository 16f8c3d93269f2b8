package store

import (
	"context"
	"errors"
	"fmt"
	"newswatch/model"
	"reflect"
	"slices"
	"testing"
	"time"
)

func ids(items []model.Item) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestCreateMessage(t *testing.T) { both(t, testCreateMessage) }

func testCreateMessage(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	added := save(t, s, "src", item("a"), item("b"), item("c"))

	m := model.Message{
		Digest: "Morning brief", Slot: t0, MessageID: "<x@newswatch>", Subject: "3 stories",
		To: []string{"a@example.org", "b@example.org"}, Text: "text", HTML: "<p>html</p>",
		CoveredUntil: added[2].FirstSeen, ItemIDs: ids(added[:2]),
	}
	if err := s.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.Status != model.MessagePending || m.Created.IsZero() {
		t.Fatalf("after CreateMessage: ID %d Status %q Created %v", m.ID, m.Status, m.Created)
	}
	got, err := s.Message(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("stored %+v\nwant   %+v", got, m)
	}

	t.Run("slot taken", func(t *testing.T) {
		dup := model.Message{Digest: "Morning brief", Slot: t0.In(time.FixedZone("X", 7200)), ItemIDs: ids(added[2:])}
		err := s.CreateMessage(ctx, &dup)
		if !errors.Is(err, ErrSlotTaken) {
			t.Fatalf("CreateMessage on a taken slot: %v, want ErrSlotTaken", err)
		}
		// Nothing of the refused message was kept: c is still unclaimed.
		if items, _ := s.Items(ctx, ItemQuery{UnclaimedBy: "Morning brief"}); !reflect.DeepEqual(keys(items), []string{"c"}) {
			t.Errorf("unclaimed after refusal = %v, want [c]", keys(items))
		}
	})
	t.Run("same slot other digest", func(t *testing.T) {
		other := model.Message{Digest: "Evening", Slot: t0, ItemIDs: ids(added)}
		if err := s.CreateMessage(ctx, &other); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("items claimed", func(t *testing.T) {
		again := model.Message{Digest: "Morning brief", Slot: t0.Add(time.Hour), ItemIDs: ids(added)}
		if err := s.CreateMessage(ctx, &again); !errors.Is(err, ErrClaimed) {
			t.Fatalf("CreateMessage claiming a's again: %v, want ErrClaimed", err)
		}
		if _, ok, _ := s.LastSlot(ctx, "Morning brief"); !ok {
			t.Fatal("LastSlot found nothing")
		}
		if slot, _, _ := s.LastSlot(ctx, "Morning brief"); !slot.Equal(t0) {
			t.Errorf("LastSlot = %v after the refused message, want %v", slot, t0)
		}
	})
	t.Run("unknown item rolls back", func(t *testing.T) {
		bad := model.Message{Digest: "Morning brief", Slot: t0.Add(2 * time.Hour), ItemIDs: []int64{added[2].ID, 999999}}
		if err := s.CreateMessage(ctx, &bad); err == nil {
			t.Fatal("CreateMessage with an unknown item succeeded")
		}
		if slot, _, _ := s.LastSlot(ctx, "Morning brief"); !slot.Equal(t0) {
			t.Errorf("LastSlot = %v, the failed message was kept", slot)
		}
	})
	t.Run("no slot", func(t *testing.T) {
		if err := s.CreateMessage(ctx, &model.Message{Digest: "Morning brief"}); err == nil {
			t.Fatal("CreateMessage without a slot succeeded")
		}
	})
}

func TestMessageLifecycle(t *testing.T) { both(t, testMessageLifecycle) }

func testMessageLifecycle(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	added := save(t, s, "src", item("a"), item("b"), item("c"))

	if _, ok, err := s.LastSent(ctx, "d"); ok || err != nil {
		t.Fatalf("LastSent on an empty outbox: %v, %v", ok, err)
	}
	if _, ok, err := s.LastSlot(ctx, "d"); ok || err != nil {
		t.Fatalf("LastSlot on an empty outbox: %v, %v", ok, err)
	}

	m1 := model.Message{Digest: "d", Slot: t0, ItemIDs: ids(added[:1]), Subject: "Brief", Text: "text", HTML: "<p>html</p>", Doc: "{}"}
	m2 := model.Message{Digest: "d", Slot: t0.Add(24 * time.Hour), ItemIDs: ids(added[1:2])}
	m3 := model.Message{Digest: "d", Slot: t0.Add(48 * time.Hour), ItemIDs: ids(added[2:])}
	for _, m := range []*model.Message{&m1, &m2, &m3} {
		if err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	next := t0.Add(time.Hour)
	if err := s.MarkRetry(ctx, m1.ID, "421 try later", next); err != nil {
		t.Fatal(err)
	}
	sentAt := t0.Add(2 * time.Hour)
	if err := s.MarkSent(ctx, m1.ID, sentAt); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRetry(ctx, m2.ID, "451 local error", next); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, m3.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func() error{
		func() error { return s.MarkSent(ctx, 424242, sentAt) },
		func() error { return s.MarkRetry(ctx, 424242, "x", next) },
		func() error { return s.MarkFailed(ctx, 424242, "x") },
		func() error { _, err := s.Message(ctx, 424242); return err },
	} {
		if err := f(); !errors.Is(err, ErrNotFound) {
			t.Errorf("on a missing message: %v, want ErrNotFound", err)
		}
	}

	got, err := s.Message(ctx, m1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != model.MessageSent || !got.Sent.Equal(sentAt) || got.Attempts != 2 || got.LastError != "" || !got.NextAttempt.IsZero() {
		t.Errorf("sent message = %+v", got)
	}
	got, _ = s.Message(ctx, m2.ID)
	if got.Status != model.MessagePending || got.Attempts != 1 || got.LastError != "451 local error" || !got.NextAttempt.Equal(next) {
		t.Errorf("retried message = %+v", got)
	}
	got, _ = s.Message(ctx, m3.ID)
	if got.Status != model.MessageFailed || got.Attempts != 1 || got.LastError != "550 no such user" {
		t.Errorf("failed message = %+v", got)
	}

	last, ok, err := s.LastSent(ctx, "d")
	if err != nil || !ok || last.ID != m1.ID {
		t.Errorf("LastSent = %d, %v, %v; want message %d", last.ID, ok, err, m1.ID)
	}
	slot, ok, err := s.LastSlot(ctx, "d")
	if err != nil || !ok || !slot.Equal(m3.Slot) {
		t.Errorf("LastSlot = %v, %v, %v; want %v", slot, ok, err, m3.Slot)
	}

	for _, tc := range []struct {
		name     string
		statuses []string
		want     []int64
	}{
		{"all", nil, []int64{m1.ID, m2.ID, m3.ID}},
		{"pending", []string{model.MessagePending}, []int64{m2.ID}},
		{"pending or failed", []string{model.MessagePending, model.MessageFailed}, []int64{m2.ID, m3.ID}},
		{"sent", []string{model.MessageSent}, []int64{m1.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := s.Messages(ctx, tc.statuses...)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, m := range ms {
				got = append(got, m.ID)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Messages(%v) = %v, want %v", tc.statuses, got, tc.want)
			}
		})
	}
	// The listing: every message as Messages has it, less its text, HTML
	// and document.
	full, err := s.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.MessageList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range full {
		full[i].Text, full[i].HTML, full[i].Doc = "", "", ""
	}
	if !reflect.DeepEqual(list, full) {
		t.Errorf("MessageList = %+v\nwant %+v", list, full)
	}
}

func TestItemsQuery(t *testing.T) { both(t, testItemsQuery) }

func testItemsQuery(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	// The fake clock gives each batch its own first-seen second: t0+1s, +2s, +3s.
	first := save(t, s, "src", model.Item{Key: "old-pub", Published: t0.Add(-48 * time.Hour)}, model.Item{Key: "no-date"})
	second := save(t, s, "src", model.Item{Key: "recent-pub", Published: t0.Add(-time.Hour)})
	third := save(t, s, "src", model.Item{Key: "sent"}, model.Item{Key: "pending"}, model.Item{Key: "failed"})

	byKey := map[string]int64{}
	for _, it := range append(append(first, second...), third...) {
		byKey[it.Key] = it.ID
	}
	for _, m := range []struct {
		slot   int
		key    string
		status string
	}{{1, "sent", model.MessageSent}, {2, "pending", model.MessagePending}, {3, "failed", model.MessageFailed}} {
		msg := model.Message{Digest: "brief", Slot: t0.Add(time.Duration(m.slot) * time.Hour), ItemIDs: []int64{byKey[m.key]}}
		if err := s.CreateMessage(ctx, &msg); err != nil {
			t.Fatal(err)
		}
		switch m.status {
		case model.MessageSent:
			err := s.MarkSent(ctx, msg.ID, t0)
			if err != nil {
				t.Fatal(err)
			}
		case model.MessageFailed:
			if err := s.MarkFailed(ctx, msg.ID, "550"); err != nil {
				t.Fatal(err)
			}
		}
	}

	for _, tc := range []struct {
		name string
		q    ItemQuery
		want []string
	}{
		{"all newest first", ItemQuery{}, []string{"failed", "pending", "sent", "no-date", "recent-pub", "old-pub"}},
		{"limit", ItemQuery{Limit: 2}, []string{"failed", "pending"}},
		{"key", ItemQuery{Key: "no-date"}, []string{"no-date"}},
		{"unknown key", ItemQuery{Key: "nope"}, []string{}},
		{"first seen after", ItemQuery{FirstSeenAfter: first[0].FirstSeen}, []string{"failed", "pending", "sent", "recent-pub"}},
		{"since uses published", ItemQuery{Since: t0.Add(-2 * time.Hour)}, []string{"failed", "pending", "sent", "no-date", "recent-pub"}},
		{"since, no date falls back to first seen", ItemQuery{Since: second[0].FirstSeen}, []string{"failed", "pending", "sent"}},
		{"unclaimed: pending and sent claim, failed releases", ItemQuery{UnclaimedBy: "brief"},
			[]string{"failed", "no-date", "recent-pub", "old-pub"}},
		{"claims are per digest", ItemQuery{UnclaimedBy: "other", Limit: 3}, []string{"failed", "pending", "sent"}},
		{"combined", ItemQuery{UnclaimedBy: "brief", FirstSeenAfter: first[0].FirstSeen, Since: t0.Add(-2 * time.Hour)},
			[]string{"failed", "recent-pub"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := s.Items(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(items); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Items(%+v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}

	got, err := s.ItemsByIDs(ctx, []int64{byKey["sent"], byKey["old-pub"], 999999})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sent", "old-pub"}; !reflect.DeepEqual(keys(got), want) {
		t.Errorf("ItemsByIDs = %v, want %v", keys(got), want)
	}

	// Headlines selects and orders as Items does, title and summary only.
	for _, q := range []ItemQuery{{}, {Limit: 2}, {FirstSeenAfter: first[0].FirstSeen}, {FirstSeenAfter: first[0].FirstSeen, Limit: 3}} {
		items, err := s.Items(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want []Headline
		for _, it := range items {
			want = append(want, Headline{ID: it.ID, Title: it.Title, Summary: it.Summary})
		}
		got, err := s.Headlines(ctx, q.FirstSeenAfter, q.Limit)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Headlines(%v, %d) = %+v, want %+v", q.FirstSeenAfter, q.Limit, got, want)
		}
	}
}

// text is an item with a body, as Prune sees it.
func text(key string) model.Item {
	it := item(key)
	it.Summary, it.Content, it.Body = "summary of "+key, "<p>content of "+key+"</p>", "body of "+key
	return it
}

func TestPrune(t *testing.T) { both(t, testPrune) }

func testPrune(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	old := save(t, s, "src", text("old-sent"), text("old-pending"), text("old-free"))
	cut := s.now()
	fresh := save(t, s, "src", text("fresh"))

	var msgs []model.Message
	for i, m := range []struct {
		item   model.Item
		status string
	}{{old[0], model.MessageSent}, {old[1], model.MessagePending}, {fresh[0], model.MessageSent}} {
		msg := model.Message{Digest: "d", Slot: t0.Add(time.Duration(i) * time.Hour), ItemIDs: []int64{m.item.ID},
			Created: cut.Add(time.Duration(i-3) * time.Second)}
		if err := s.CreateMessage(ctx, &msg); err != nil {
			t.Fatal(err)
		}
		if m.status == model.MessageSent {
			if err := s.MarkSent(ctx, msg.ID, t0); err != nil {
				t.Fatal(err)
			}
		}
		msgs = append(msgs, msg)
	}
	failed := model.Message{Digest: "other", Slot: t0, Created: cut.Add(-time.Second)}
	if err := s.CreateMessage(ctx, &failed); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, failed.ID, "550"); err != nil {
		t.Fatal(err)
	}

	n, err := s.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Prune dropped the text of %d items, want 2 (old-sent, old-free)", n)
	}
	items, err := s.Items(ctx, ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fresh", "old-free", "old-pending", "old-sent"}; !reflect.DeepEqual(slices.Sorted(slices.Values(keys(items))), want) {
		t.Errorf("after Prune items = %v, want all of %v", keys(items), want)
	}
	for _, it := range items {
		kept := it.Key == "fresh" || it.Key == "old-pending"
		if hasText := it.Summary != "" && it.Content != "" && it.Body != ""; hasText != kept {
			t.Errorf("item %s after Prune: summary %q content %q body %q; text kept = %v, want %v", it.Key, it.Summary, it.Content, it.Body, hasText, kept)
		}
		if it.Title != "Title "+it.Key || it.Link == "" {
			t.Errorf("item %s lost its title or link: %+v", it.Key, it)
		}
	}
	ms, err := s.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left []int64
	for _, m := range ms {
		left = append(left, m.ID)
	}
	// All are older than the cut: the failed and the first sent message go; the
	// pending one and the digest's latest sent one (its next window's start) stay.
	if want := []int64{msgs[1].ID, msgs[2].ID}; !reflect.DeepEqual(left, want) {
		t.Errorf("after Prune messages = %v, want %v", left, want)
	}
	if added := save(t, s, "src", text("old-free")); len(added) != 0 {
		t.Errorf("an item whose text was pruned comes back as new when a feed lists it again: %v", keys(added))
	}
	if n, err := s.Prune(ctx, cut); err != nil || n != 0 {
		t.Errorf("Prune again with the same cut: %d, %v; want 0", n, err)
	}

	// The pending message goes out; the next prune, past the walk's
	// cursor, drops the text of the item it held.
	if err := s.MarkSent(ctx, msgs[1].ID, t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, cut); err != nil || n != 1 {
		t.Errorf("Prune after the pending message was sent: %d, %v; want 1 (old-pending)", n, err)
	}
	items, err = s.Items(ctx, ItemQuery{Key: "old-pending"})
	if err != nil || len(items) != 1 || items[0].Summary != "" || items[0].Body != "" {
		t.Errorf("old-pending after its message was sent and pruned: %+v, %v", items, err)
	}
}

// TestPruneResumes: Prune works through more than one chunk, stops at the
// first item seen at or after the cut, and the next call starts after the
// last item the previous one looked at.
func TestPruneResumes(t *testing.T) { both(t, testPruneResumes) }

func testPruneResumes(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	var batch []model.Item
	for i := range 2*pruneChunk + 5 {
		batch = append(batch, text(fmt.Sprintf("old-%d", i)))
	}
	save(t, s, "src", batch...)
	cut := s.now()
	save(t, s, "src", text("new"))

	if n, err := s.Prune(ctx, cut); err != nil || n != len(batch) {
		t.Fatalf("Prune = %d, %v; want %d", n, err, len(batch))
	}
	if n, err := s.Prune(ctx, s.now()); err != nil || n != 1 {
		t.Fatalf("the next Prune = %d, %v; want 1 (the item seen after the first cut)", n, err)
	}
	items, err := s.Items(ctx, ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Summary != "" || it.Body != "" {
			t.Fatalf("item %s kept its text", it.Key)
		}
	}
}

func TestLease(t *testing.T) { both(t, testLease) }

func testLease(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	m := model.Message{Digest: "D", Slot: time.Unix(1000, 0), MessageID: "<l@x>", Status: model.MessagePending, Created: time.Unix(1000, 0)}
	if err := s.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := s.Lease(ctx, m.ID); err != nil {
		t.Fatalf("first lease: %v", err)
	}
	if err := s.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
		t.Fatalf("second lease while held: %v, want ErrLeased", err)
	}
	other := another(t, s)
	if err := other.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
		t.Fatalf("lease by another store while held: %v, want ErrLeased", err)
	}
	if err := s.MarkRetry(ctx, m.ID, "451", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Lease(ctx, m.ID); err != nil {
		t.Fatalf("lease after the retry was recorded: %v", err)
	}
	// The owner renews its lease; once it stops, the lease expires and
	// another store takes it over.
	if ok, err := s.renewMessage(ctx, m.ID); err != nil || !ok {
		t.Fatalf("renewal: %v, %v", ok, err)
	}
	if err := other.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
		t.Fatalf("lease by another store while renewed: %v, want ErrLeased", err)
	}
	age(t, s, LeaseTTL)
	holder := s
	if s.Shared() {
		if err := other.Lease(ctx, m.ID); err != nil {
			t.Fatalf("expired lease not taken over: %v", err)
		}
		// The sender taken over records nothing: the outcome is the new
		// holder's (a late "failed" would undo its "sent").
		if err := s.MarkFailed(ctx, m.ID, "late"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("mark failed by the sender taken over: %v, want ErrNotFound", err)
		}
		holder = other
	} else {
		// On SQLite a live process keeps its lease past the expiry.
		if err := other.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
			t.Fatalf("expired lease of a live process: %v, want ErrLeased", err)
		}
		// On SQLite, a lease whose process is gone is taken over at once.
		if _, err := s.w.ExecContext(ctx, `UPDATE messages SET lease_pid = 999999999 WHERE id = ?`, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Lease(ctx, m.ID); err != nil {
			t.Fatalf("lease of a dead process not taken over: %v", err)
		}
	}
	if err := holder.MarkSent(ctx, m.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
		t.Fatalf("lease of a sent message: %v, want ErrLeased", err)
	}
	// Nor is a message ended by one sender changed by another's late outcome.
	if err := other.MarkFailed(ctx, m.ID, "late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark failed of a sent message: %v, want ErrNotFound", err)
	}
}

func TestClaim(t *testing.T) { both(t, testClaim) }

func testClaim(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	b := another(t, a)
	names := []string{"source:a", "source:b", "source:c"}
	slot := time.Unix(600, 0)
	check := func(s *Store, slot time.Time, limit int, want []string, wantBusy int) {
		t.Helper()
		got, busy, err := s.Claim(ctx, names, slot, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || busy != wantBusy {
			t.Fatalf("Claim = %q, %d busy; want %q, %d", got, busy, want, wantBusy)
		}
	}
	check(a, slot, 2, []string{"source:a", "source:b"}, 0)
	check(b, slot, 2, []string{"source:c"}, 2)
	check(a, slot, 0, nil, 3)
	if err := a.Finish(ctx, names[:2], slot); err != nil {
		t.Fatal(err)
	}
	check(a, slot, 0, nil, 1) // c: b holds it
	// b dies: its claim expires and a takes c over.
	age(t, a, LeaseTTL)
	check(a, slot, 0, []string{"source:c"}, 0)
	if err := a.Finish(ctx, []string{"source:c"}, slot); err != nil {
		t.Fatal(err)
	}
	check(b, slot, 0, nil, 0)
	// The next slot starts afresh; an earlier one finds the work done.
	next := slot.Add(time.Minute)
	check(b, next, 0, names, 0)
	check(a, slot, 0, nil, 0)
}
