package deliver

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWebhookClock: the signature's timestamp and a Retry-After date are
// read against the webhook's clock, not the system's.
func TestWebhookClock(t *testing.T) {
	at := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	rcv := &receiver{codes: []int{204}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: func() (string, error) { return "s3cret", nil }, Now: func() time.Time { return at }}
	if err := w.Post(context.Background(), "<k@x>", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got := rcv.headers[0].Get(TimestampHeader); got != "1772434800" {
		t.Errorf("timestamp %s, want the clock's 1772434800", got)
	}
}
