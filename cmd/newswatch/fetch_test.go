package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"newswatch/scraper"
)

// testApp opens the app of writeConfig's configuration over feedServer,
// closed when the test ends.
func testApp(t *testing.T) *app {
	t.Helper()
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	e.config = writeConfig(t, feedServer(t).URL, "")
	a, err := openApp(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestFetchCutShortRecordsHealth: a fetch whose context ends (shutdown, job
// deadline) still records the health of the item-less sources it got an
// answer for, though those are saved in batches after their callbacks.
func TestFetchCutShortRecordsHealth(t *testing.T) {
	a := testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var itemless []string
	_, _ = a.fetch(ctx, a.cfg.Sources, quietLogger{slog.New(slog.DiscardHandler)}, func(o *sourceOutcome) {
		cancel() // cut short once the first source is in
		if o.items == 0 {
			itemless = append(itemless, o.name)
		}
	})
	if len(itemless) == 0 {
		t.Fatal("no item-less source reported")
	}
	hs, err := a.st.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, h := range hs {
		recorded[h.Source] = true
	}
	for _, name := range itemless {
		if !recorded[name] {
			t.Errorf("%s answered but its health was not recorded (recorded: %v)", name, recorded)
		}
	}
}

// TestSaveAfterCancel: items that arrived before the fetch was cut short
// are stored, so the next run does not fetch them again.
func TestSaveAfterCancel(t *testing.T) {
	a := testApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := scraper.Result{Source: "Markets Wire", Items: []scraper.Item{
		{Key: "https://news.example/cut", Link: "https://news.example/cut", Title: "Cainiao spying probe"},
	}}
	out := a.save(ctx, r, a.run(r))
	if out.err != nil || out.fresh != 1 {
		t.Fatalf("save after cancel: err %v, %d new", out.err, out.fresh)
	}
	if known, err := a.st.Known(context.Background(), []string{"https://news.example/cut"}); err != nil || !known["https://news.example/cut"] {
		t.Errorf("the item is not stored: %v, %v", known, err)
	}
}
