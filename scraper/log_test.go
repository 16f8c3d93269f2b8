package scraper

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"newswatch/internal/testutil"
)

// TestFetchLogsEachSource: with debug records kept, each fetch is logged
// once with its source's name; at a higher level nothing is written.
func TestFetchLogsEachSource(t *testing.T) {
	srv := testutil.ServeBytes(t, "application/rss+xml", []byte(`<rss version="2.0"><channel><title>t</title>`+
		`<item><title>One</title><link>https://news.example/1</link></item></channel></rss>`))
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var buf bytes.Buffer
		f := New(Options{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))})
		res := f.Fetch(t.Context(), Source{Name: "Wire one", Feed: srv.URL + "/feed"})
		if res.Err != nil || len(res.Items) != 1 {
			t.Fatalf("%v: %d items, %v", level, len(res.Items), res.Err)
		}
		got := buf.String()
		if level == slog.LevelDebug {
			if !strings.Contains(got, `msg=fetched source="Wire one"`) || !strings.Contains(got, "items=1") || strings.Count(got, "\n") != 1 {
				t.Errorf("debug log:\n%s", got)
			}
		} else if got != "" {
			t.Errorf("%v log:\n%s", level, got)
		}
	}
}
