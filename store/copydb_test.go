package store

import (
	"bytes"
	"context"
	"errors"
	"newswatch/model"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestCopyTo copies an SQLite database into a fresh one (SQLite, then
// PostgreSQL): the items, their sources, health and the outbox come out
// the same, and the copy goes on from there.
func TestCopyTo(t *testing.T) { both(t, testCopyTo) }

func testCopyTo(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.now = (&clock{t: t0}).now
	save(t, src, "a", item("k1"), item("k2"))
	save(t, src, "b", item("k2"), item("k3"))
	if _, err := src.SaveRun(ctx, model.Run{Source: "c", Status: model.StatusError, Err: "503"}, nil); err != nil {
		t.Fatal(err)
	}
	items, err := src.Items(ctx, ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	m := model.Message{Digest: "D", Slot: t0, MessageID: "<m@x>", To: []string{"a@example.org"}, ItemIDs: []int64{items[0].ID, items[1].ID}}
	if err := src.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := src.MarkSent(ctx, m.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	if err := src.EndSession(ctx, "logged-out", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	key, err := src.Key(ctx, "csrf", 32)
	if err != nil {
		t.Fatal(err)
	}

	dst := open(t)
	// A console started on the new database before the copy made a key of
	// its own: the copy goes ahead and the source's key replaces it.
	if _, err := dst.Key(ctx, "csrf", 32); err != nil {
		t.Fatal(err)
	}
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if ended, err := dst.SessionEnded(ctx, "logged-out"); err != nil || !ended {
		t.Errorf("a logged-out console session is not ended in the copy: %v, %v", ended, err)
	}
	if got, err := dst.Key(ctx, "csrf", 32); err != nil || !bytes.Equal(got, key) {
		t.Errorf("the copy's csrf key is %x (%v), want the source's %x", got, err, key)
	}
	if counts["items"] != 3 || counts["item_sources"] != 4 || counts["messages"] != 1 || counts["message_items"] != 2 {
		t.Errorf("copied %v", counts)
	}
	checkIndex(t, dst, true) // the copied items are in the search index already
	for _, read := range []func(*Store) (any, error){
		func(s *Store) (any, error) { return s.Items(ctx, ItemQuery{}) },
		func(s *Store) (any, error) { return s.Health(ctx) },
		func(s *Store) (any, error) { return s.Messages(ctx) },
		func(s *Store) (any, error) { return s.SourceErrors(ctx, time.Time{}) },
		func(s *Store) (any, error) { return s.Items(ctx, ItemQuery{UnclaimedBy: "D"}) },
	} {
		want, err := read(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := read(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("copy reads\n%+v\nwant\n%+v", got, want)
		}
	}
	// The copy goes on: a stored item is not new, a new one gets a new ID.
	if added := save(t, dst, "a", item("k1"), item("k4")); len(added) != 1 || added[0].Key != "k4" || added[0].ID <= items[0].ID {
		t.Errorf("after the copy SaveRun added %+v, want k4 alone with a new ID", added)
	}
	if _, err := src.CopyTo(ctx, dst); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second copy: %v, want ErrNotEmpty", err)
	}
}

// TestCopyToUsedDatabase: a destination that holds only the health of a
// source (a daemon started on it once, its fetches failing) is refused as
// not empty, before anything is copied, as one holding items or digests is.
func TestCopyToUsedDatabase(t *testing.T) { both(t, testCopyToUsedDatabase) }

func testCopyToUsedDatabase(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	save(t, src, "a", item("k1"))
	for name, fill := range map[string]func(dst *Store){
		"health": func(dst *Store) {
			if _, err := dst.SaveRun(ctx, model.Run{Source: "a", Status: model.StatusError, Err: "503"}, nil); err != nil {
				t.Fatal(err)
			}
		},
		"empty slot": func(dst *Store) {
			if err := dst.RecordEmpty(ctx, "D", t0); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dst := open(t)
			fill(dst)
			if _, err := src.CopyTo(ctx, dst); !errors.Is(err, ErrNotEmpty) {
				t.Fatalf("copy into a database holding a row (%s): %v, want ErrNotEmpty", name, err)
			}
			if items, err := dst.Items(ctx, ItemQuery{}); err != nil || len(items) != 0 {
				t.Fatalf("items copied anyway: %v, %v", items, err)
			}
		})
	}
}
