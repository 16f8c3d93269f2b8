package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"newswatch/internal/testutil"
	"newswatch/store"
)

// TestOneClock: the clock an app is opened with, or given afterwards,
// reaches the ingest pipeline and the store: the items a fetch stores are
// first seen at the app's time, not the system's.
func TestOneClock(t *testing.T) {
	feed := testutil.ServeBytes(t, "application/rss+xml", []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Cainiao spying probe</title><link>https://news.example/a</link><description>Espionage.</description></item></channel></rss>`))
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	cfg := fmt.Sprintf(`database = "nw.db"
max_age = "87600h"
[http]
per_host_delay = "0s"
[[sources]]
name = "Feed"
feed = %q
[[companies]]
name = "Alibaba"
aliases = ["Cainiao"]
[[topics]]
name = "Espionage"
terms = ["espionage"]
`, feed.URL+"/feed")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	a, err := Open(context.Background(), s, func() time.Time { return opened })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	later := opened.Add(time.Hour)
	a.Now = func() time.Time { return later } // after Open: still the one clock
	if _, err := a.Fetch(context.Background(), a.Config.Sources, slog.New(slog.DiscardHandler), nil); err != nil {
		t.Fatal(err)
	}
	items, err := a.Store.Items(context.Background(), store.ItemQuery{})
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v, %v", items, err)
	}
	if !items[0].FirstSeen.Equal(later) {
		t.Errorf("first seen %v, want the app's clock %v", items[0].FirstSeen, later)
	}
	hs, err := a.Store.Health(context.Background())
	// The run started the fetch's duration before the clock's time.
	if err != nil || len(hs) != 1 || hs[0].LastRun.After(later) || later.Sub(hs[0].LastRun) > time.Minute {
		t.Errorf("health %+v, %v: want the last run at the app's clock %v", hs, err, later)
	}
}
