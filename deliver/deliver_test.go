package deliver

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/internal/smtptest"
	"newswatch/model"
	"newswatch/store"
)

var t0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "newswatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// outbox records n pending messages of different digests, each claiming
// two stored items whose links its text lists. It returns the messages and
// every item link.
func outbox(t *testing.T, st *store.Store, n int) ([]model.Message, []string) {
	t.Helper()
	ctx := context.Background()
	var items []model.Item
	for i := range 2 * n {
		link := fmt.Sprintf("https://news.example/%d", i)
		items = append(items, model.Item{Key: link, Link: link, Title: fmt.Sprintf("Alibaba story %d", i)})
	}
	added, err := st.SaveRun(ctx, model.Run{Source: "test", Started: t0, Status: model.StatusOK, Items: len(items)}, items)
	if err != nil {
		t.Fatal(err)
	}
	var ms []model.Message
	var links []string
	for i := range n {
		m := testMessage()
		m.ID = 0
		m.Digest = fmt.Sprintf("digest %d", i)
		m.MessageID = fmt.Sprintf("digest-%d.20260302@newswatch.test", i)
		m.Created = t0.Add(time.Duration(i) * time.Second)
		m.Slot = t0
		m.Subject = fmt.Sprintf("Digest %d — Alibaba", i)
		var text strings.Builder
		for _, it := range added[2*i : 2*i+2] {
			m.ItemIDs = append(m.ItemIDs, it.ID)
			fmt.Fprintf(&text, "%s\n%s\n\n", it.Title, it.Link)
			links = append(links, it.Link)
		}
		m.Text = text.String()
		if err := st.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms, links
}

var linkRE = regexp.MustCompile(`https://news\.example/\d+`)

// delivered returns the item links in the messages the server accepted,
// each as often as it was delivered.
func delivered(t *testing.T, srv *smtptest.Server) []string {
	t.Helper()
	var links []string
	for _, m := range srv.Messages() {
		p := parseEML(t, m.Data)
		links = append(links, linkRE.FindAllString(p.parts["text/plain"], -1)...)
	}
	slices.Sort(links)
	return links
}

func statuses(t *testing.T, st *store.Store) map[string]model.Message {
	t.Helper()
	ms, err := st.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.Message{}
	for _, m := range ms {
		out[m.MessageID] = m
	}
	return out
}

// TestDeliverFaults: for each fault, the first run leaves every message
// pending (temporary) or failed (permanent) as specified and the server
// holds none; a run before the backoff ends tries nothing; the run after it
// delivers each pending message exactly once, and the items delivered over
// all runs are the items created.
func TestDeliverFaults(t *testing.T) {
	const hang = 10 * time.Second
	tests := []struct {
		name      string
		fault     *smtptest.Fault // nil: the server is down
		temporary bool
		reply     string // in LastError
	}{
		{"server down", nil, true, "connect"},
		{"421 at EHLO", &smtptest.Fault{Stage: smtptest.Hello, Code: 421}, true, "421"},
		{"451 at RCPT", &smtptest.Fault{Stage: smtptest.Rcpt, Code: 451}, true, "451"},
		{"451 at DATA", &smtptest.Fault{Stage: smtptest.DataEnd, Code: 451}, true, "451"},
		{"550 at RCPT", &smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Message: "mailbox unavailable"}, false, "550 5.0.0 mailbox unavailable"},
		{"552 at DATA", &smtptest.Fault{Stage: smtptest.DataEnd, Code: 552}, false, "552"},
		{"reset during DATA", &smtptest.Fault{Stage: smtptest.DataBody, Drop: true}, true, "DATA"},
		{"reply slower than the timeout", &smtptest.Fault{Stage: smtptest.DataEnd, Delay: hang, Code: 451}, true, "timeout"},
		{"hang at MAIL", &smtptest.Fault{Stage: smtptest.Mail, Delay: hang}, true, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t)
			ms, links := outbox(t, st, 3)
			srv := smtptest.New(t, authOpts())
			cfg := config.SMTP{Host: srv.Host(), Port: srv.Port(), Security: "starttls", Username: testUser, From: "n@example.org"}
			if tt.fault == nil {
				cfg.Port = closedPort(t)
			} else {
				srv.SetFaults(*tt.fault)
			}
			opts := []Option{WithTLSConfig(srv.ClientTLSConfig()), WithTimeout(2 * time.Second)}
			sender := NewSMTPSender(cfg, password(testPass), opts...)
			ctx := context.Background()

			rep, err := Deliver(ctx, st, sender, t0, RetryPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Sent) != 0 {
				t.Errorf("sent %d messages against a fault", len(rep.Sent))
			}
			if n := srv.Counts().Accepted; n != 0 {
				t.Fatalf("server accepted %d messages", n)
			}
			wantStatus := model.MessageFailed
			if tt.temporary {
				wantStatus = model.MessagePending
				if len(rep.Retry) != len(ms) || len(rep.Failed) != 0 {
					t.Errorf("report: %d retry, %d failed; want %d retry", len(rep.Retry), len(rep.Failed), len(ms))
				}
			} else if len(rep.Failed) != len(ms) || len(rep.Retry) != 0 {
				t.Errorf("report: %d retry, %d failed; want %d failed", len(rep.Retry), len(rep.Failed), len(ms))
			}
			for id, m := range statuses(t, st) {
				if m.Status != wantStatus || m.Attempts != 1 || !strings.Contains(m.LastError, tt.reply) {
					t.Errorf("%s: status %s, attempts %d, last error %q; want %s, 1, containing %q",
						id, m.Status, m.Attempts, m.LastError, wantStatus, tt.reply)
				}
				if tt.temporary && !m.NextAttempt.Equal(t0.Add(time.Minute)) {
					t.Errorf("%s: next attempt %v, want %v", id, m.NextAttempt, t0.Add(time.Minute))
				}
			}

			// The fault is gone, and the backoff has not run out yet.
			srv.SetFaults()
			sender = NewSMTPSender(config.SMTP{Host: srv.Host(), Port: srv.Port(), Security: "starttls",
				Username: testUser, From: "n@example.org"}, password(testPass), opts...)
			sessions := srv.Counts().Sessions
			if rep, err := Deliver(ctx, st, sender, t0.Add(30*time.Second), RetryPolicy{}); err != nil ||
				len(rep.Sent)+len(rep.Retry)+len(rep.Failed) != 0 {
				t.Fatalf("run before the next attempt: %+v, %v", rep, err)
			}
			if srv.Counts().Sessions != sessions {
				t.Error("a message was tried before its next attempt")
			}

			rep, err = Deliver(ctx, st, sender, t0.Add(time.Minute), RetryPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.temporary {
				if len(rep.Sent) != 0 || srv.Counts().Accepted != 0 {
					t.Fatalf("a failed message was sent again: %+v", rep)
				}
				return
			}
			if len(rep.Sent) != len(ms) {
				t.Fatalf("second run sent %d, want %d: %+v", len(rep.Sent), len(ms), rep)
			}
			for _, m := range ms {
				if n := srv.Count(m.MessageID); n != 1 {
					t.Errorf("%s delivered %d times, want once", m.MessageID, n)
				}
			}
			for id, m := range statuses(t, st) {
				if m.Status != model.MessageSent || m.Attempts != 2 || m.LastError != "" {
					t.Errorf("%s: status %s, attempts %d, last error %q", id, m.Status, m.Attempts, m.LastError)
				}
			}
			slices.Sort(links)
			if got := delivered(t, srv); !slices.Equal(got, links) {
				t.Errorf("items delivered %v, want %v", got, links)
			}

			// Nothing left: a third run sends nothing.
			if rep, err := Deliver(ctx, st, sender, t0.Add(time.Hour), RetryPolicy{Immediate: true}); err != nil || len(rep.Sent) != 0 {
				t.Errorf("third run: %+v, %v", rep, err)
			}
		})
	}
}

func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestDeliverAcceptedThenDropped: the server says 250 and the connection
// drops before RSET/QUIT: the message is sent, and never sent again.
func TestDeliverAcceptedThenDropped(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 2)
	s := newSMTP(t, authOpts(), "starttls", 2*time.Second)
	s.srv.SetFaults(smtptest.Fault{Stage: smtptest.Accepted, Drop: true})
	rep, err := Deliver(context.Background(), st, s.sender, t0, RetryPolicy{})
	if err != nil || len(rep.Sent) != 2 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	if _, err := Deliver(context.Background(), st, s.sender, t0.Add(time.Hour), RetryPolicy{Immediate: true}); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if n := s.srv.Count(m.MessageID); n != 1 {
			t.Errorf("%s delivered %d times", m.MessageID, n)
		}
	}
}

// TestDeliverPartialRejection: one recipient refused; the message goes to
// the others, is marked sent, and the report names the refused address.
func TestDeliverPartialRejection(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	s := newSMTP(t, authOpts(), "starttls", 2*time.Second)
	s.srv.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Message: "no such user", Rcpts: []string{"two@example.org"}})
	var logs bytes.Buffer
	rep, err := Deliver(context.Background(), st, s.sender, t0, RetryPolicy{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sent) != 1 || !strings.HasPrefix(rep.Sent[0].Rejected["two@example.org"], "550") {
		t.Fatalf("report %+v", rep)
	}
	if m := statuses(t, st)[ms[0].MessageID]; m.Status != model.MessageSent {
		t.Errorf("status %s", m.Status)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["digest"] != "digest 0" || !strings.Contains(fmt.Sprint(line["rejected"]), "two@example.org: 550") {
		t.Errorf("log line %v", line)
	}
}

// TestDeliverPartialTemporary: one recipient refused for now (452) while
// the other accepts: the message stays pending for that one alone, a run
// before the backoff ends tries nothing, and the next delivers it to them
// with the same Message-ID, so every recipient has every item once. Refused
// for good on the retry, the message ends sent with the refusal recorded,
// and its items stay claimed: the first recipient has them.
func TestDeliverPartialTemporary(t *testing.T) {
	const two = "Ånalyst Zwei <two@example.org>"
	for _, tt := range []struct {
		name  string
		retry []smtptest.Fault // the server's faults on the retry
	}{
		{"accepted on the retry", nil},
		{"refused for good on the retry", []smtptest.Fault{{Stage: smtptest.Rcpt, Code: 550, Message: "mailbox gone", Rcpts: []string{"two@example.org"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			ms, links := outbox(t, st, 1)
			s := newSMTP(t, authOpts(), "starttls", 2*time.Second)
			s.srv.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Code: 452, Message: "mailbox full", Rcpts: []string{"two@example.org"}})
			rep, err := Deliver(ctx, st, s.sender, t0, RetryPolicy{})
			if err != nil || len(rep.Sent) != 1 || !slices.Equal(rep.Sent[0].Owed, []string{two}) {
				t.Fatalf("report %+v, %v; want one sent, owed to %s", rep, err, two)
			}
			m := statuses(t, st)[ms[0].MessageID]
			if m.Status != model.MessagePending || !slices.Equal(m.To, []string{two}) || m.Sent.IsZero() ||
				!m.NextAttempt.Equal(t0.Add(time.Minute)) || !strings.Contains(m.LastError, "452") {
				t.Fatalf("after a partial delivery: %+v", m)
			}
			if rep, err := Deliver(ctx, st, s.sender, t0.Add(30*time.Second), RetryPolicy{}); err != nil || len(rep.Sent)+len(rep.Retry)+len(rep.Failed) != 0 {
				t.Fatalf("a run before the backoff ended: %+v, %v", rep, err)
			}

			s.srv.SetFaults(tt.retry...)
			rep, err = Deliver(ctx, st, s.sender, t0.Add(time.Minute), RetryPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			m = statuses(t, st)[ms[0].MessageID]
			got := s.srv.Messages()
			if tt.retry == nil {
				if len(rep.Sent) != 1 || len(rep.Sent[0].Owed) != 0 || m.Status != model.MessageSent {
					t.Fatalf("retry: report %+v, message %+v", rep, m)
				}
				if len(got) != 2 || strings.Join(got[0].To, ",") != "analyst@example.org" || strings.Join(got[1].To, ",") != "two@example.org" {
					t.Fatalf("server got %d messages (%v), want one to each recipient", len(got), got)
				}
				for _, g := range got {
					if g.MessageID != strings.Trim(ms[0].MessageID, "<>") {
						t.Errorf("Message-ID %q, want %q", g.MessageID, ms[0].MessageID)
					}
					if l := linkRE.FindAllString(parseEML(t, g.Data).parts["text/plain"], -1); !slices.Equal(slices.Sorted(slices.Values(l)), slices.Sorted(slices.Values(links))) {
						t.Errorf("copy to %v carries %v, want %v", g.To, l, links)
					}
				}
				return
			}
			if len(rep.Failed) != 1 || m.Status != model.MessageSent || !strings.Contains(m.LastError, "550") || m.Sent.IsZero() {
				t.Fatalf("refused for good: report %+v, message %+v", rep, m)
			}
			if len(got) != 1 {
				t.Errorf("server got %d messages, want 1", len(got))
			}
			again := model.Message{Digest: m.Digest, Slot: t0.Add(time.Hour), MessageID: "<again@newswatch.test>", To: []string{"analyst@example.org"},
				Created: t0.Add(time.Hour), ItemIDs: m.ItemIDs}
			if err := st.CreateMessage(ctx, &again); !errors.Is(err, store.ErrClaimed) {
				t.Errorf("the items of a message the first recipient had are free again: %v", err)
			}
		})
	}
}

// TestDeliverPartialMixedAndGiveUp: of the recipients still owed, one
// refused for good on a retry is dropped while the other stays owed; still
// refused for now 72 hours after the first delivery, the message is given
// up on and ends sent, its items claimed.
func TestDeliverPartialMixedAndGiveUp(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := newSMTP(t, authOpts(), "starttls", 2*time.Second)
	m := testMessage()
	m.ID, m.To = 0, []string{"analyst@example.org", "two@example.org", "three@example.org"}
	if err := st.CreateMessage(ctx, &m); err != nil {
		t.Fatal(err)
	}
	full := func(rcpts ...string) smtptest.Fault {
		return smtptest.Fault{Stage: smtptest.Rcpt, Code: 452, Message: "mailbox full", Rcpts: rcpts}
	}
	s.srv.SetFaults(full("two@example.org", "three@example.org"))
	if rep, err := Deliver(ctx, st, s.sender, t0, RetryPolicy{}); err != nil || len(rep.Sent) != 1 || len(rep.Sent[0].Owed) != 2 {
		t.Fatalf("first run: %+v, %v", rep, err)
	}

	s.srv.SetFaults(full("two@example.org"), smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Message: "no such user", Rcpts: []string{"three@example.org"}})
	rep, err := Deliver(ctx, st, s.sender, t0.Add(time.Hour), RetryPolicy{})
	if err != nil || len(rep.Retry) != 1 {
		t.Fatalf("mixed refusal: %+v, %v", rep, err)
	}
	got := statuses(t, st)[m.MessageID]
	if got.Status != model.MessagePending || !slices.Equal(got.To, []string{"two@example.org"}) || !strings.Contains(got.LastError, "550") {
		t.Fatalf("after a mixed refusal: %+v; want pending for two@ only, the 550 recorded", got)
	}

	rep, err = Deliver(ctx, st, s.sender, got.Sent.Add(owedFor+time.Minute), RetryPolicy{})
	if err != nil || len(rep.Failed) != 1 || !rep.Failed[0].Partial {
		t.Fatalf("after %v: %+v, %v; want given up (Partial)", owedFor, rep, err)
	}
	got = statuses(t, st)[m.MessageID]
	if got.Status != model.MessageSent || !strings.Contains(got.LastError, "gave up") {
		t.Errorf("given up: %+v", got)
	}
	if n := s.srv.Count(m.MessageID); n != 1 {
		t.Errorf("server has %d copies, want the first one only", n)
	}
}

// TestDeliverOrderAndImmediate: oldest first; Immediate ignores the next
// attempt time.
func TestDeliverOrderAndImmediate(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 3)
	var mu sync.Mutex
	var order []string
	opts := authOpts()
	opts.OnStage = func(ev smtptest.Event) {
		if ev.Stage == smtptest.DataEnd {
			mu.Lock()
			order = append(order, ev.MessageID)
			mu.Unlock()
		}
	}
	s := newSMTP(t, opts, "starttls", 2*time.Second)
	s.srv.SetFaults(smtptest.Fault{Stage: smtptest.DataEnd, Code: 451})
	if _, err := Deliver(context.Background(), st, s.sender, t0, RetryPolicy{}); err != nil {
		t.Fatal(err)
	}
	s.srv.SetFaults()
	// Not due for another minute, but `send` retries at once.
	rep, err := Deliver(context.Background(), st, s.sender, t0.Add(time.Second), RetryPolicy{Immediate: true})
	if err != nil || len(rep.Sent) != 3 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	var want []string
	for _, m := range ms {
		want = append(want, m.MessageID)
	}
	want = append(want, want...)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

func TestRetryPolicyBackoff(t *testing.T) {
	var p RetryPolicy
	want := map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 6: 32 * time.Minute, 7: time.Hour, 50: time.Hour}
	for n, d := range want {
		if got := p.Backoff(n); got != d {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, d)
		}
	}
	p = RetryPolicy{Min: time.Second, Max: 5 * time.Second}
	if got := p.Backoff(4); got != 5*time.Second {
		t.Errorf("bounded Backoff(4) = %v", got)
	}
}

// TestDeliverBackoffGrows: each failed attempt doubles the wait.
func TestDeliverBackoffGrows(t *testing.T) {
	st := openStore(t)
	outbox(t, st, 1)
	fail := senderFunc(func(context.Context, model.Message) error {
		return &SendError{Temporary: true, Code: 421, Err: errors.New("421 try later")}
	})
	now := t0
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		rep, err := Deliver(context.Background(), st, fail, now, RetryPolicy{})
		if err != nil || len(rep.Retry) != 1 {
			t.Fatalf("run %d: %+v, %v", i, rep, err)
		}
		if got := rep.Retry[0].Next.Sub(now); got != wait {
			t.Errorf("run %d: next attempt after %v, want %v", i, got, wait)
		}
		now = rep.Retry[0].Next
	}
}

// TestDeliverUnknownErrorIsTemporary: an error that is not a SendError
// never loses a message.
func TestDeliverUnknownErrorIsTemporary(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	rep, err := Deliver(context.Background(), st, senderFunc(func(context.Context, model.Message) error {
		return errors.New("something odd")
	}), t0, RetryPolicy{})
	if err != nil || len(rep.Retry) != 1 {
		t.Fatalf("%+v, %v", rep, err)
	}
	if m := statuses(t, st)[ms[0].MessageID]; m.Status != model.MessagePending || m.LastError != "something odd" {
		t.Errorf("%+v", m)
	}
}

// TestDeliverToFiles: the outbox through the file sender, twice: one pair
// of files per message.
func TestDeliverToFiles(t *testing.T) {
	st := openStore(t)
	outbox(t, st, 2)
	dir := t.TempDir()
	s := NewFileSender(dir)
	rep, err := Deliver(context.Background(), st, s, t0, RetryPolicy{})
	if err != nil || len(rep.Sent) != 2 {
		t.Fatalf("%+v, %v", rep, err)
	}
	got := listDir(t, dir)
	want := []string{"digest-0/2026-03-02-0600.eml", "digest-0/2026-03-02-0600.html",
		"digest-1/2026-03-02-0600.eml", "digest-1/2026-03-02-0600.html"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for id, m := range statuses(t, st) {
		if m.Status != model.MessageSent {
			t.Errorf("%s: %s", id, m.Status)
		}
	}
}

type senderFunc func(context.Context, model.Message) error

func (f senderFunc) Send(ctx context.Context, m model.Message) error { return f(ctx, m) }

// TestDeliverLeavesAnOutcomeToItsNewHolder: a message another sender ended
// while this one was sending it (its lease lost) keeps that sender's
// outcome, and the run goes on to the other messages.
func TestDeliverLeavesAnOutcomeToItsNewHolder(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 2)
	var tried []string
	rep, err := Deliver(context.Background(), st, senderFunc(func(ctx context.Context, m model.Message) error {
		tried = append(tried, m.MessageID)
		if m.ID == ms[0].ID {
			// Meanwhile another sender had it accepted and recorded it.
			db, err := sql.Open("sqlite", st.Path())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `UPDATE messages SET status = 'sent', lease_until = NULL WHERE id = ?`, m.ID); err != nil {
				t.Fatal(err)
			}
			return errors.New("connection reset")
		}
		return nil
	}), t0, RetryPolicy{})
	if err != nil {
		t.Fatalf("Deliver: %v (the run must go on past a message another sender ended)", err)
	}
	if len(tried) != 2 || len(rep.Sent) != 1 {
		t.Errorf("tried %q, report %+v: want both tried and the second sent", tried, rep)
	}
	if m := statuses(t, st)[ms[0].MessageID]; m.Status != model.MessageSent {
		t.Errorf("the other sender's outcome was changed: %+v", m)
	}
}
