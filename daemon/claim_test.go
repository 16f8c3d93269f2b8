package daemon

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newswatch/internal/testutil"
	"newswatch/store"
)

// TestComposeClaimLost: two daemons share a database; the one that
// claimed a digest's slot stalls while composing (its clock jumps past its
// claim) and the other takes the slot over. When the first resumes, it
// records no digest beside the new holder's, and says so in a warning,
// not an error; the new holder's digest is recorded.
func TestComposeClaimLost(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
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
			ctx := context.Background()
			stalled, other := openApp(t, path), openApp(t, path)
			var ahead atomic.Int64
			stalled.Store.SetClock(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })
			spec, ok := stalled.Spec("Brief")
			if !ok {
				t.Fatal("no digest Brief")
			}
			lease, slot := []string{"digest:Brief"}, time.Now().Truncate(time.Minute)
			if got, _, err := stalled.Store.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
				t.Fatalf("claim: %q, %v", got, err)
			}
			held, stop := stalled.Store.HoldClaims(ctx, lease)
			defer stop()

			// The claim expires (as if its time had passed on the clock
			// that judges it), the other daemon takes the slot over, and
			// the stalled one's clock jumps.
			conn, err := sql.Open(driver, db)
			if err != nil {
				t.Fatal(err)
			}
			_, err = conn.ExecContext(ctx, `UPDATE leases SET until = 0`)
			conn.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got, _, err := other.Store.Claim(ctx, lease, slot, 1); err != nil || len(got) != 1 {
				t.Fatalf("takeover: %q, %v", got, err)
			}
			ahead.Store(int64(store.LeaseTTL))

			var logs testutil.LockedBuffer
			d := &Daemon{}
			if d.compose(held, stalled, spec, slot, slog.New(slog.NewTextHandler(&logs, nil))) {
				t.Error("the stalled daemon's compose is done, want not (its claim was lost)")
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
			if !d.compose(oheld, other, spec, slot, slog.New(slog.DiscardHandler)) {
				t.Fatal("the new holder's compose failed")
			}
			if ms, err := other.Store.Messages(ctx); err != nil || len(ms) != 1 {
				t.Fatalf("outbox: %d messages, %v; want the new holder's digest", len(ms), err)
			}
		})
	}
}
