package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"newswatch/model"
)

// TestRecentBySource: each source's newest items, newest first, at most n;
// an item two sources carry is listed under both; a source without items
// has none.
func TestRecentBySource(t *testing.T) {
	both(t, func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		at := func(key string, day int) model.Item {
			it := item(key)
			it.Published = time.Date(2026, 2, day, 12, 0, 0, 0, time.UTC)
			return it
		}
		var many []model.Item
		for d := 1; d <= 7; d++ {
			many = append(many, at(fmt.Sprintf("a%d", d), d))
		}
		save(t, s, "A", many...)
		save(t, s, "B", at("b1", 3), at("a7", 7))
		want := map[string][]string{
			"A": {"a7", "a6", "a5", "a4", "a3"},
			"B": {"a7", "b1"},
		}
		got, err := s.RecentBySource(ctx, []string{"A", "B", "C"}, 5)
		if err != nil {
			t.Fatal(err)
		}
		keyed := map[string][]string{}
		for name, items := range got {
			keyed[name] = keys(items)
		}
		if !reflect.DeepEqual(keyed, want) {
			t.Errorf("got %v, want %v", keyed, want)
		}
	})
}
