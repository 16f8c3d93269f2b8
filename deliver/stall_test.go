package deliver

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// stallClock is a store's clock that runs as the system's until the
// test makes it jump: what a process stopped (SIGSTOP, a long pause) sees
// of the time when it resumes.
type stallClock struct{ ahead atomic.Int64 }

func (c *stallClock) now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// stall makes the clock jump past every lease the store holds.
func (c *stallClock) stall() { c.ahead.Add(int64(store.LeaseTTL)) }

// stallStore is a fresh store on a stallClock.
func stallStore(t *testing.T) (*store.Store, *stallClock) {
	st := openStore(t)
	clock := &stallClock{}
	st.SetClock(clock.now)
	return st, clock
}

// TestDeliverStalledAtRcptSendsNoData is the stalled daemon of two sharing
// a database: it waits for the server's answer to RCPT, stops there past
// its lease (its clock jumps), and resumes before any renewal could tell it
// another daemon took the message over. It must not go on to DATA: the
// SMTP server never gets DATA, the message stays pending with no attempt
// recorded, and the log says the lease was lost, not that a message went
// unrecorded.
func TestDeliverStalledAtRcptSendsNoData(t *testing.T) {
	st, clock := stallStore(t)
	ms, _ := outbox(t, st, 1)
	var data atomic.Int32
	s := newSMTP(t, smtptest.Options{OnStage: func(ev smtptest.Event) {
		switch ev.Stage {
		case smtptest.Rcpt:
			clock.stall()
		case smtptest.DataBody:
			data.Add(1)
		}
	}}, "none", 5*time.Second)
	var logs testutil.LockedBuffer
	rep, err := Deliver(context.Background(), st, s.sender, t0, RetryPolicy{Immediate: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if n := data.Load(); n != 0 || len(s.srv.Messages()) != 0 {
		t.Fatalf("the stalled sender went on: DATA %d times, %d messages accepted; want none", n, len(s.srv.Messages()))
	}
	if len(rep.Sent)+len(rep.Retry)+len(rep.Failed) != 0 {
		t.Errorf("report %+v: want nothing, the message is the new holder's", rep)
	}
	if m := statuses(t, st)[ms[0].MessageID]; m.Status != model.MessagePending || m.Attempts != 0 {
		t.Errorf("message %s after %d attempts; want pending, no attempt recorded", m.Status, m.Attempts)
	}
	if got := logs.String(); !strings.Contains(got, "lease lost") || strings.Contains(got, "not recorded") || strings.Contains(got, "level=ERROR") {
		t.Errorf("log:\n%s\nwant the lease lost, and no error", got)
	}
}

// scriptedSMTP is a loopback SMTP server that answers every command with
// success, runs atData when DATA arrives (before its 354: the sender is
// waiting for it), and records whether a message's end (the final dot)
// arrived.
type scriptedSMTP struct {
	ln     net.Listener
	atData func()
	done   chan struct{}
	ended  atomic.Bool
}

func newScriptedSMTP(t *testing.T, atData func()) *scriptedSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedSMTP{ln: ln, atData: atData, done: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() { ln.Close(); <-s.done })
	return s
}

func (s *scriptedSMTP) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// serve runs one session.
func (s *scriptedSMTP) serve() {
	defer close(s.done)
	c, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 scripted ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
		case "EHLO":
			tp.PrintfLine("250-scripted\r\n250 8BITMIME")
		case "DATA":
			s.atData()
			tp.PrintfLine("354 go ahead")
			if _, err := tp.ReadDotBytes(); err != nil {
				return // hung up before the final dot
			}
			s.ended.Store(true)
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 ok")
		}
	}
}

// TestSMTPStalledInDataHangsUp: a sender that stalls past its lease once
// DATA went out (waiting for the 354) hangs up without the final dot, so
// the server drops the message; the send fails with store.ErrLeaseLost.
func TestSMTPStalledInDataHangsUp(t *testing.T) {
	st, clock := stallStore(t)
	ms, _ := outbox(t, st, 1)
	srv := newScriptedSMTP(t, clock.stall)
	sender := NewSMTPSender(config.SMTP{Host: "127.0.0.1", Port: srv.port(), Security: "none", From: "newswatch@example.org"}, nil, WithTimeout(5*time.Second))
	ctx := context.Background()
	if err := st.Lease(ctx, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	held, stop := st.HoldMessage(ctx, ms[0].ID)
	defer stop()
	err := sender.Send(held, ms[0])
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("send: %v, want ErrLeaseLost", err)
	}
	<-srv.done
	if srv.ended.Load() {
		t.Error("the message's end went out past the lease: the server has the message")
	}
}

// stalledHold is a context of a hold on a message's lease whose clock then
// jumped past it, no renewal run since.
func stalledHold(t *testing.T) (context.Context, model.Message) {
	st, clock := stallStore(t)
	ms, _ := outbox(t, st, 1)
	ctx := context.Background()
	if err := st.Lease(ctx, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	held, stop := st.HoldMessage(ctx, ms[0].ID)
	t.Cleanup(stop)
	clock.stall()
	return held, ms[0]
}

// TestSendersStopPastLease: a webhook, a chat service and the file sender
// do not post or write a message once their lease may have expired by
// their clock, and say the lease was lost.
func TestSendersStopPastLease(t *testing.T) {
	hook := &receiver{codes: []int{200}}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	chat := &chatReceiver{codes: []int{200}, reply: `{}`}
	csrv := httptest.NewServer(chat)
	defer csrv.Close()
	dir := t.TempDir()
	for _, c := range []struct {
		name     string
		sender   Sender
		received func() int
	}{
		{"webhook", NewWebhookSender(&Webhook{URL: hsrv.URL}, jsonDoc), func() int {
			hook.mu.Lock()
			defer hook.mu.Unlock()
			return len(hook.keys)
		}},
		{"chat", &Chat{URL: chatURLs(csrv)["gotify"], Render: chatText, Limit: 1000}, func() int {
			chat.mu.Lock()
			defer chat.mu.Unlock()
			return len(chat.bodies)
		}},
		{"file", NewFileSender(dir), func() int {
			files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
			return len(files)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			held, m := stalledHold(t)
			err := c.sender.Send(held, m)
			if !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("send: %v, want ErrLeaseLost", err)
			}
			if n := c.received(); n != 0 {
				t.Errorf("%d received past the lease, want none", n)
			}
		})
	}
}

// TestChannelStalledLeftToNewHolder: a channel's sender that stalled past
// its lease before posting leaves the delivery as it was: not posted, no
// attempt recorded, the lease lost in the log.
func TestChannelStalledLeftToNewHolder(t *testing.T) {
	st, clock := stallStore(t)
	hook := &receiver{codes: []int{200}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	channelOutbox(t, st, "hook")
	hooks := webhooks(map[string]string{"hook": srv.URL})
	stalled := func(digest, key string) (Sender, model.Channel, error) {
		clock.stall() // found its sender, then stopped
		return hooks(digest, key)
	}
	var logs testutil.LockedBuffer
	rep, err := DeliverChannels(context.Background(), st, stalled, t0, RetryPolicy{Immediate: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	posts := len(hook.keys)
	hook.mu.Unlock()
	if posts != 0 || len(rep.Sent)+len(rep.Retry)+len(rep.Failed) != 0 {
		t.Fatalf("%d posts, report %+v; want none", posts, rep)
	}
	if d := deliveryOf(t, st, "hook"); d.Status != model.MessagePending || d.Attempts != 0 {
		t.Errorf("delivery %s after %d attempts; want pending, none recorded", d.Status, d.Attempts)
	}
	if got := logs.String(); !strings.Contains(got, "lease lost") || strings.Contains(got, "level=ERROR") {
		t.Errorf("log:\n%s\nwant the lease lost, and no error", got)
	}
}

// TestSentButRecordedByAnother: a sender whose send went through, but
// whose lease was taken over meanwhile by a sender that sent the message
// too and recorded it, says so in a warning: the message is not sent
// again, so no error says it will be.
func TestSentButRecordedByAnother(t *testing.T) {
	takenOver := func(t *testing.T, st *store.Store, query string, args ...any) {
		t.Helper()
		db, err := sql.Open("sqlite", st.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(query, args...); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, logs string) {
		t.Helper()
		if !strings.Contains(logs, "another sender had recorded it sent already") || strings.Contains(logs, "level=ERROR") {
			t.Errorf("log:\n%s\nwant a warning that another sender recorded it, no error", logs)
		}
	}
	t.Run("mail", func(t *testing.T) {
		st := openStore(t)
		outbox(t, st, 1)
		var logs testutil.LockedBuffer
		_, err := Deliver(context.Background(), st, senderFunc(func(_ context.Context, m model.Message) error {
			takenOver(t, st, `UPDATE messages SET status = 'sent', lease_owner = 'other:1:x', lease_until = NULL WHERE id = ?`, m.ID)
			return nil
		}), t0, RetryPolicy{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		check(t, logs.String())
	})
	t.Run("channel", func(t *testing.T) {
		st := openStore(t)
		channelOutbox(t, st, "hook")
		var logs testutil.LockedBuffer
		sent := func(string, string) (Sender, model.Channel, error) {
			return senderFunc(func(_ context.Context, m model.Message) error {
				takenOver(t, st, `UPDATE deliveries SET status = 'sent', lease_owner = 'other:1:x', lease_until = NULL WHERE message_id = ?`, m.ID)
				return nil
			}), model.Channel{}, nil
		}
		if _, err := DeliverChannels(context.Background(), st, sent, t0, RetryPolicy{Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
			t.Fatal(err)
		}
		check(t, logs.String())
	})
}
