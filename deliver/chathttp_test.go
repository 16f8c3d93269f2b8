package deliver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newswatch/model"
)

// chatURLs are chat URLs of services reaching srv over plain HTTP: one
// whose HTTP client newswatch reaches (gotify), one that uses net/http's
// default client (generic).
func chatURLs(srv *httptest.Server) map[string]string {
	u, _ := url.Parse(srv.URL)
	return map[string]string{
		"gotify":  "gotify://" + u.Host + "/AbC.dEf-GhI_jKl?disabletls=yes",
		"generic": "generic://" + u.Host + "/hook?disabletls=yes",
	}
}

// A service answering 200 with a 256 MB body: the send succeeds (the
// service took the message) and reads a bounded part of the answer, so
// memory stays bounded; the server could write no more than the limit and
// the sockets' buffers.
func TestChatAnswerBounded(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		chunk := make([]byte, 64<<10)
		for i := range chunk {
			chunk[i] = ' '
		}
		for range (256 << 20) / len(chunk) {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	for name, u := range chatURLs(srv) {
		t.Run(name, func(t *testing.T) {
			written.Store(0)
			c := &Chat{URL: u, Render: chatText, Limit: 1000}
			if err := c.Send(context.Background(), model.Message{Subject: "s"}); err != nil {
				t.Fatalf("a 200 with a huge answer: %v, want success", err)
			}
		})
	}
	srv.Close() // waits for the handlers
	n := written.Load()
	if n > 32<<20 {
		t.Fatalf("the server wrote %d MB of its answer: the client read on", n>>20)
	}
	t.Logf("of a 256 MB answer, the server could write %d KB before the client hung up", n>>10)
}

// A 307 to another host is not followed: the message is not posted there,
// and the delivery fails for good.
func TestChatRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	for name, u := range chatURLs(srv) {
		t.Run(name, func(t *testing.T) {
			err := (&Chat{URL: u, Render: chatText, Limit: 1000}).Send(context.Background(), model.Message{Subject: "s"})
			var se *SendError
			if !errors.As(err, &se) || se.Temporary || se.Code != http.StatusTemporaryRedirect {
				t.Fatalf("307: %v (%+v), want a permanent failure with the code", err, se)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect was followed: %d posts to the other host", n)
	}
}

// A service that takes the message but answers after the timeout: each
// try's outcome is unknown (it may have arrived), so it is tried again a
// few times only, hours apart, even by `send` and `once` (Immediate), and
// then taken as delivered; never once per run.
func TestChatUnansweredSpaced(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
		<-release // answers once the test is over
	}))
	defer srv.Close()
	defer close(release)
	st := openStore(t)
	channelOutbox(t, st, "chat")
	chans := func(digest, key string) (Sender, model.Channel, error) {
		return &Chat{URL: chatURLs(srv)["gotify"], Render: chatText, Limit: 1000, Timeout: 100 * time.Millisecond}, model.Channel{}, nil
	}
	immediate := RetryPolicy{Immediate: true}
	for _, run := range []struct {
		at    time.Duration
		posts int
	}{{0, 1}, {time.Minute, 1}, {10 * time.Minute, 1}, {time.Hour, 2}, {time.Hour + time.Minute, 2}, {3 * time.Hour, 3}, {10 * time.Hour, 3}, {20 * time.Hour, 3}} {
		if _, err := DeliverChannels(context.Background(), st, chans, t0.Add(run.at), immediate); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := posts
		mu.Unlock()
		if n != run.posts {
			t.Fatalf("after a run at +%v: %d posts, want %d (an unknown outcome is tried again an hour later, then two hours, then taken as delivered)", run.at, n, run.posts)
		}
	}
	if d := deliveryOf(t, st, "chat"); d.Status != model.MessageSent || d.Unanswered != maxUnanswered {
		t.Fatalf("delivery %s with %d unanswered, want taken as sent after %d", d.Status, d.Unanswered, maxUnanswered)
	}
}

// A channel whose last try had no answer in time, not tried by a run with
// Immediate as it waits out its delay, is in the report's Waiting, with
// when it is due and the last try's failure; once due, it is tried again
// and no longer waiting.
func TestChannelWaitingReported(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	st := openStore(t)
	m := channelOutbox(t, st, "chat")
	chans := func(digest, key string) (Sender, model.Channel, error) {
		return &Chat{URL: chatURLs(srv)["gotify"], Render: chatText, Limit: 1000, Timeout: 100 * time.Millisecond}, model.Channel{}, nil
	}
	immediate := RetryPolicy{Immediate: true}
	rep, err := DeliverChannels(context.Background(), st, chans, t0, immediate)
	if err != nil || len(rep.Retry) != 1 || len(rep.Waiting) != 0 {
		t.Fatalf("first try: %+v, %v; want one retry, none waiting", rep, err)
	}
	next := rep.Retry[0].Next
	rep, err = DeliverChannels(context.Background(), st, chans, t0.Add(time.Minute), immediate)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sent)+len(rep.Retry)+len(rep.Failed) != 0 || len(rep.Waiting) != 1 {
		t.Fatalf("a minute later: %+v; want the channel waiting, nothing tried", rep)
	}
	w := rep.Waiting[0]
	if w.ID != m.ID || w.Digest != m.Digest || w.Channel != "chat" || !w.Next.Equal(next) || w.Attempt != 1 || w.Err == nil {
		t.Errorf("waiting %+v; want message %d through chat, due at %v after 1 attempt, with its error", w, m.ID, next)
	}
	rep, err = DeliverChannels(context.Background(), st, chans, next, immediate)
	if err != nil || len(rep.Retry) != 1 || len(rep.Waiting) != 0 {
		t.Fatalf("once due: %+v, %v; want it tried again, none waiting", rep, err)
	}
}

// TestChannelBusyReported: a channel delivery another sender holds at
// the moment is not tried, and the report says so (Report.Busy), so that
// send and once can tell the user rather than print nothing.
func TestChannelBusyReported(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { posts.Add(1) }))
	defer srv.Close()
	st := openStore(t)
	m := channelOutbox(t, st, "hook")
	ctx := context.Background()
	if err := st.LeaseDelivery(ctx, m.ID, "hook"); err != nil {
		t.Fatal(err)
	}
	_, stop := st.HoldDelivery(ctx, m.ID, "hook") // the other sender, still at work
	defer stop()
	rep, err := DeliverChannels(ctx, st, webhooks(map[string]string{"hook": srv.URL}), t0, RetryPolicy{Immediate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sent)+len(rep.Retry)+len(rep.Failed)+len(rep.Waiting) != 0 || len(rep.Busy) != 1 {
		t.Fatalf("report %+v; want the delivery busy, nothing else", rep)
	}
	if b := rep.Busy[0]; b.ID != m.ID || b.Digest != m.Digest || b.Channel != "hook" {
		t.Errorf("busy %+v; want message %d of %s through hook", b, m.ID, m.Digest)
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d posts to a channel another sender holds", n)
	}
}
