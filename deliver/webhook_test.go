package deliver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"newswatch/model"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint answering codes in turn (the last one
// for ever after), recording every request.
type receiver struct {
	mu       sync.Mutex
	codes    []int
	header   http.Header // extra response headers
	keys     []string
	bodies   [][]byte
	sigs     []string
	headers  []http.Header
	accepted int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	code := r.codes[min(len(r.keys), len(r.codes)-1)]
	r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
	r.bodies = append(r.bodies, body)
	r.sigs = append(r.sigs, req.Header.Get(SignatureHeader))
	r.headers = append(r.headers, req.Header.Clone())
	if req.Header.Get("Content-Type") != "application/json" {
		code = http.StatusUnsupportedMediaType
	}
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if code/100 == 2 {
		r.accepted++
	}
	w.WriteHeader(code)
}

func jsonDoc(m model.Message) ([]byte, error) {
	return json.Marshal(map[string]any{"digest": m.Digest, "subject": m.Subject, "message_id": m.MessageID})
}

// A webhook answering 500 twice then 200 gets one accepted delivery, the
// same Idempotency-Key on every try, and nothing more once it succeeded.
func TestWebhookRetriesThenOnce(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	rcv := &receiver{codes: []int{500, 500, 200}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	sender := NewWebhookSender(&Webhook{URL: srv.URL + "/hook"}, jsonDoc)
	ctx := context.Background()
	for i := range 4 {
		if _, err := Deliver(ctx, st, sender, t0.Add(time.Duration(i)*time.Hour), RetryPolicy{Immediate: true}); err != nil {
			t.Fatal(err)
		}
	}
	if len(rcv.keys) != 3 || rcv.accepted != 1 {
		t.Fatalf("%d posts, %d accepted; want 3 posts, 1 accepted", len(rcv.keys), rcv.accepted)
	}
	for _, k := range rcv.keys {
		if k != ms[0].MessageID {
			t.Errorf("Idempotency-Key %q, want the Message-ID %q", k, ms[0].MessageID)
		}
	}
	if m := statuses(t, st)[ms[0].MessageID]; m.Status != model.MessageSent {
		t.Errorf("status %s, want sent", m.Status)
	}
}

// 410 Gone is permanent: the delivery is marked failed with the answer.
func TestWebhookGoneFails(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	srv := httptest.NewServer(&receiver{codes: []int{410}})
	defer srv.Close()
	rep, err := Deliver(context.Background(), st, NewWebhookSender(&Webhook{URL: srv.URL}, jsonDoc), t0, RetryPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	m := statuses(t, st)[ms[0].MessageID]
	if len(rep.Failed) != 1 || m.Status != model.MessageFailed || !strings.Contains(m.LastError, "410") {
		t.Errorf("report %+v, status %s, last error %q; want failed with 410", rep, m.Status, m.LastError)
	}
}

// 429 with Retry-After: the next try is no sooner than asked.
func TestWebhookRetryAfter(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	srv := httptest.NewServer(&receiver{codes: []int{429}, header: http.Header{"Retry-After": {"600"}}})
	defer srv.Close()
	if _, err := Deliver(context.Background(), st, NewWebhookSender(&Webhook{URL: srv.URL}, jsonDoc), t0, RetryPolicy{}); err != nil {
		t.Fatal(err)
	}
	m := statuses(t, st)[ms[0].MessageID]
	if m.Status != model.MessagePending || !m.NextAttempt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("status %s, next attempt %v; want pending, retried after 10 minutes", m.Status, m.NextAttempt.Sub(t0))
	}
}

// With a secret, the signature header is the body's HMAC-SHA256, which
// the receiver can check.
func TestWebhookSignature(t *testing.T) {
	rcv := &receiver{codes: []int{204}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: func() (string, error) { return "s3cret", nil }}
	body := []byte(`{"digest":"Morning brief"}`)
	if err := w.Post(context.Background(), "<k@x>", body); err != nil {
		t.Fatal(err)
	}
	// Recomputed by hand, as a receiver would, with crypto/hmac.
	plain := hmac.New(sha256.New, []byte("s3cret"))
	plain.Write(rcv.bodies[0])
	want := "sha256=" + hex.EncodeToString(plain.Sum(nil))
	if rcv.sigs[0] != want {
		t.Errorf("signature %q, want %q", rcv.sigs[0], want)
	}
	if Sign("other", body) == want {
		t.Error("signature does not depend on the secret")
	}
	// The timed signature covers the timestamp too.
	ts := rcv.headers[0].Get(TimestampHeader)
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)) > time.Hour {
		t.Errorf("timestamp header %q", ts)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(ts + "."))
	mac.Write(rcv.bodies[0])
	if got := rcv.headers[0].Get(TimedSignatureHeader); got != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("timed signature %q does not verify", got)
	}
}

// A token in the URL comes from the environment at send time and is
// never in an error.
func TestWebhookSecretNotPrinted(t *testing.T) {
	srv := httptest.NewServer(&receiver{codes: []int{200}})
	addr := srv.URL
	srv.Close() // refused from now on
	w := &Webhook{URL: addr + "/hook?token=${HOOK_TOKEN}", Getenv: func(k string) string {
		if k == "HOOK_TOKEN" {
			return "tok-9f8e7d"
		}
		return ""
	}}
	err := w.Post(context.Background(), "<k@x>", []byte("{}"))
	if err == nil {
		t.Fatal("post to a closed port succeeded")
	}
	if se := classify(err); !se.Temporary {
		t.Errorf("connection refused is permanent: %v", err)
	}
	if strings.Contains(err.Error(), "tok-9f8e7d") || !strings.Contains(err.Error(), "${HOOK_TOKEN}") {
		t.Errorf("error %q shows the secret or hides the configured URL", err)
	}
}

// Sign against a published HMAC-SHA256 test vector.
func TestSignVector(t *testing.T) {
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := Sign("key", []byte("The quick brown fox jumps over the lazy dog")); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// A receiver that reads the post and answers after the timeout: the
// outcome is unknown (it may have the digest), not a plain failure; one
// that cannot be reached at all is a plain temporary failure.
func TestWebhookNoAnswerIsUnknown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-release
	}))
	defer srv.Close()
	defer close(release)
	w := &Webhook{URL: srv.URL, Client: &http.Client{Timeout: 100 * time.Millisecond}}
	se := classify(w.Post(context.Background(), "<k@x>", []byte("{}")))
	if se == nil || !se.Temporary || !se.Unknown {
		t.Fatalf("no answer in time: %+v, want an unknown outcome", se)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	se = classify((&Webhook{URL: addr}).Post(context.Background(), "<k@x>", []byte("{}")))
	if se == nil || !se.Temporary || se.Unknown {
		t.Fatalf("connection refused: %+v, want a temporary failure, outcome known", se)
	}
}
