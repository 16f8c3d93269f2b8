package store

import (
	"context"
	"errors"
	"newswatch/model"
	"reflect"
	"testing"
	"time"
)

func TestDeliveries(t *testing.T) { both(t, testDeliveries) }

func testDeliveries(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	added := save(t, s, "src", item("a"), item("b"))
	hook, chat := "https://hooks.example.org/${TOKEN}", "ntfy://***@ntfy.example.org/news"
	m := model.Message{Digest: "D", Slot: t0, MessageID: "<d@x>", Doc: `{"digest":"D"}`,
		Channels: chans(hook, chat, hook), ItemIDs: ids(added)}
	if err := s.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if want := chans(hook, chat); !reflect.DeepEqual(m.Channels, want) {
		t.Fatalf("channels %q, want %q (sorted, once each)", m.Channels, want)
	}
	got, err := s.Message(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("stored %+v\nwant   %+v", got, m)
	}
	status := func() string {
		t.Helper()
		got, err := s.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}

	if err := s.LeaseDelivery(ctx, m.ID, hook); err != nil {
		t.Fatal(err)
	}
	if err := s.LeaseDelivery(ctx, m.ID, hook); !errors.Is(err, ErrLeased) {
		t.Fatalf("second lease while held: %v, want ErrLeased", err)
	}
	// Each channel has its own lease.
	if err := s.LeaseDelivery(ctx, m.ID, chat); err != nil {
		t.Fatalf("lease of the other channel: %v", err)
	}
	if err := s.MarkDeliveryRetry(ctx, m.ID, hook, "503", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeliverySent(ctx, m.ID, chat, t0); err != nil {
		t.Fatal(err)
	}
	// A late outcome of another sender does not undo the one recorded, nor
	// touch a delivery another owner holds now.
	if err := s.MarkDeliveryFailed(ctx, m.ID, chat, "late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark failed of a sent channel: %v, want ErrNotFound", err)
	}
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE deliveries SET lease_owner = 'another', lease_until = ? WHERE message_id = ? AND channel = ?`),
		t0.Add(time.Hour).UnixNano(), m.ID, hook); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeliveryFailed(ctx, m.ID, hook, "late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark failed of a channel another owner holds: %v, want ErrNotFound", err)
	}
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE deliveries SET lease_owner = '', lease_until = NULL WHERE message_id = ?`), m.ID); err != nil {
		t.Fatal(err)
	}
	// One channel had it, one is still pending: the message is pending.
	if st := status(); st != model.MessagePending {
		t.Fatalf("message status with a channel pending: %s", st)
	}
	if err := s.LeaseDelivery(ctx, m.ID, chat); !errors.Is(err, ErrLeased) {
		t.Fatalf("lease of a sent channel: %v, want ErrLeased", err)
	}
	pending, err := s.Deliveries(ctx, model.MessagePending)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Channel != hook || pending[0].Attempts != 1 || pending[0].LastError != "503" ||
		!pending[0].NextAttempt.Equal(t0.Add(time.Minute)) || pending[0].Message.Doc != m.Doc {
		t.Fatalf("pending deliveries: %+v", pending)
	}
	if err := s.MarkDeliveryFailed(ctx, m.ID, hook, "410 Gone"); err != nil {
		t.Fatal(err)
	}
	// One had it: sent, the items stay claimed, the refusal is kept.
	got, _ = s.Message(ctx, m.ID)
	if got.Status != model.MessageSent || got.LastError != "410 Gone" || !got.Sent.Equal(t0) {
		t.Fatalf("message after one channel sent, one failed: %+v", got)
	}
	if items, _ := s.Items(ctx, ItemQuery{UnclaimedBy: "D"}); len(items) != 0 {
		t.Fatalf("items released though a channel had them: %v", keys(items))
	}

	t.Run("every channel failed", func(t *testing.T) {
		m := model.Message{Digest: "E", Slot: t0, MessageID: "<e@x>", Channels: chans(hook), ItemIDs: ids(added)}
		if err := s.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDeliveryFailed(ctx, m.ID, hook, "404 Not Found"); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Message(ctx, m.ID)
		if got.Status != model.MessageFailed || got.LastError != "404 Not Found" {
			t.Fatalf("message after its only channel failed: %+v", got)
		}
		if items, _ := s.Items(ctx, ItemQuery{UnclaimedBy: "E"}); len(items) != 2 {
			t.Fatalf("items not released: %v", keys(items))
		}
	})
	t.Run("mail keeps its own status", func(t *testing.T) {
		m := model.Message{Digest: "F", Slot: t0, MessageID: "<f@x>", To: []string{"a@example.org"}, Channels: chans(hook)}
		if err := s.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDeliverySent(ctx, m.ID, hook, t0); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Message(ctx, m.ID); got.Status != model.MessagePending {
			t.Fatalf("a webhook's success settled the mail: %+v", got)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if err := s.MarkDeliverySent(ctx, m.ID, "https://other.example.org/", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("mark of an unknown channel: %v, want ErrNotFound", err)
		}
	})
}

// A digest whose mail failed for good keeps its items claimed while a
// notify channel had them or still owes them: the next digest does not
// post them to that channel again. Once every channel failed too, they
// are released.
func TestMailFailedChannelClaims(t *testing.T) { both(t, testMailFailedChannelClaims) }

func testMailFailedChannelClaims(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	added := save(t, s, "src", item("a"), item("b"))
	hook := "https://hooks.example.org/h"
	m := model.Message{Digest: "D", Slot: t0, MessageID: "<m@x>", To: []string{"a@example.org"}, Channels: chans(hook), ItemIDs: ids(added)}
	if err := s.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, m.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	unclaimed := func() int {
		t.Helper()
		items, err := s.Items(ctx, ItemQuery{UnclaimedBy: "D"})
		if err != nil {
			t.Fatal(err)
		}
		return len(items)
	}
	if n := unclaimed(); n != 0 {
		t.Fatalf("%d items released while the channel still owes them", n)
	}
	next := model.Message{Digest: "D", Slot: t0.Add(time.Hour), MessageID: "<n@x>", To: []string{"a@example.org"}, ItemIDs: ids(added)}
	if err := s.CreateMessage(ctx, &next); !errors.Is(err, ErrClaimed) {
		t.Fatalf("next digest with the same items: %v, want ErrClaimed", err)
	}
	if err := s.MarkDeliverySent(ctx, m.ID, hook, t0); err != nil {
		t.Fatal(err)
	}
	if n := unclaimed(); n != 0 {
		t.Fatalf("%d items released though the channel had them", n)
	}
	if slot, ok, err := s.LastDelivered(ctx, "D", hook); err != nil || !ok || !slot.Equal(t0) {
		t.Fatalf("LastDelivered = %v, %v, %v; want the slot %v", slot, ok, err, t0)
	}
	if _, ok, err := s.LastDelivered(ctx, "D", "https://other.example.org/"); err != nil || ok {
		t.Fatalf("LastDelivered of a channel that had nothing: %v, %v", ok, err)
	}

	other := model.Message{Digest: "E", Slot: t0, MessageID: "<e@x>", To: []string{"a@example.org"}, Channels: chans(hook), ItemIDs: ids(added)}
	if err := s.CreateMessage(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, other.ID, "550"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeliveryFailed(ctx, other.ID, hook, "410 Gone"); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.Items(ctx, ItemQuery{UnclaimedBy: "E"}); len(items) != 2 {
		t.Fatalf("%d items released once mail and channel failed, want 2", len(items))
	}
}

func TestReleasedAfterLaterDigests(t *testing.T) { both(t, testReleasedAfterLaterDigests) }

// testReleasedAfterLaterDigests: a message that fails after a later digest
// of the same name was sent (its channel retried for days, then gave up)
// releases items older than that digest's window; ReleasedBy selects them
// all the same, and only for that digest.
func testReleasedAfterLaterDigests(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	old := save(t, s, "src", item("old-a"), item("old-b"))
	hook := "https://hooks.example.org/h"
	m := model.Message{Digest: "D", Slot: t0, MessageID: "<m@x>", To: []string{"a@example.org"}, Channels: chans(hook), ItemIDs: ids(old)}
	if err := s.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, m.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	window := s.now() // a later digest was sent: its window starts here
	save(t, s, "src", item("new"))
	q := ItemQuery{ChangedAfter: window, UnclaimedBy: "D", ReleasedBy: "D"}
	selected := func(q ItemQuery) []string {
		t.Helper()
		items, err := s.Items(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return keys(items)
	}
	if got := selected(q); len(got) != 1 {
		t.Fatalf("while the channel still owes the old items: %v, want only the new one", got)
	}
	if err := s.MarkDeliveryFailed(ctx, m.ID, hook, "gave up after 72 h"); err != nil {
		t.Fatal(err)
	}
	if got := selected(q); len(got) != 3 {
		t.Fatalf("after the channel gave up: %v, want the new item and the two released ones", got)
	}
	q.ReleasedBy = ""
	if got := selected(q); len(got) != 1 {
		t.Fatalf("without ReleasedBy: %v, want only the window's item", got)
	}
	q.ReleasedBy, q.UnclaimedBy = "E", "E"
	if got := selected(q); len(got) != 1 {
		t.Fatalf("another digest: %v, want only the window's item", got)
	}
}
