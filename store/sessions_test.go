package store

import (
	"context"
	"testing"
	"time"
)

// A logged-out session is refused by every store on the database, until
// it would have expired; a day after that it is forgotten at the next
// logout.
func TestEndSession(t *testing.T) { both(t, testEndSession) }

func testEndSession(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	o := another(t, s)
	ended := func(st *Store, id string) bool {
		t.Helper()
		got, err := st.SessionEnded(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if ended(s, "a") {
		t.Fatal("a session never logged out is ended")
	}
	if err := s.EndSession(ctx, "a", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.EndSession(ctx, "a", t0.Add(time.Hour)); err != nil {
		t.Fatalf("logging out twice: %v", err)
	}
	if !ended(s, "a") || !ended(o, "a") {
		t.Errorf("a logged-out session: ended here %v, in another store %v", ended(s, "a"), ended(o, "a"))
	}
	if ended(o, "b") {
		t.Error("another session is ended too")
	}

	// "a" has expired, by less than the margin for other consoles'
	// clocks: kept; then by more: forgotten at the next logout.
	s.now = func() time.Time { return t0.Add(2 * time.Hour) }
	if err := s.EndSession(ctx, "b", t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !ended(s, "a") {
		t.Error("a session expired an hour ago is forgotten: a console with a slower clock would take it")
	}
	s.now = func() time.Time { return t0.Add(time.Hour + endedMargin + time.Second) }
	if err := s.EndSession(ctx, "c", t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ended(s, "a") {
		t.Error("a session expired longer ago than the margin is kept after the next logout")
	}
	if !ended(s, "b") {
		t.Error("the session logged out last is not ended")
	}
}
