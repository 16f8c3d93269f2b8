package faulttest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
)

// heldHook is a webhook receiver whose first request is held at one point
// (before answering, or after sending 200 with the body unfinished) until
// released; later requests get 200 at once.
type heldHook struct {
	afterAnswer bool
	hit         chan struct{}
	release     chan struct{}

	mu       sync.Mutex
	keys     []string
	accepted int
}

func (h *heldHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
	first := len(h.keys) == 1
	h.mu.Unlock()
	if !first {
		h.answer(w)
		return
	}
	if h.afterAnswer {
		// The 200 is out and counts as accepted; the sender is still
		// reading the body when it is killed.
		w.Header().Set("Content-Length", "64")
		h.answer(w)
		w.(http.Flusher).Flush()
	}
	h.hit <- struct{}{}
	select {
	case <-h.release:
	case <-r.Context().Done():
	}
}

func (h *heldHook) answer(w http.ResponseWriter) {
	h.mu.Lock()
	h.accepted++
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok")
}

// TestFaultWebhookKilled: `newswatch send` is killed with SIGKILL while a
// webhook channel holds its first delivery, then run again. Killed before
// the receiver answered, the receiver accepts the digest once; killed
// between the receiver's 200 and its record, the next run posts it at most
// once more, with the same Idempotency-Key, and then never again.
func TestFaultWebhookKilled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		afterAnswer bool
		accepted    int
	}{
		{"before the answer", false, 1},
		{"after the 200", true, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook := &heldHook{afterAnswer: tt.afterAnswer, hit: make(chan struct{}, 1), release: make(chan struct{})}
			hsrv := httptest.NewServer(hook)
			t.Cleanup(hsrv.Close)
			feed := serveFeed(t, testutil.RSS(story("wh1one")))
			w := newWorld(t, conf{sources: []src{{name: "Wire", feed: feed.URL}},
				digestKV: fmt.Sprintf("notify = [%q]\n", hsrv.URL+"/hook/${WH_TOKEN}")}, smtptest.Options{})
			w.env = append(w.env, "WH_TOKEN=tok-wh-9f8e")
			w.mustRun(0, "fetch")
			p := w.start("send")
			select {
			case <-hook.hit:
			case <-time.After(30 * time.Second):
				close(hook.release)
				t.Fatalf("the webhook was never posted: %s", p.wait())
			}
			p.kill()
			close(hook.release)
			w.mustRun(0, "send")
			w.mustRun(0, "send") // nothing more once recorded

			hook.mu.Lock()
			keys, accepted := append([]string(nil), hook.keys...), hook.accepted
			hook.mu.Unlock()
			if len(keys) != 2 || accepted != tt.accepted {
				t.Fatalf("%d posts, %d accepted; want 2 posts, %d accepted", len(keys), accepted, tt.accepted)
			}
			if keys[0] == "" || keys[0] != keys[1] {
				t.Errorf("Idempotency-Keys %q differ", keys)
			}
			if len(w.mail.Messages()) != 1 {
				t.Errorf("%d mails, want 1: the channel holds back no mail", len(w.mail.Messages()))
			}
			st := w.mustRun(0, "status")
			if !strings.Contains(st.stdout, "none pending or failed") || strings.Contains(st.stdout, "Channels in the outbox") {
				t.Errorf("outbox not empty after the restart:\n%s", st.stdout)
			}
			if strings.Contains(st.stdout+st.stderr, "tok-wh-9f8e") {
				t.Errorf("status shows the token:\n%s", st.stdout)
			}
		})
	}
}
