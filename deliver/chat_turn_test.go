package deliver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"newswatch/model"
)

// TestChatNotSentAfterSendReturned: a chat send waiting for its turn
// (another chat send in progress, as with parallel channel queues) whose
// context ends returns, and its delivery is recorded as a retry; the
// message must then not go out later, when the turn comes, or the retry
// sends it a second time.
func TestChatNotSentAfterSendReturned(t *testing.T) {
	posted := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posted <- struct{}{}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := &Chat{URL: chatURLs(srv)["gotify"], Render: chatText, Limit: 1000}

	chatMu.Lock() // another chat send in progress
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Send(ctx, model.Message{Subject: "s", MessageID: "<m@x>"}) }()
	cancel() // the job's deadline, or a shutdown
	err := <-errc
	if err == nil {
		t.Fatal("send succeeded without its turn")
	}
	chatMu.Unlock() // the other send ends
	chatSends.Wait()
	select {
	case <-posted:
		t.Fatalf("posted after Send returned %v: the retry will post it again", err)
	default:
	}
}
