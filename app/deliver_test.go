package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/internal/smtptest"
	"newswatch/model"
)

// TestDeliverAllMailBesideChannels: a mail server that stalls at RCPT
// holds back none of the digest's notify channels: the webhook is posted
// to while the mail is still waiting (the test waits 10 s at most), and
// both are recorded once the server answers.
func TestDeliverAllMailBesideChannels(t *testing.T) {
	release := make(chan struct{})
	msrv := smtptest.New(t, smtptest.Options{OnStage: func(ev smtptest.Event) {
		if ev.Stage == smtptest.Rcpt {
			<-release
		}
	}})
	posted := make(chan struct{}, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { posted <- struct{}{} }))
	defer hook.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	cfg := fmt.Sprintf(`database = "nw.db"
[smtp]
host = "127.0.0.1"
port = %d
security = "none"
from = "newswatch@example.org"
[[digests]]
name = "Brief"
schedule = "0 7 * * *"
to = ["analyst@example.org"]
notify = [%q]
`, msrv.Port(), hook.URL)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), s, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := time.Now()
	m := model.Message{Digest: "Brief", Slot: now, MessageID: "<brief.1@example.org>", Subject: "Brief", To: []string{"analyst@example.org"},
		Text: "Brief.", Doc: `{"digest":"Brief"}`, Created: now, CoveredUntil: now,
		Channels: []model.Channel{{Key: config.ChannelKey(hook.URL), Name: hook.URL}}}
	if err := a.Store.CreateMessage(context.Background(), &m); err != nil {
		t.Fatal(err)
	}

	done := make(chan deliver.Report, 1)
	go func() {
		rep, err := a.DeliverAll(context.Background(), deliver.RetryPolicy{})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	defer func() {
		close(release)
		if rep := <-done; !t.Failed() && len(rep.Sent) != 2 {
			t.Errorf("report %+v, want the mail and the channel sent", rep)
		}
	}()
	select {
	case <-posted:
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook was not posted to while the mail server stalled")
	}
}

// TestAcceptedFor: the answer of a partial delivery names the recipients
// the server took, not those it refused (keyed by bare address, any case).
func TestAcceptedFor(t *testing.T) {
	to := []string{"a@example.org", "Bob <b@example.org>", "c@example.org"}
	err := fmt.Errorf("send: %w", &deliver.SendError{Delivered: true, Rejected: map[string]string{"b@example.org": "550 no such user", "C@Example.org": "450 try later"}})
	if got := acceptedFor(to, err); !slices.Equal(got, []string{"a@example.org"}) {
		t.Errorf("acceptedFor = %v, want [a@example.org]", got)
	}
	if got := acceptedFor(to, nil); !slices.Equal(got, to) {
		t.Errorf("acceptedFor with no error = %v, want every recipient", got)
	}
}
