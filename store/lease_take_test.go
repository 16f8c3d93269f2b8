package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHoldDeadlineFromLease: a sender that stalls between Lease and
// HoldMessage past the lease's expiry, while another sender takes the
// message over, must not find its lease its own: the holder's deadline
// has to count from the lease it took, not from the Hold.
func TestHoldDeadlineFromLease(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		a := open(t)
		b := another(t, a)
		manualTicks(a) // no renewal runs: the check alone decides
		now := t0
		a.now = func() time.Time { return now }
		m := pendingMessage(t, a, "D")
		if err := a.Lease(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		// The stall: the lease expires and b takes the message over.
		age(t, a, LeaseTTL)
		now = now.Add(LeaseTTL)
		if err := b.Lease(ctx, m.ID); err != nil {
			t.Fatalf("b's takeover: %v", err)
		}
		held, stop := a.HoldMessage(ctx, m.ID)
		defer stop()
		if err := CheckHeld(held); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("CheckHeld after a stall past the lease between Lease and Hold: %v, want ErrLeaseLost (a sends beside b)", err)
		}
	})
}
