package store

import (
	"context"
	"newswatch/model"
	"reflect"
	"testing"
	"time"
)

func TestDelivered(t *testing.T) { both(t, testDelivered) }

func testDelivered(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	added := save(t, s, "src", item("a"), item("b"), item("c"), item("d"))
	record := func(digest string, slot time.Time, its []model.Item) int64 {
		t.Helper()
		m := model.Message{Digest: digest, Slot: slot, ItemIDs: ids(its)}
		if err := s.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	old := record("Morning", t0, added[:1])
	sent := record("Morning", t0.Add(24*time.Hour), added[1:2])
	record("Morning", t0.Add(48*time.Hour), added[2:3]) // pending: not delivered
	other := record("Evening", t0, added[3:])
	for id, at := range map[int64]time.Time{old: t0, sent: t0.Add(24 * time.Hour), other: t0} {
		if err := s.MarkSent(ctx, id, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		digest string
		since  time.Time
		want   []string
	}{
		{"Morning", t0.Add(-time.Hour), []string{"b", "a"}},
		{"Morning", t0.Add(time.Hour), []string{"b"}},
		{"Evening", t0, []string{"d"}},
		{"Nobody", t0, []string{}},
	} {
		got, err := s.Delivered(ctx, tt.digest, tt.since)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(keys(got), tt.want) {
			t.Errorf("Delivered(%s, %v) = %v, want %v", tt.digest, tt.since, keys(got), tt.want)
		}
	}
}
