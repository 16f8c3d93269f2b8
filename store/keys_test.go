package store

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// A key is made once: the same store, another store on the database and
// one opened later all get it; keys of other names are others; stores
// asking for it at once agree.
func TestKey(t *testing.T) { both(t, testKey) }

func testKey(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	o := another(t, s)
	get := func(st *Store, name string) []byte {
		t.Helper()
		k, err := st.Key(ctx, name, 32)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	var got [2][]byte
	var wg sync.WaitGroup
	for i, st := range []*Store{s, o} {
		wg.Go(func() {
			k, err := st.Key(ctx, "csrf", 32)
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		})
	}
	wg.Wait()
	if len(got[0]) != 32 || !bytes.Equal(got[0], got[1]) {
		t.Fatalf("two stores asking at once got %x and %x, want one 32-byte key", got[0], got[1])
	}
	if again := get(s, "csrf"); !bytes.Equal(again, got[0]) {
		t.Errorf("asked again: %x, want %x", again, got[0])
	}
	if other := get(s, "other"); bytes.Equal(other, got[0]) {
		t.Error("another name got the same key")
	}
	if later := get(another(t, s), "csrf"); !bytes.Equal(later, got[0]) {
		t.Errorf("a store opened later: %x, want %x", later, got[0])
	}
}
