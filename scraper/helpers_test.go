package scraper

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// serve starts an httptest server (127.0.0.1) for the test's duration.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// serveBytes serves body with the given Content-Type on every path.
func serveBytes(t *testing.T, contentType string, body []byte) *httptest.Server {
	t.Helper()
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		_, _ = w.Write(body)
	})
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
