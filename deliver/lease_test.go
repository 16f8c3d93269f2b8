package deliver

import (
	"context"
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
