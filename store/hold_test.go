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
		s := &Store{}
		start := time.Now()
		held, stop := s.hold(context.Background(), "message 1", func(ctx context.Context) (bool, error) {
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
