package daemon

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/ingest"
)

// TestMetricsOnlyWhenServed: a daemon with no listen address keeps no
// metrics (nothing could read them, and they grow with the sources);
// one with an address, from the configuration or Options.Listen, does.
func TestMetricsOnlyWhenServed(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeDaemonConfig(t, dir, 25, "http://127.0.0.1:1/feed", "")
	a := openApp(t, cfgPath)
	log := slog.New(slog.DiscardHandler)
	kept := func(opts Options) bool {
		d := New(a, opts)
		d.keepMetrics()
		return d.metrics != nil
	}
	if kept(Options{Logger: log}) {
		t.Error("no listen address: the daemon records metrics nobody can read")
	}
	if !kept(Options{Logger: log, Listen: "127.0.0.1:0"}) {
		t.Error("Options.Listen set: the daemon records no metrics for /metrics")
	}
	a.Config.Listen = "127.0.0.1:0"
	if !kept(Options{Logger: log}) {
		t.Error("config key listen set: the daemon records no metrics for /metrics")
	}
	// A nil *metrics records nothing and does not panic.
	var m *metrics
	m.observeSource(ingest.Outcome{Source: "A"}, time.Now())
	m.observeReload("applied")
	m.forget(nil, nil)
}

// TestMetricsPerSource: the fetch time is one histogram over all sources,
// not a series set per source; each source keeps its last success and its
// failures, and a source removed from the configuration leaves /metrics.
func TestMetricsPerSource(t *testing.T) {
	m := newMetrics()
	now := time.Unix(1_800_000_000, 0)
	m.observeSource(ingest.Outcome{Source: "A", Fetch: time.Second}, now)
	m.observeSource(ingest.Outcome{Source: "B", Fetch: time.Second}, now)
	m.observeSource(ingest.Outcome{Source: "C", Fetch: time.Second, Err: errors.New("refused")}, now)
	body := scrape(m)
	if n := strings.Count(body, "newswatch_fetch_duration_seconds_count"); n != 1 {
		t.Errorf("fetch duration: %d series for 3 sources, want 1 over all of them:\n%s", n, body)
	}
	if n := strings.Count(body, "\nnewswatch_last_success_timestamp_seconds{"); n != 2 {
		t.Errorf("last success: %d series, want 2 (A and B succeeded):\n%s", n, body)
	}
	m.forget([]config.Source{{Name: "A"}, {Name: "B"}, {Name: "C"}}, []config.Source{{Name: "A"}})
	body = scrape(m)
	for _, gone := range []string{`"fetch:B"`, `source="C"`} {
		if strings.Contains(body, gone) {
			t.Errorf("/metrics still has %s after its source left the configuration:\n%s", gone, body)
		}
	}
	if !strings.Contains(body, `newswatch_last_success_timestamp_seconds{what="fetch:A"} 1.8e+09`) {
		t.Errorf("/metrics lost the source still configured:\n%s", body)
	}
	if !strings.Contains(body, "newswatch_fetch_duration_seconds_count 3") {
		t.Errorf("/metrics: want the three fetches in one histogram:\n%s", body)
	}
}

// scrape returns what /metrics serves for m.
func scrape(m *metrics) string {
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}
