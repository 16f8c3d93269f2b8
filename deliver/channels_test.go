package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/model"
	"newswatch/store"
)

// channelOutbox records one pending message with no recipients, sent
// through the given channels only.
func channelOutbox(t *testing.T, st *store.Store, channels ...string) model.Message {
	t.Helper()
	m := model.Message{Digest: "Morning brief", Slot: t0, MessageID: "<morning-brief.1@newswatch.test>",
		Subject: "Morning brief · 2 stories", Created: t0, Doc: `{"digest":"Morning brief"}`}
	for _, c := range channels {
		m.Channels = append(m.Channels, model.Channel{Key: c, Name: c})
	}
	if err := st.CreateMessage(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// webhooks maps each channel name to a webhook posting the stored document.
func webhooks(urls map[string]string) Channels {
	return func(digest, channel string) (Sender, model.Channel, error) {
		u, ok := urls[channel]
		if !ok {
			return nil, model.Channel{}, fmt.Errorf("%s: not configured", channel)
		}
		return NewWebhookSender(&Webhook{URL: u}, func(m model.Message) ([]byte, error) { return []byte(m.Doc), nil }), model.Channel{}, nil
	}
}

func deliveryOf(t *testing.T, st *store.Store, channel string) model.Delivery {
	t.Helper()
	ds, err := st.Deliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Channel == channel {
			return d
		}
	}
	t.Fatalf("no delivery through %s", channel)
	return model.Delivery{}
}

// A webhook channel answering 500 twice then 200 gets exactly one accepted
// delivery, the same Idempotency-Key on every try, the stored document as
// its body, and nothing more once it succeeded.
func TestChannelRetriesThenOnce(t *testing.T) {
	st := openStore(t)
	rcv := &receiver{codes: []int{500, 500, 200}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	m := channelOutbox(t, st, "hook")
	chans := webhooks(map[string]string{"hook": srv.URL})
	for i := range 4 {
		if _, err := DeliverChannels(context.Background(), st, chans, t0.Add(time.Duration(i)*time.Hour), RetryPolicy{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(rcv.keys) != 3 || rcv.accepted != 1 {
		t.Fatalf("%d posts, %d accepted; want 3 posts, 1 accepted", len(rcv.keys), rcv.accepted)
	}
	for i, k := range rcv.keys {
		if k != m.MessageID || string(rcv.bodies[i]) != m.Doc {
			t.Errorf("try %d: Idempotency-Key %q body %q, want %q and the stored document", i+1, k, rcv.bodies[i], m.MessageID)
		}
	}
	if d := deliveryOf(t, st, "hook"); d.Status != model.MessageSent || d.Attempts != 3 {
		t.Errorf("delivery %s after %d attempts, want sent after 3", d.Status, d.Attempts)
	}
	if got, _ := st.Message(context.Background(), m.ID); got.Status != model.MessageSent {
		t.Errorf("message %s, want sent", got.Status)
	}
}

// 410 Gone is permanent: the delivery is failed with the answer, reported,
// and its message (no mail) failed, its stories released.
func TestChannelGoneFails(t *testing.T) {
	st := openStore(t)
	srv := httptest.NewServer(&receiver{codes: []int{410}})
	defer srv.Close()
	m := channelOutbox(t, st, "hook")
	rep, err := DeliverChannels(context.Background(), st, webhooks(map[string]string{"hook": srv.URL}), t0, RetryPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Channel != "hook" || !strings.Contains(rep.Failed[0].Err.Error(), "410") {
		t.Fatalf("report %+v, want the channel failed with 410", rep)
	}
	d := deliveryOf(t, st, "hook")
	if d.Status != model.MessageFailed || !strings.Contains(d.LastError, "410 Gone") {
		t.Errorf("delivery %s %q, want failed with 410 Gone", d.Status, d.LastError)
	}
	if got, _ := st.Message(context.Background(), m.ID); got.Status != model.MessageFailed {
		t.Errorf("message %s, want failed", got.Status)
	}
}

// One channel failing holds back no other, and a channel that had the
// message is not sent it again while another is retried.
func TestChannelsIndependent(t *testing.T) {
	st := openStore(t)
	down := &receiver{codes: []int{503, 503, 200}}
	up := &receiver{codes: []int{200}}
	gone := &receiver{codes: []int{404}}
	srvDown, srvUp, srvGone := httptest.NewServer(down), httptest.NewServer(up), httptest.NewServer(gone)
	defer srvDown.Close()
	defer srvUp.Close()
	defer srvGone.Close()
	m := channelOutbox(t, st, "down", "up", "gone")
	chans := webhooks(map[string]string{"down": srvDown.URL, "up": srvUp.URL, "gone": srvGone.URL})
	for i := range 3 {
		if _, err := DeliverChannels(context.Background(), st, chans, t0.Add(time.Duration(i)*time.Hour), RetryPolicy{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(up.keys) != 1 || len(gone.keys) != 1 || len(down.keys) != 3 || down.accepted != 1 {
		t.Fatalf("posts: up %d, gone %d, down %d (%d accepted); want 1, 1, 3 (1)", len(up.keys), len(gone.keys), len(down.keys), down.accepted)
	}
	got, _ := st.Message(context.Background(), m.ID)
	if got.Status != model.MessageSent || !strings.Contains(got.LastError, "404") {
		t.Errorf("message %s %q, want sent with the 404 kept", got.Status, got.LastError)
	}
}

// A channel refused for now for 72 hours after the digest was composed is
// given up, as mail is.
func TestChannelGivesUp(t *testing.T) {
	st := openStore(t)
	srv := httptest.NewServer(&receiver{codes: []int{502}})
	defer srv.Close()
	channelOutbox(t, st, "hook")
	rep, err := DeliverChannels(context.Background(), st, webhooks(map[string]string{"hook": srv.URL}), t0.Add(73*time.Hour), RetryPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if d := deliveryOf(t, st, "hook"); len(rep.Failed) != 1 || d.Status != model.MessageFailed || !strings.Contains(d.LastError, "gave up after 72h") {
		t.Errorf("delivery %s %q, want failed: gave up", d.Status, d.LastError)
	}
}

// A channel no longer configured fails for good, saying so.
func TestChannelUnconfigured(t *testing.T) {
	st := openStore(t)
	channelOutbox(t, st, "old")
	if _, err := DeliverChannels(context.Background(), st, webhooks(nil), t0, RetryPolicy{}); err != nil {
		t.Fatal(err)
	}
	if d := deliveryOf(t, st, "old"); d.Status != model.MessageFailed || !strings.Contains(d.LastError, "not configured") {
		t.Errorf("delivery %s %q, want failed: not configured", d.Status, d.LastError)
	}
}

// chatReceiver stands in for a chat service: it answers codes in turn and
// records each request's body.
type chatReceiver struct {
	mu      sync.Mutex
	codes   []int
	reply   string           // a 2xx answer's body
	refusal func(int) string // another answer's body
	paths   []string
	bodies  []string
}

func (r *chatReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	code := r.codes[min(len(r.bodies), len(r.codes)-1)]
	r.paths = append(r.paths, req.URL.Path)
	r.bodies = append(r.bodies, string(body))
	w.WriteHeader(code)
	if code/100 == 2 {
		io.WriteString(w, r.reply)
	} else {
		io.WriteString(w, r.refusal(code))
	}
}

func chatText(m model.Message, limit int) (string, error) {
	return "• " + m.Subject + "\n  https://news.example/1\n", nil
}

// An ntfy server, reached through the service's own host and scheme
// options, gets the text rendering; its 429 is retried, its 400 is not.
func TestChatNtfy(t *testing.T) {
	// ntfy's refusals carry the HTTP status and two more digits.
	rcv := &chatReceiver{codes: []int{429, 200, 400}, reply: `{}`, refusal: func(code int) string {
		return fmt.Sprintf(`{"code":%d01,"http":%d,"error":"refused"}`, code, code)
	}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c := &Chat{URL: "ntfy://" + u.Host + "/newswatch?scheme=http&title=${NTFY_TITLE}", Render: chatText, Limit: 4096,
		Getenv: func(k string) string { return map[string]string{"NTFY_TITLE": "Digest"}[k] }}
	m := model.Message{Subject: "Morning brief · 2 stories", MessageID: "<x@y>"}
	err := c.Send(context.Background(), m)
	if se := classify(err); err == nil || !se.Temporary || se.Code != 429 {
		t.Fatalf("429: %v (%+v), want temporary", err, se)
	}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if se := classify(c.Send(context.Background(), m)); se == nil || se.Temporary {
		t.Fatalf("400: %+v, want permanent", se)
	}
	if rcv.paths[1] != "/newswatch" || !strings.Contains(rcv.bodies[1], "Morning brief · 2 stories") || !strings.Contains(rcv.bodies[1], "https://news.example/1") {
		t.Errorf("ntfy got %q at %s, want the text rendering at /newswatch", rcv.bodies[1], rcv.paths[1])
	}
}

// rewrite sends every request to the test server: Slack's webhook host is
// fixed in the library.
type rewrite struct {
	target *url.URL
	next   http.RoundTripper
}

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	return r.next.RoundTrip(req)
}

// A Slack incoming webhook gets the text rendering as its JSON text, the
// token from the environment; a refusal names no token.
func TestChatSlack(t *testing.T) {
	rcv := &chatReceiver{codes: []int{200, 410}, reply: "ok", refusal: func(int) string { return "channel_is_archived" }}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	target, _ := url.Parse(srv.URL)
	saved := http.DefaultTransport
	http.DefaultTransport = rewrite{target, saved}
	t.Cleanup(func() { http.DefaultTransport = saved })

	token := "WNA3PBYV6-F20DUQND3RQ-Webc4MAvoacrpPakR8phF0zi"
	c := &Chat{URL: "slack://hook:${SLACK_TOKEN}@webhook", Render: chatText, Limit: 4000,
		Getenv: func(k string) string { return map[string]string{"SLACK_TOKEN": token}[k] }}
	m := model.Message{Subject: "Morning brief · 2 stories", MessageID: "<x@y>"}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The library sends each line as an attachment.
	var body struct{ Attachments []struct{ Text string } }
	if err := json.Unmarshal([]byte(rcv.bodies[0]), &body); err != nil {
		t.Fatalf("slack body %q: %v", rcv.bodies[0], err)
	}
	var lines []string
	for _, a := range body.Attachments {
		lines = append(lines, a.Text)
	}
	if want, _ := chatText(m, 0); strings.Join(lines, "\n")+"\n" != want || rcv.paths[0] != "/services/WNA3PBYV6/F20DUQND3RQ/Webc4MAvoacrpPakR8phF0zi" {
		t.Errorf("slack got %q at %s, want the text rendering at the hook's path", lines, rcv.paths[0])
	}
	err := c.Send(context.Background(), m)
	var se *SendError
	if !errors.As(err, &se) || se.Temporary {
		t.Fatalf("410: %v, want permanent", err)
	}
	if strings.Contains(err.Error(), "Webc4MAvoacrpPakR8phF0zi") || !strings.Contains(err.Error(), "${SLACK_TOKEN}") {
		t.Errorf("error %q shows the token or hides the configured URL", err)
	}
}

// Mattermost's Slack-compatible incoming webhook, on a host of its own:
// the text rendering as the JSON text; a 503 is retried, a 404 is not.
func TestChatMattermost(t *testing.T) {
	rcv := &chatReceiver{codes: []int{200, 503, 404}, refusal: func(int) string { return "" }}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c := &Chat{URL: "mattermost://" + u.Host + "/${MM_TOKEN}?disabletls=yes", Render: chatText, Limit: 16000,
		Getenv: func(k string) string { return map[string]string{"MM_TOKEN": "mmtoken0123456789"}[k] }}
	m := model.Message{Subject: "Morning brief · 2 stories", MessageID: "<x@y>"}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var body struct{ Text string }
	if err := json.Unmarshal([]byte(rcv.bodies[0]), &body); err != nil {
		t.Fatalf("mattermost body %q: %v", rcv.bodies[0], err)
	}
	if want, _ := chatText(m, 0); body.Text != want || rcv.paths[0] != "/hooks/mmtoken0123456789" {
		t.Errorf("mattermost got %q at %s, want the text rendering at the hook's path", body.Text, rcv.paths[0])
	}
	if se := classify(c.Send(context.Background(), m)); se == nil || !se.Temporary || se.Code != 503 {
		t.Errorf("503: %+v, want temporary", se)
	}
	err := c.Send(context.Background(), m)
	if se := classify(err); se == nil || se.Temporary || se.Code != 404 {
		t.Errorf("404: %+v, want permanent", se)
	}
	if strings.Contains(err.Error(), "mmtoken0123456789") {
		t.Errorf("error shows the token: %v", err)
	}
}

// A token the service quotes in its refusal is taken out of the error,
// wherever it sits in the URL.
func TestChatErrorRedacted(t *testing.T) {
	// Refused before anything is sent: the library quotes the token.
	c := &Chat{URL: "gotify://gotify.example.org/SECRETTOKEN12345xyz", Render: chatText, Limit: 1000}
	err := c.Send(context.Background(), model.Message{Subject: "s"})
	if err == nil || !strings.Contains(err.Error(), "invalid gotify token") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %v: want the refusal without the token", err)
	}
}

// An unset variable may be set by the next try: it is retried, for a
// webhook, its signing secret and a chat service alike.
func TestUnsetVariableRetried(t *testing.T) {
	none := func(string) string { return "" }
	errs := []error{
		(&Webhook{URL: "https://hooks.example.org/${NW_UNSET}", Getenv: none}).Post(context.Background(), "<k@x>", []byte("{}")),
		(&Webhook{URL: "http://127.0.0.1:1/", Secret: func() (string, error) { return "", errors.New("NW_SECRET unset") }}).Post(context.Background(), "<k@x>", []byte("{}")),
		(&Chat{URL: "ntfy://ntfy.example.org/${NW_UNSET}", Render: chatText, Getenv: none}).Send(context.Background(), model.Message{}),
	}
	for i, err := range errs {
		if se := classify(err); se == nil || !se.Temporary {
			t.Errorf("case %d: %v, want a temporary failure", i, err)
		}
	}
}

// A webhook that redirects is not followed: the signed body goes nowhere
// else, and the redirect is a permanent failure saying so.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	elsewhere := &receiver{codes: []int{200}}
	esrv := httptest.NewServer(elsewhere)
	defer esrv.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, esrv.URL+"/stolen", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	err := (&Webhook{URL: srv.URL, Secret: func() (string, error) { return "s", nil }}).Post(context.Background(), "<k@x>", []byte("{}"))
	se := classify(err)
	if se == nil || se.Temporary || se.Code != http.StatusTemporaryRedirect || !strings.Contains(err.Error(), "redirects are not followed") {
		t.Fatalf("redirect: %v, want a permanent failure", err)
	}
	if len(elsewhere.keys) != 0 {
		t.Errorf("the redirect target got %d posts", len(elsewhere.keys))
	}
}

// hanging is a webhook receiver that answers no request until released,
// and tells when each request arrived.
type hanging struct {
	arrived chan string
	release chan struct{}
}

func (h *hanging) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.arrived <- r.URL.Path
	<-h.release
}

// TestChannelsHangingHoldBackNone: receivers that do not answer, each a
// channel of its own, are posted to at once: none waits for another's
// answer (a webhook's timeout is 30 s; the test waits 10 s at most).
func TestChannelsHangingHoldBackNone(t *testing.T) {
	st := openStore(t)
	h := &hanging{arrived: make(chan string, 3), release: make(chan struct{})}
	srv := httptest.NewServer(h)
	defer srv.Close()
	channelOutbox(t, st, "hang1", "hang2", "hang3")
	chans := webhooks(map[string]string{"hang1": srv.URL + "/1", "hang2": srv.URL + "/2", "hang3": srv.URL + "/3"})
	done := make(chan Report, 1)
	go func() {
		rep, err := DeliverChannels(context.Background(), st, chans, t0, RetryPolicy{})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	defer func() {
		close(h.release)
		if rep := <-done; !t.Failed() && len(rep.Sent) != 3 {
			t.Errorf("report %+v, want the three channels sent once answered", rep)
		}
	}()
	deadline := time.After(10 * time.Second)
	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case p := <-h.arrived:
			seen[p] = true
		case <-deadline:
			t.Fatalf("posted to %v while none answered; want all three at once", seen)
		}
	}
}
