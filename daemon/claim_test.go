package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newswatch/app"
	"newswatch/digest"
	"newswatch/internal/testutil"
	"newswatch/store"
)

// claimSetup is a configuration with one digest, Brief, that sends even
// when empty, over a fresh database of dialect.
type claimSetup struct {
	path       string // the configuration file
	db, driver string // the database and its database/sql driver
}

func newClaimSetup(t *testing.T, dialect string) claimSetup {
	t.Helper()
	dir := t.TempDir()
	db, driver := filepath.Join(dir, "nw.db"), "sqlite"
	if dialect == "postgres" {
		db, driver = testutil.Postgres(t), "pgx"
	}
	path := filepath.Join(dir, "newswatch.toml")
	cfg := fmt.Sprintf(`database = %q
[[sources]]
name = "Wire"
feed = "https://news.example/rss"
[[companies]]
name = "Alibaba"
[[topics]]
name = "Espionage"
terms = ["espionage"]
[[digests]]
name = "Brief"
schedule = "0 7 * * *"
to = ["analyst@example.org"]
send_empty = true
`, db)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return claimSetup{path: path, db: db, driver: driver}
}

// expireClaims makes every claim expire, as if its time had passed on the
// clock that judges it (the database server's on PostgreSQL, which a test
// cannot move).
func (c claimSetup) expireClaims(t *testing.T) {
	t.Helper()
	conn, err := sql.Open(c.driver, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `UPDATE leases SET until = 0`); err != nil {
		t.Fatal(err)
	}
}

// aheadClock makes a's store read a clock ahead of the system's by what
// it returns holds.
func aheadClock(a *app.App) *atomic.Int64 {
	var ahead atomic.Int64
	a.Store.SetClock(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })
	return &ahead
}

func brief(t *testing.T, a *app.App) digest.Spec {
	t.Helper()
	spec, ok := a.Spec("Brief")
	if !ok {
		t.Fatal("no digest Brief")
	}
	return spec
}

// stall is how far the store's clock of a daemon that stalls while
// composing jumps: past the holder's own deadline (10 s after its claim or
// last renewal), not past the claim's expiry (15 s).
const stall = 11 * time.Second

// TestComposeClaimLost: two daemons share a database; the one that
// claimed a digest's slot stalls while composing (its clock jumps past its
// claim) and the other takes the slot over. When the first resumes, it
// records no digest beside the new holder's, and says so in a warning,
// not an error; the new holder's digest is recorded.
func TestComposeClaimLost(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			c := newClaimSetup(t, dialect)
			ctx := context.Background()
			stalled, other := openApp(t, c.path), openApp(t, c.path)
			ahead := aheadClock(stalled)
			spec := brief(t, stalled)
			lease, slot := []string{"digest:Brief"}, time.Now().Truncate(time.Minute)
			if got, _, err := stalled.Store.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
				t.Fatalf("claim: %q, %v", got, err)
			}
			held, stop := stalled.Store.HoldClaims(ctx, lease)
			defer stop()

			// The claim expires, the other daemon takes the slot over, and
			// the stalled one's clock jumps.
			c.expireClaims(t)
			if got, _, err := other.Store.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
				t.Fatalf("takeover: %q, %v", got, err)
			}
			ahead.Store(int64(store.LeaseTTL))

			composeLostThenTaken(t, held, stalled, other, spec, slot, lease)
		})
	}
}

// TestComposeClaimLostAlone: a daemon alone on its database stalls while
// composing, past its claim on the slot; no daemon takes the slot over.
// It records nothing under the lost claim, claims the slot again at once
// (it released the lost claim: it does not wait for its expiry) and
// records the digest then, once; the slot is done.
func TestComposeClaimLostAlone(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			c := newClaimSetup(t, dialect)
			ctx := context.Background()
			a := openApp(t, c.path)
			ahead := aheadClock(a)
			var composes atomic.Int32
			a.Now = func() time.Time {
				// The first compose reads the time as it starts: the
				// stall comes then.
				if composes.Add(1) == 1 {
					ahead.Store(int64(stall))
				}
				return time.Now()
			}
			slot := time.Now().Truncate(time.Minute)

			var logs testutil.LockedBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			d := &Daemon{}
			if !d.composeShared(ctx, a, brief(t, a), slot, log) {
				t.Errorf("composeShared is not done, want the digest composed on a second claim")
			}
			got := logs.String()
			if !strings.Contains(got, "level=WARN") || !strings.Contains(got, "claim on the digest slot lost") ||
				strings.Contains(got, "level=ERROR") {
				t.Errorf("log:\n%s\nwant a warning that the claim was lost, no error", got)
			}
			if strings.Contains(got, "waiting") {
				t.Errorf("log:\n%s\nwant the slot claimed again at once, not once the lost claim expired", got)
			}
			if n := composes.Load(); n != 2 {
				t.Errorf("composed %d times, want 2 (lost, then recorded)", n)
			}
			ms, err := a.Store.Messages(ctx)
			if err != nil || len(ms) != 1 || !ms[0].Slot.Equal(slot) {
				t.Fatalf("outbox: %+v, %v; want the slot's digest once", ms, err)
			}
			if claimed, busy, err := a.Store.Claim(ctx, []string{"digest:Brief"}, slot, 1); err != nil || len(claimed) != 0 || busy != 0 {
				t.Errorf("claim after: %q, %d busy, %v; want the slot done", claimed, busy, err)
			}
		})
	}
}

// TestComposeClaimLostGivesUp: a daemon that stalls each time it composes
// a slot loses its claim each time; it claims the slot again a bounded
// number of times, then gives the slot up with an error, recording
// nothing and leaving the slot free for another daemon.
func TestComposeClaimLostGivesUp(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			c := newClaimSetup(t, dialect)
			a, other := openApp(t, c.path), openApp(t, c.path)
			ahead := aheadClock(a)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var composes atomic.Int32
			a.Now = func() time.Time {
				ahead.Add(int64(stall))
				if composes.Add(1) == 10*maxClaimLosses {
					cancel() // no end in sight: stop it here
				}
				return time.Now()
			}
			slot := time.Now().Truncate(time.Minute)

			var logs testutil.LockedBuffer
			d := &Daemon{}
			if d.composeShared(ctx, a, brief(t, a), slot, slog.New(slog.NewTextHandler(&logs, nil))) {
				t.Errorf("composeShared is done, want not (every claim lost)")
			}
			if n := composes.Load(); n != maxClaimLosses || ctx.Err() != nil {
				t.Fatalf("composed %d times, want %d, then given up", n, maxClaimLosses)
			}
			if got := logs.String(); strings.Count(got, "level=WARN") != maxClaimLosses ||
				!strings.Contains(got, "level=ERROR") || !strings.Contains(got, "slot given up") {
				t.Errorf("log:\n%s\nwant a warning per lost claim, then an error: given up", got)
			}
			if ms, err := a.Store.Messages(ctx); err != nil || len(ms) != 0 {
				t.Fatalf("outbox: %d messages, %v; want none", len(ms), err)
			}
			if claimed, _, err := other.Store.Claim(ctx, []string{"digest:Brief"}, slot, 1); err != nil || len(claimed) != 1 {
				t.Errorf("another daemon's claim: %q, %v; want the slot released to it", claimed, err)
			}
		})
	}
}

// TestComposeClaimTakenOverMidCompose: a daemon composing a slot stalls;
// meanwhile another takes the slot over, and the first one's renewal,
// when it wakes, finds its claim taken and cancels the work. The compose
// under the cancelled claim records nothing and says so in a warning, not
// an error; the new holder records the digest.
func TestComposeClaimTakenOverMidCompose(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			c := newClaimSetup(t, dialect)
			ctx := context.Background()
			stalled, other := openApp(t, c.path), openApp(t, c.path)
			ticks := make(chan time.Time)
			stalled.Store.SetRenewTicks(ticks)
			spec := brief(t, stalled)
			lease, slot := []string{"digest:Brief"}, time.Now().Truncate(time.Minute)
			if got, _, err := stalled.Store.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
				t.Fatalf("claim: %q, %v", got, err)
			}
			held, stop := stalled.Store.HoldClaims(ctx, lease)
			defer stop()

			var took atomic.Bool
			stalled.Now = func() time.Time {
				if took.CompareAndSwap(false, true) {
					// The stall, mid-compose: the claim expires, the
					// other daemon takes the slot over, and the stalled
					// one's renewal finds it gone.
					c.expireClaims(t)
					if got, _, err := other.Store.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
						t.Errorf("takeover: %q, %v", got, err)
					}
					ticks <- time.Now()
					<-held.Done()
				}
				return time.Now()
			}

			composeLostThenTaken(t, held, stalled, other, spec, slot, lease)
		})
	}
}

// composeLostThenTaken composes the digest of spec for slot as stalled,
// whose claim (held) the daemon other took over, and checks that stalled
// records nothing and warns, then that other, composing under its claim
// on lease, records the digest.
func composeLostThenTaken(t *testing.T, held context.Context, stalled, other *app.App, spec digest.Spec, slot time.Time, lease []string) {
	t.Helper()
	ctx := context.Background()
	var logs testutil.LockedBuffer
	d := &Daemon{}
	done, lost := d.compose(held, stalled, spec, slot, slog.New(slog.NewTextHandler(&logs, nil)))
	if done || !errors.Is(lost, store.ErrLeaseLost) {
		t.Errorf("the stalled daemon's compose: done %v, lost %v; want not done, its claim lost", done, lost)
	}
	if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "claim on the digest slot lost") ||
		strings.Contains(got, "level=ERROR") {
		t.Errorf("log:\n%s\nwant a warning that the claim was lost, no error", got)
	}
	if ms, err := other.Store.Messages(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("outbox after the stalled daemon's compose: %d messages, %v; want none", len(ms), err)
	}
	oheld, ostop := other.Store.HoldClaims(ctx, lease)
	defer ostop()
	if done, lost := d.compose(oheld, other, spec, slot, slog.New(slog.DiscardHandler)); !done || lost != nil {
		t.Fatalf("the new holder's compose: done %v, lost %v", done, lost)
	}
	if ms, err := other.Store.Messages(ctx); err != nil || len(ms) != 1 {
		t.Fatalf("outbox: %d messages, %v; want the new holder's digest", len(ms), err)
	}
}
