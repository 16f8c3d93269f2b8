package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"newswatch/model"
)

// TestCreateMessageClaimLost: a daemon that claimed a digest's slot and
// stalled past its claim while composing, the slot taken over by another
// daemon, records nothing when it resumes (its claim is no longer its
// own by its clock, no renewal having run to tell it): no outbox row
// beside the new holder's, which records its own.
func TestCreateMessageClaimLost(t *testing.T) { both(t, testCreateMessageClaimLost) }

func testCreateMessageClaimLost(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	manualTicks(a) // no renewal runs: the check alone decides
	now := t0
	a.now = func() time.Time { return now }
	b := another(t, a)
	lease, slot := []string{"digest:D"}, t0.Add(time.Hour)
	if got, _, err := a.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
		t.Fatalf("a's claim: %q, %v", got, err)
	}
	held, stop := a.HoldClaims(ctx, lease)
	defer stop()

	// The stall: the claim expires and b takes the slot over.
	age(t, a, LeaseTTL)
	now = now.Add(LeaseTTL)
	if got, _, err := b.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
		t.Fatalf("b's takeover: %q, %v", got, err)
	}
	m := model.Message{Digest: "D", Slot: slot, MessageID: "<a@x>", To: []string{"r@example.org"}}
	if err := a.CreateMessage(held, &m); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("a stalled holder's digest: %v, want ErrLeaseLost (an outbox row beside the new holder's)", err)
	}
	if ms, err := b.Messages(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("outbox after the stalled holder's try: %+v, %v; want nothing recorded", ms, err)
	}

	bheld, bstop := b.HoldClaims(ctx, lease)
	defer bstop()
	mb := model.Message{Digest: "D", Slot: slot, MessageID: "<b@x>", To: []string{"r@example.org"}}
	if err := b.CreateMessage(bheld, &mb); err != nil {
		t.Fatalf("the new holder's digest: %v", err)
	}
	if ms, err := b.Messages(ctx); err != nil || len(ms) != 1 || ms[0].MessageID != "<b@x>" {
		t.Fatalf("outbox: %+v, %v; want the new holder's digest alone", ms, err)
	}
}
