package scraper

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// TestDebugLogMasksSecrets: the debug records of a fetch (its retries, its
// failure) show no secret of the source's URL: neither its password nor
// a query value.
func TestDebugLogMasksSecrets(t *testing.T) {
	var calls atomic.Int32
	srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	// Each reading of the clock is an hour on: the Retry-After's hold has
	// passed when the retry looks.
	var hours atomic.Int64
	now := func() time.Time {
		return time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC).Add(time.Duration(hours.Add(1)) * time.Hour)
	}
	var buf testutil.LockedBuffer
	f := New(Options{Now: now, Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	feed := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/feed?apikey=SEKRET"
	if res := f.Fetch(t.Context(), Source{Name: "Paid", Feed: feed}); res.Err == nil {
		t.Fatal("fetch succeeded, want HTTP 500")
	}
	got := buf.String()
	if !strings.Contains(got, "msg=retrying") || !strings.Contains(got, `msg="fetch failed"`) {
		t.Fatalf("debug log without the retry and the failure:\n%s", got)
	}
	for _, secret := range []string{"hunter2", "SEKRET"} {
		if strings.Contains(got, secret) {
			t.Errorf("debug log shows %q:\n%s", secret, got)
		}
	}
}
