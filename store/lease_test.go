package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"newswatch/model"
)

// age moves every lease expiry in s's database d earlier, as if d had
// passed on the clock leases are judged by (the database server's on
// PostgreSQL, which a test cannot move).
func age(t testing.TB, s *Store, d time.Duration) {
	t.Helper()
	for _, q := range []string{
		`UPDATE leases SET until = until - ?`,
		`UPDATE messages SET lease_until = lease_until - ? WHERE lease_until IS NOT NULL`,
		`UPDATE deliveries SET lease_until = lease_until - ? WHERE lease_until IS NOT NULL`,
	} {
		if _, err := s.w.ExecContext(context.Background(), s.q(q), d.Nanoseconds()); err != nil {
			t.Fatal(err)
		}
	}
}

// messageExpiry is how far a message lease must age to be free, on the
// dialect of s, for a live process's lease: on SQLite a live process keeps
// it aliveGrace past its expiry.
func messageExpiry(s *Store) time.Duration {
	if s.Shared() {
		return LeaseTTL
	}
	return LeaseTTL + aliveGrace
}

// manualTicks makes s's Holds renew when the test sends on the channel
// it returns.
func manualTicks(s *Store) chan<- time.Time {
	ch := make(chan time.Time)
	s.SetRenewTicks(ch)
	return ch
}

// renewed makes the hold reading ticks renew, and returns once that
// renewal is done (the hold takes the second tick only then; that second
// renewal may still run).
func renewed(ticks chan<- time.Time) {
	ticks <- time.Time{}
	ticks <- time.Time{}
}

// chans are notify channels named as their keys.
func chans(keys ...string) []model.Channel {
	var out []model.Channel
	for _, k := range keys {
		out = append(out, model.Channel{Key: k, Name: k})
	}
	return out
}

func pendingMessage(t *testing.T, s *Store, digest string, channels ...string) model.Message {
	t.Helper()
	m := model.Message{Digest: digest, Slot: t0, MessageID: "<" + digest + "@x>", To: []string{"a@example.org"}, Channels: chans(channels...)}
	if err := s.CreateMessage(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLeaseClockSkew: two daemons whose clocks differ by 20 s share a
// PostgreSQL database. Expiries are written and judged by the server's
// clock, so the one running ahead takes neither a source the other claimed
// for the slot nor a message it is sending.
func TestLeaseClockSkew(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		a := open(t)
		a.now = func() time.Time { return time.Now() }
		b := another(t, a)
		b.now = func() time.Time { return time.Now().Add(20 * time.Second) }

		slot := time.Now().Truncate(time.Minute)
		if got, _, err := a.Claim(ctx, []string{"source:x"}, slot, 0); err != nil || len(got) != 1 {
			t.Fatalf("a's claim: %q, %v", got, err)
		}
		got, busy, err := b.Claim(ctx, []string{"source:x"}, slot, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 || busy != 1 {
			t.Fatalf("the daemon 20 s ahead claimed %q (%d busy): it judged the other's claim by its own clock", got, busy)
		}

		m := pendingMessage(t, a, "D", "hook")
		if err := a.Lease(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
			t.Fatalf("the daemon 20 s ahead leased a message being sent: %v, want ErrLeased", err)
		}
		if err := a.LeaseDelivery(ctx, m.ID, "hook"); err != nil {
			t.Fatal(err)
		}
		if err := b.LeaseDelivery(ctx, m.ID, "hook"); !errors.Is(err, ErrLeased) {
			t.Fatalf("the daemon 20 s ahead leased a delivery being sent: %v, want ErrLeased", err)
		}
		// And the one running behind, once the lease really expired,
		// takes it over.
		age(t, a, LeaseTTL)
		a.now = func() time.Time { return time.Now().Add(-20 * time.Second) }
		if err := a.Lease(ctx, m.ID); err != nil {
			t.Fatalf("an expired lease not taken over by the daemon 20 s behind: %v", err)
		}
	})
}

// TestHoldRenews: each renewal of a hold pushes the expiry back, so a
// holder that keeps renewing is never taken over; once it stops, it is.
func TestHoldRenews(t *testing.T) { both(t, testHoldRenews) }

func testHoldRenews(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	b := another(t, a)
	ticks := manualTicks(a)

	t.Run("claims", func(t *testing.T) {
		slot := t0.Add(time.Hour)
		names := []string{"source:a", "source:b"}
		if got, _, err := a.Claim(ctx, names, slot, 0); err != nil || len(got) != 2 {
			t.Fatalf("claim: %q, %v", got, err)
		}
		held, stop := a.HoldClaims(ctx, names)
		defer stop()
		for range 3 {
			age(t, a, LeaseTTL*2/3)
			renewed(ticks)
			if got, busy, err := b.Claim(ctx, names, slot, 0); err != nil || len(got) != 0 || busy != 2 {
				t.Fatalf("claims renewed by their holder taken over: %q, %d busy, %v", got, busy, err)
			}
		}
		if held.Err() != nil {
			t.Fatalf("held context ended while the claims were renewed: %v", context.Cause(held))
		}
		stop()
		age(t, a, LeaseTTL)
		if got, _, err := b.Claim(ctx, names, slot, 0); err != nil || len(got) != 2 {
			t.Fatalf("claims no longer renewed not taken over: %q, %v", got, err)
		}
	})
	t.Run("message", func(t *testing.T) {
		m := pendingMessage(t, a, "M")
		if err := a.Lease(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		_, stop := a.HoldMessage(ctx, m.ID)
		defer stop()
		for range 3 {
			age(t, a, messageExpiry(a)*2/3)
			renewed(ticks)
			if err := b.Lease(ctx, m.ID); !errors.Is(err, ErrLeased) {
				t.Fatalf("message lease renewed by its holder taken over: %v", err)
			}
		}
	})
	t.Run("delivery", func(t *testing.T) {
		m := pendingMessage(t, a, "N", "hook")
		if err := a.LeaseDelivery(ctx, m.ID, "hook"); err != nil {
			t.Fatal(err)
		}
		_, stop := a.HoldDelivery(ctx, m.ID, "hook")
		defer stop()
		for range 3 {
			age(t, a, messageExpiry(a)*2/3)
			renewed(ticks)
			if err := b.LeaseDelivery(ctx, m.ID, "hook"); !errors.Is(err, ErrLeased) {
				t.Fatalf("delivery lease renewed by its holder taken over: %v", err)
			}
		}
	})
}

// TestHoldFencing: a holder that stalls past its lease's expiry and is
// taken over learns it at its next renewal: the context it works under is
// cancelled with ErrLeaseLost, so it stops sending or fetching.
func TestHoldFencing(t *testing.T) { both(t, testHoldFencing) }

func testHoldFencing(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	b := another(t, a)
	ticks := manualTicks(a)
	// lost wakes the stalled holder up: it renews, finds the lease gone
	// and ends, or takes the next tick (and then it worked on).
	lost := func(t *testing.T, held context.Context) {
		t.Helper()
		ticks <- time.Time{}
		select {
		case <-held.Done():
		case ticks <- time.Time{}:
			t.Fatal("the stalled holder's context was not cancelled when its renewal found the lease taken over")
		}
		if !errors.Is(context.Cause(held), ErrLeaseLost) {
			t.Fatalf("cause %v, want ErrLeaseLost", context.Cause(held))
		}
	}

	t.Run("claims", func(t *testing.T) {
		slot := t0.Add(2 * time.Hour)
		names := []string{"source:a", "source:b"}
		if _, _, err := a.Claim(ctx, names, slot, 0); err != nil {
			t.Fatal(err)
		}
		held, stop := a.HoldClaims(ctx, names)
		defer stop()
		// a stalls: no renewal while its claims expire and b takes one.
		age(t, a, LeaseTTL)
		if got, _, err := b.Claim(ctx, names, slot, 1); err != nil || len(got) != 1 {
			t.Fatalf("b's claim: %q, %v", got, err)
		}
		if held.Err() != nil {
			t.Fatal("cancelled before a renewal")
		}
		lost(t, held)
	})
	t.Run("message", func(t *testing.T) {
		m := pendingMessage(t, a, "F")
		if err := a.Lease(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		held, stop := a.HoldMessage(ctx, m.ID)
		defer stop()
		age(t, a, messageExpiry(a))
		if !a.Shared() {
			// On SQLite the holder's process must be gone for another
			// to take its lease: stand in for one that died.
			if _, err := a.w.ExecContext(ctx, `UPDATE messages SET lease_pid = 999999999 WHERE id = ?`, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Lease(ctx, m.ID); err != nil {
			t.Fatalf("b's lease: %v", err)
		}
		lost(t, held)
	})
	t.Run("delivery", func(t *testing.T) {
		m := pendingMessage(t, a, "G", "hook")
		if err := a.LeaseDelivery(ctx, m.ID, "hook"); err != nil {
			t.Fatal(err)
		}
		held, stop := a.HoldDelivery(ctx, m.ID, "hook")
		defer stop()
		age(t, a, messageExpiry(a))
		if !a.Shared() {
			if _, err := a.w.ExecContext(ctx, `UPDATE deliveries SET lease_pid = 999999999 WHERE message_id = ?`, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.LeaseDelivery(ctx, m.ID, "hook"); err != nil {
			t.Fatalf("b's lease: %v", err)
		}
		lost(t, held)
	})
}

// TestRelease: a claim its owner releases is free to another owner at
// once; a released name that is done, or another owner's, stays as it is.
func TestRelease(t *testing.T) { both(t, testRelease) }

func testRelease(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	b := another(t, a)
	names := []string{"source:a", "source:b", "source:c"}
	slot := time.Unix(600, 0)
	if got, _, err := a.Claim(ctx, names[:2], slot, 0); err != nil || len(got) != 2 {
		t.Fatalf("a's claim: %q, %v", got, err)
	}
	if got, _, err := b.Claim(ctx, names[2:], slot, 0); err != nil || len(got) != 1 {
		t.Fatalf("b's claim: %q, %v", got, err)
	}
	if err := a.Finish(ctx, names[:1], slot); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, names, slot); err != nil {
		t.Fatal(err)
	}
	got, busy, err := b.Claim(ctx, names, slot, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, names[1:2]) || busy != 1 {
		t.Errorf("after a released its claims, b claims %q with %d busy; want %q (a finished %q, b holds %q)", got, busy, names[1:2], names[0], names[2])
	}
}

// TestClaimBesideSaves: on PostgreSQL a claim does not wait for the saves
// in progress (they hold the writers' lock shared), which would hold the
// saves that follow back behind it.
func TestClaimBesideSaves(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		a := open(t)
		b := another(t, a)
		save, err := a.w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer save.Rollback()
		if err := a.d.lockSavers(ctx, save); err != nil {
			t.Fatal(err)
		}
		// Bounded only so that a claim that waits fails instead of hanging.
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if got, _, err := b.Claim(cctx, []string{"source:a", "source:b"}, t0, 0); err != nil || len(got) != 2 {
			t.Fatalf("claim beside a save: %q, %v", got, err)
		}
	})
}

// TestClaimRace: daemons sharing a PostgreSQL database, claiming the same
// sources at once, take each of them once.
func TestClaimRace(t *testing.T) { t.Run("postgres", testClaimRace) }

func testClaimRace(t *testing.T) {
	ctx := context.Background()
	a := open(t)
	stores := []*Store{a, another(t, a), another(t, a)}
	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("source:%03d", i)
	}
	slot := time.Unix(600, 0)
	taken := make([][]string, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			for {
				got, busy, err := s.Claim(ctx, names, slot, 16)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 && busy == 0 {
					return
				}
				taken[i] = append(taken[i], got...)
				if err := s.Finish(ctx, got, slot); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	count := map[string]int{}
	for _, got := range taken {
		for _, n := range got {
			count[n]++
		}
	}
	for _, n := range names {
		if count[n] != 1 {
			t.Errorf("%s claimed %d times, want once", n, count[n])
		}
	}
}

// TestHoldDeadlineFromTake: the deadline of each kind of Hold counts from
// the start of the transaction that took the lease: a holder that stalls
// between the two up to its deadline finds the lease lost at once, one
// that does not finds it its own, and a Hold of a lease this Store did not
// take is lost from the start.
func TestHoldDeadlineFromTake(t *testing.T) { both(t, testHoldDeadlineFromTake) }

func testHoldDeadlineFromTake(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	manualTicks(s)
	now := t0
	s.now = func() time.Time { return now }
	m := pendingMessage(t, s, "D", "hook")
	slot := t0.Add(time.Hour)
	kinds := map[string]struct {
		take func() error
		hold func() (context.Context, func())
	}{
		"message": {
			func() error { return s.Lease(ctx, m.ID) },
			func() (context.Context, func()) { return s.HoldMessage(ctx, m.ID) },
		},
		"delivery": {
			func() error { return s.LeaseDelivery(ctx, m.ID, "hook") },
			func() (context.Context, func()) { return s.HoldDelivery(ctx, m.ID, "hook") },
		},
		"claims": {
			func() error {
				got, _, err := s.Claim(ctx, []string{"source:a", "source:b"}, slot, 0)
				if err == nil && len(got) != 2 {
					err = fmt.Errorf("claimed %q", got)
				}
				return err
			},
			func() (context.Context, func()) { return s.HoldClaims(ctx, []string{"source:a", "source:b"}) },
		},
	}
	for name, k := range kinds {
		t.Run(name, func(t *testing.T) {
			for _, stall := range []time.Duration{LeaseTTL - renewEvery - time.Millisecond, LeaseTTL - renewEvery} {
				if err := k.take(); err != nil {
					t.Fatal(err)
				}
				now = now.Add(stall)
				held, stop := k.hold()
				err := CheckHeld(held)
				stop()
				if lost := errors.Is(err, ErrLeaseLost); lost != (stall >= LeaseTTL-renewEvery) {
					t.Errorf("CheckHeld after a stall of %v between taking the lease and its Hold: %v", stall, err)
				}
				// Free again for the next take.
				age(t, s, messageExpiry(s))
				slot = slot.Add(time.Hour)
			}
			held, stop := k.hold()
			defer stop()
			if err := CheckHeld(held); !errors.Is(err, ErrLeaseLost) {
				t.Errorf("CheckHeld of a Hold of no lease taken: %v, want ErrLeaseLost", err)
			}
		})
	}
}
