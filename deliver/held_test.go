package deliver

import (
	"context"
	"errors"
	"testing"
	"time"

	"newswatch/model"
)

// TestDeliverHeld: a failure of the mail settings records the message as
// held, and is never given up on, not even for recipients still owed
// days after the others had it; RetryPolicy.Held tries a held message
// before its next attempt, and leaves the others waiting for theirs.
func TestDeliverHeld(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m := testMessage()
	m.ID, m.To = 0, []string{"analyst@example.org", "two@example.org"}
	if err := st.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	other := testMessage()
	other.ID, other.Digest, other.MessageID, other.ItemIDs = 0, "other", "<other@newswatch.test>", nil
	if err := st.CreateMessage(ctx, &other); err != nil {
		t.Fatal(err)
	}
	// The first recipient had it; the second is owed.
	if err := st.MarkPartial(ctx, m.ID, t0, []string{"two@example.org"}, "452 mailbox full", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRetry(ctx, other.ID, "421 busy", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	login := senderFunc(func(context.Context, model.Message) error {
		return &SendError{Temporary: true, Code: 535, Err: &SettingsError{Err: errors.New("smtp: 535 authentication failed")}}
	})
	later := t0.Add(owedFor + 24*time.Hour)
	rep, err := Deliver(ctx, st, login, later, RetryPolicy{})
	if err != nil || len(rep.Retry) != 2 || len(rep.Failed) != 0 {
		t.Fatalf("a refused login %v later: %+v, %v; want both kept for a retry", later.Sub(t0), rep, err)
	}
	got := statuses(t, st)[m.MessageID]
	if got.Status != model.MessagePending || !got.Held {
		t.Fatalf("after a refused login: %+v, want pending and held", got)
	}

	// Held: the held one now, though its next attempt is an hour away.
	// (other was held too by the run above: make it an ordinary retry.)
	if err := st.MarkRetry(ctx, other.ID, "421 busy", later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var tried []string
	ok := senderFunc(func(_ context.Context, m model.Message) error { tried = append(tried, m.MessageID); return nil })
	rep, err = Deliver(ctx, st, ok, later.Add(time.Second), RetryPolicy{Held: true})
	if err != nil || len(tried) != 1 || tried[0] != m.MessageID || len(rep.Sent) != 1 {
		t.Fatalf("RetryPolicy.Held: tried %v (%+v, %v); want the held message alone", tried, rep, err)
	}
	if got := statuses(t, st)[m.MessageID]; got.Status != model.MessageSent || got.Held {
		t.Errorf("after the fix: %+v, want sent and no longer held", got)
	}
}
