package store

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestHoldGivesUpOnAHungRenewal: a renewal that never answers (a database
// gone silent) does not keep the holder working: the held context is
// cancelled with ErrLeaseLost before the lease could be taken over by
// another owner (LeaseTTL after the last successful renewal).
func TestHoldGivesUpOnAHungRenewal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Store{now: time.Now}
		start := time.Now()
		held, stop := s.hold(context.Background(), "message 1", time.Now(), func(ctx context.Context) (bool, error) {
			<-ctx.Done()
			return false, ctx.Err()
		})
		defer stop()
		<-held.Done()
		if !errors.Is(context.Cause(held), ErrLeaseLost) {
			t.Errorf("cause %v, want ErrLeaseLost", context.Cause(held))
		}
		if waited := time.Since(start); waited >= LeaseTTL {
			t.Errorf("gave up after %v: another owner may take the lease at %v", waited, LeaseTTL)
		}
	})
}

// TestCheckHeldDeadline: a holder judges its lease by its own clock. Once
// LeaseTTL less renewEvery passed since its last successful renewal, its
// lease may be another's: CheckHeld fails with ErrLeaseLost though no
// renewal ran to cancel the context (a holder waking from a stall runs
// before its renewal does). Each successful renewal pushes that deadline
// back.
func TestCheckHeldDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ticks := make(chan time.Time)
		s := &Store{now: time.Now, ticks: ticks}
		renewals := 0
		held, stop := s.hold(context.Background(), "message 1", time.Now(), func(context.Context) (bool, error) {
			renewals++
			return true, nil
		})
		defer stop()
		if err := CheckHeld(held); err != nil {
			t.Fatalf("at once: %v", err)
		}
		time.Sleep(LeaseTTL - renewEvery - time.Millisecond)
		if err := CheckHeld(held); err != nil {
			t.Fatalf("just before the deadline: %v", err)
		}
		ticks <- time.Time{}
		synctest.Wait()
		if renewals != 1 {
			t.Fatalf("%d renewals, want 1", renewals)
		}
		time.Sleep(2 * time.Millisecond)
		if err := CheckHeld(held); err != nil {
			t.Fatalf("past the first deadline, after a renewal: %v", err)
		}
		// A stall: no renewal for the whole lease.
		time.Sleep(LeaseTTL)
		err := CheckHeld(held)
		if !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("after a stall of %v: %v, want ErrLeaseLost", LeaseTTL, err)
		}
		if held.Err() != nil {
			t.Fatalf("the context was cancelled (%v): the test wants the check alone", context.Cause(held))
		}
		if err := CheckHeld(context.Background()); err != nil {
			t.Errorf("a context of no Hold: %v", err)
		}
	})
}
