package deliver

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"newswatch/model"
	"newswatch/store"
)

// gate holds its first Send until released, closing entered when it
// starts.
type gate struct {
	inner   Sender
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Send(ctx context.Context, m model.Message) error {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.inner.Send(ctx, m)
}

// Two Deliver calls at once, as a daemon and a manual `send` (two
// processes' stores on one database): while one is sending a message, the
// other leaves it alone, so no Message-ID reaches the SMTP server twice.
func TestDeliverConcurrentOnce(t *testing.T) {
	st := openStore(t)
	other, err := store.Open(context.Background(), st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ms, _ := outbox(t, st, 2)
	s := newSMTP(t, authOpts(), "starttls", 2*time.Second)

	g := &gate{inner: s.sender, entered: make(chan struct{}), release: make(chan struct{})}
	first := make(chan error, 1)
	go func() {
		_, err := Deliver(context.Background(), st, g, t0, RetryPolicy{Immediate: true})
		first <- err
	}()
	<-g.entered // the first sender holds the first message, mid-send
	if _, err := Deliver(context.Background(), other, s.sender, t0, RetryPolicy{Immediate: true}); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range s.srv.Messages() {
		seen[m.MessageID]++
	}
	for _, m := range ms {
		if seen[m.MessageID] != 1 {
			t.Errorf("%s reached the server %d times, want once", m.MessageID, seen[m.MessageID])
		}
	}
}

// blocked is a sender that sends nothing: it waits until its context ends
// and reports why.
type blocked struct {
	started chan struct{}
	cause   chan error
}

func (b *blocked) Send(ctx context.Context, m model.Message) error {
	close(b.started)
	<-ctx.Done()
	b.cause <- context.Cause(ctx)
	return ctx.Err()
}

// A sender whose lease was taken over while it was stalled mid-send (here
// the database's lease row changes owner) stops at its next renewal: the
// send's context ends with store.ErrLeaseLost, and the outcome is left to
// the new holder (its lease is not cleared by a retry record).
func TestDeliverStopsWhenLeaseLost(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	db, err := sql.Open("sqlite", "file:"+st.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := &blocked{started: make(chan struct{}), cause: make(chan error, 1)}
	done := make(chan error, 1)
	go func() {
		_, err := Deliver(context.Background(), st, b, t0, RetryPolicy{Immediate: true})
		done <- err
	}()
	<-b.started
	if _, err := db.Exec(`UPDATE messages SET lease_owner = 'other:1:taken' WHERE id = ?`, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	select {
	case cause := <-b.cause:
		if !errors.Is(cause, store.ErrLeaseLost) {
			t.Fatalf("the send ended with %v, want ErrLeaseLost", cause)
		}
	case <-time.After(time.Minute):
		t.Fatal("the send went on after its lease was taken over")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var owner string
	var attempts int
	if err := db.QueryRow(`SELECT lease_owner, attempts FROM messages WHERE id = ?`, ms[0].ID).Scan(&owner, &attempts); err != nil {
		t.Fatal(err)
	}
	if owner != "other:1:taken" || attempts != 0 {
		t.Errorf("after losing the lease: owner %q, %d attempts recorded; want the new holder's lease untouched", owner, attempts)
	}
}
