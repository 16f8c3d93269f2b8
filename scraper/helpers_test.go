package scraper

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fixedNow is the fetch time of every test fetch, so date clamping is exact.
var fixedNow = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func newTestFetcher(t *testing.T, o Options) *Fetcher {
	t.Helper()
	f := New(o)
	f.now = func() time.Time { return fixedNow }
	return f
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fetchURL(t *testing.T, f *Fetcher, url string) Result {
	t.Helper()
	return f.Fetch(context.Background(), Source{Name: "test", Feed: url})
}

func mustOK(t *testing.T, res Result) {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("fetch: %v", res.Err)
	}
}
