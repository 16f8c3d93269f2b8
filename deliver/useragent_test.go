package deliver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWebhookUserAgent: a webhook is posted with the configured
// User-Agent, not Go's.
func TestWebhookUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
	}))
	t.Cleanup(srv.Close)
	w := &Webhook{URL: srv.URL, UserAgent: "newswatch/0.1 (+https://example.org/newswatch)"}
	if err := w.Post(context.Background(), "<k@example.org>", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != w.UserAgent {
		t.Errorf("User-Agent %q, want %q", ua, w.UserAgent)
	}
}
