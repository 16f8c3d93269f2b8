package deliver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/internal/smtptest"
)

const (
	testUser = "newswatch@example.org"
	testPass = "s3cret pass"
)

// smtpSetup is a server and a sender pointed at it.
type smtpSetup struct {
	srv    *smtptest.Server
	cfg    config.SMTP
	sender Sender
}

func newSMTP(t *testing.T, opts smtptest.Options, security string, timeout time.Duration) smtpSetup {
	t.Helper()
	srv := smtptest.New(t, opts)
	cfg := config.SMTP{
		Host:     srv.Host(),
		Port:     srv.Port(),
		Security: security,
		Username: opts.Username,
		From:     "Newswatch <newswatch@example.org>",
	}
	var so []Option
	if tc := srv.ClientTLSConfig(); tc != nil {
		so = append(so, WithTLSConfig(tc))
	}
	so = append(so, WithTimeout(timeout), WithHELO("client.test"))
	return smtpSetup{srv: srv, cfg: cfg, sender: NewSMTPSender(cfg, password(testPass), so...)}
}

func password(p string) func() (string, error) {
	return func() (string, error) { return p, nil }
}

func authOpts() smtptest.Options {
	return smtptest.Options{StartTLS: true, Username: testUser, Password: testPass}
}

func sendErr(t *testing.T, err error) *SendError {
	t.Helper()
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SendError", err, err)
	}
	return se
}

func TestSMTPStartTLSAuth(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			opts := authOpts()
			opts.Mechanisms = []string{mech}
			s := newSMTP(t, opts, "starttls", 5*time.Second)
			m := testMessage()
			if err := s.sender.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := s.srv.Messages()
			if len(got) != 1 {
				t.Fatalf("server has %d messages, want 1", len(got))
			}
			r := got[0]
			if !r.TLS || r.User != testUser {
				t.Errorf("TLS = %v, user = %q: want an encrypted, authenticated session", r.TLS, r.User)
			}
			if r.MessageID != m.MessageID {
				t.Errorf("Message-ID = %q, want %q", r.MessageID, m.MessageID)
			}
			if r.Subject != m.Subject {
				t.Errorf("Subject decoded at the server = %q, want %q", r.Subject, m.Subject)
			}
			if r.From != "newswatch@example.org" || strings.Join(r.To, ",") != "analyst@example.org,two@example.org" {
				t.Errorf("envelope %s -> %v", r.From, r.To)
			}
			p := parseEML(t, r.Data)
			if len(p.parts) != 2 || p.parts["text/plain"] != m.Text || p.parts["text/html"] != m.HTML {
				t.Errorf("parts at the server: %q", p.parts)
			}
		})
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	s := newSMTP(t, smtptest.Options{ImplicitTLS: true, Username: testUser, Password: testPass}, "tls", 5*time.Second)
	if err := s.sender.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if got := s.srv.Messages(); len(got) != 1 || !got[0].TLS || got[0].User != testUser {
		t.Fatalf("messages: %+v", got)
	}
}

func TestSMTPNoSecurityNoAuth(t *testing.T) {
	s := newSMTP(t, smtptest.Options{}, "none", 5*time.Second)
	if err := s.sender.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if c := s.srv.Counts(); c.Accepted != 1 || c.Auths != 0 {
		t.Fatalf("counts %+v, want one message and no AUTH", c)
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	s := newSMTP(t, authOpts(), "starttls", 5*time.Second)
	s.cfg.PasswordEnv = "NEWSWATCH_SMTP_PASSWORD"
	s.sender = NewSMTPSender(s.cfg, password("wrong"), WithTLSConfig(s.srv.ClientTLSConfig()), WithTimeout(5*time.Second))
	err := s.sender.Send(context.Background(), testMessage())
	se := sendErr(t, err)
	want := fmt.Sprintf("smtp %s: authentication failed for user %q: 535 5.7.8 Authentication failed "+
		"(check the user name and the password in $NEWSWATCH_SMTP_PASSWORD)", s.srv.Addr(), testUser)
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if !se.Temporary || se.Code != 535 || !IsSettings(err) {
		t.Errorf("Temporary = %v, Code = %d, settings %v: want a 535 kept for a retry after the settings are fixed", se.Temporary, se.Code, IsSettings(err))
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Error("the error shows the password")
	}
	if c := s.srv.Counts(); c.Accepted != 0 || c.Mails != 0 {
		t.Errorf("counts %+v: nothing may be sent", c)
	}
}

func TestSMTPPasswordUnavailable(t *testing.T) {
	s := newSMTP(t, authOpts(), "starttls", 5*time.Second)
	missing := func() (string, error) { return "", errors.New("NEWSWATCH_SMTP_PASSWORD is not set") }
	sender := NewSMTPSender(s.cfg, missing, WithTLSConfig(s.srv.ClientTLSConfig()))
	se := sendErr(t, sender.Send(context.Background(), testMessage()))
	if !se.Temporary || !IsSettings(se) || !strings.Contains(se.Error(), "NEWSWATCH_SMTP_PASSWORD") || !strings.Contains(se.Error(), testUser) {
		t.Errorf("got %v (temporary %v): want a temporary error naming the variable and the user", se, se.Temporary)
	}
	if c := s.srv.Counts(); c.Sessions != 0 {
		t.Errorf("connected without a password: %+v", c)
	}
}

// TestSMTPNoStartTLSOffered is the last SMTP fault of fault case 17 (see internal/faulttest): security is
// starttls and the server does not offer it: fail, and no AUTH in clear.
func TestSMTPNoStartTLSOffered(t *testing.T) {
	s := newSMTP(t, smtptest.Options{Username: testUser, Password: testPass, AllowInsecureAuth: true}, "starttls", 5*time.Second)
	err := s.sender.Send(context.Background(), testMessage())
	se := sendErr(t, err)
	if !errors.Is(err, ErrNoStartTLS) || !se.Temporary || !IsSettings(err) {
		t.Errorf("got %v (temporary %v), want ErrNoStartTLS kept for a retry after the settings are fixed", err, se.Temporary)
	}
	if c := s.srv.Counts(); c.Auths != 0 || c.Mails != 0 || c.Accepted != 0 {
		t.Errorf("counts %+v: no AUTH and no mail may reach a server without STARTTLS", c)
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	srv := smtptest.New(t, authOpts())
	cfg := config.SMTP{Host: srv.Host(), Port: srv.Port(), Security: "starttls", Username: testUser, From: "n@example.org"}
	err := NewSMTPSender(cfg, password(testPass), WithTimeout(5*time.Second)).Send(context.Background(), testMessage())
	se := sendErr(t, err)
	if !se.Temporary || !IsSettings(err) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("got %v (temporary %v), want a certificate error kept for a retry after the settings are fixed", err, se.Temporary)
	}
	if c := srv.Counts(); c.Auths != 0 || c.Mails != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestSMTPConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := config.SMTP{Host: "127.0.0.1", Port: port, Security: "none", From: "n@example.org"}
	err = NewSMTPSender(cfg, nil, WithTimeout(2*time.Second)).Send(context.Background(), testMessage())
	se := sendErr(t, err)
	if !se.Temporary || !strings.Contains(err.Error(), "connect") || !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Errorf("got %v (temporary %v)", err, se.Temporary)
	}
}

// TestSMTPFaults sends once against each fault, checks the classification
// and that the server kept nothing, then sends again without the fault and
// checks the message arrived exactly once.
func TestSMTPFaults(t *testing.T) {
	const hang = 10 * time.Second // much longer than the client's timeout
	tests := []struct {
		name      string
		fault     smtptest.Fault
		temporary bool
		code      int
	}{
		{"421 greeting", smtptest.Fault{Stage: smtptest.Connect, Code: 421}, true, 421},
		{"554 greeting", smtptest.Fault{Stage: smtptest.Connect, Code: 554}, false, 554},
		{"no greeting", smtptest.Fault{Stage: smtptest.Connect, Delay: hang}, true, 0},
		{"hang up at connect", smtptest.Fault{Stage: smtptest.Connect, Drop: true}, true, 0},
		{"421 at EHLO", smtptest.Fault{Stage: smtptest.Hello, Code: 421}, true, 421},
		{"421 at MAIL", smtptest.Fault{Stage: smtptest.Mail, Code: 421}, true, 421},
		{"451 at RCPT", smtptest.Fault{Stage: smtptest.Rcpt, Code: 451}, true, 451},
		{"550 at RCPT", smtptest.Fault{Stage: smtptest.Rcpt, Code: 550}, false, 550},
		{"451 at DATA", smtptest.Fault{Stage: smtptest.DataEnd, Code: 451}, true, 451},
		{"550 at DATA", smtptest.Fault{Stage: smtptest.DataEnd, Code: 550}, false, 550}, // 552 gets a trimmed resend: TestDeliverSizeRefusalResendsTrimmed
		{"554 at DATA", smtptest.Fault{Stage: smtptest.DataEnd, Code: 554}, false, 554},
		{"reset during DATA", smtptest.Fault{Stage: smtptest.DataBody, Drop: true}, true, 0},
		{"dropped before the final reply", smtptest.Fault{Stage: smtptest.DataEnd, Drop: true}, true, 0},
		{"hang at RCPT", smtptest.Fault{Stage: smtptest.Rcpt, Delay: hang}, true, 0},
		{"final reply slower than the timeout", smtptest.Fault{Stage: smtptest.DataEnd, Delay: hang, Code: 451}, true, 0},
		{"hang at EHLO", smtptest.Fault{Stage: smtptest.Hello, Delay: hang}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSMTP(t, authOpts(), "starttls", 500*time.Millisecond)
			m := testMessage()
			m.To = m.To[:1]
			tt.fault.Times = 1
			s.srv.SetFaults(tt.fault)

			err := s.sender.Send(context.Background(), m)
			t.Logf("error: %v", err)
			se := sendErr(t, err)
			if se.Temporary != tt.temporary || se.Code != tt.code || se.Delivered {
				t.Errorf("got %v: temporary %v code %d delivered %v; want temporary %v code %d",
					err, se.Temporary, se.Code, se.Delivered, tt.temporary, tt.code)
			}
			if !strings.HasPrefix(err.Error(), "smtp "+s.srv.Addr()+": ") {
				t.Errorf("error does not name the server: %v", err)
			}
			if n := s.srv.Count(m.MessageID); n != 0 {
				t.Fatalf("server kept %d copies of a message it did not accept", n)
			}

			if err := s.sender.Send(context.Background(), m); err != nil {
				t.Fatalf("second attempt: %v", err)
			}
			if n := s.srv.Count(m.MessageID); n != 1 {
				t.Errorf("server has %d copies after the retry, want 1", n)
			}
		})
	}
}

// TestSMTPDroppedAfterAccept: 250 to DATA then the connection drops before
// RSET/QUIT: delivered (go-mail's IsDelivered), not an error.
func TestSMTPDroppedAfterAccept(t *testing.T) {
	s := newSMTP(t, authOpts(), "starttls", 2*time.Second)
	s.srv.SetFaults(smtptest.Fault{Stage: smtptest.Accepted, Drop: true})
	m := testMessage()
	if err := s.sender.Send(context.Background(), m); err != nil {
		t.Fatalf("a message the server accepted reported as %v", err)
	}
	if n := s.srv.Count(m.MessageID); n != 1 {
		t.Errorf("server has %d copies, want 1", n)
	}
}

func TestSMTPPartialRejection(t *testing.T) {
	s := newSMTP(t, authOpts(), "starttls", 5*time.Second)
	s.srv.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Message: "no such user", Rcpts: []string{"two@example.org"}})
	m := testMessage()
	m.To = append(m.To, "third@example.org")
	err := s.sender.Send(context.Background(), m)
	se := sendErr(t, err)
	if !se.Delivered || se.Temporary || se.Code != 550 {
		t.Errorf("got %v: delivered %v temporary %v code %d", err, se.Delivered, se.Temporary, se.Code)
	}
	if len(se.Rejected) != 1 || !strings.HasPrefix(se.Rejected["two@example.org"], "550") ||
		!strings.Contains(se.Rejected["two@example.org"], "no such user") {
		t.Errorf("Rejected = %v", se.Rejected)
	}
	got := s.srv.Messages()
	if len(got) != 1 || strings.Join(got[0].To, ",") != "analyst@example.org,third@example.org" {
		t.Fatalf("server got %+v, want one message to the two accepted recipients", got)
	}

	// Every recipient refused, one of them temporarily: nothing sent,
	// worth a retry.
	s.srv.SetFaults(
		smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Rcpts: []string{"analyst@example.org", "third@example.org"}},
		smtptest.Fault{Stage: smtptest.Rcpt, Code: 452, Rcpts: []string{"two@example.org"}},
	)
	se = sendErr(t, s.sender.Send(context.Background(), m))
	if se.Delivered || !se.Temporary || len(se.Rejected) != 3 {
		t.Errorf("all rejected: %v delivered %v temporary %v rejected %v", se, se.Delivered, se.Temporary, se.Rejected)
	}
	if n := s.srv.Count(m.MessageID); n != 1 {
		t.Errorf("server has %d copies, want still 1", n)
	}
}

// TestSMTPContextCancel: cancelling the context ends a hung session at
// once, whatever the timeout.
func TestSMTPContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := authOpts()
	opts.OnStage = func(ev smtptest.Event) {
		if ev.Stage == smtptest.Rcpt {
			cancel()
		}
	}
	s := newSMTP(t, opts, "starttls", time.Minute)
	s.srv.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Delay: time.Minute})
	start := time.Now()
	err := s.sender.Send(ctx, testMessage())
	se := sendErr(t, err)
	if !se.Temporary || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v (temporary %v), want a temporary error wrapping context.Canceled", err, se.Temporary)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send took %v after the cancel", d)
	}
	if n := s.srv.Counts().Accepted; n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

func TestSMTPBadMessageIsPermanent(t *testing.T) {
	s := newSMTP(t, authOpts(), "starttls", 5*time.Second)
	m := testMessage()
	m.To = []string{"not an address"}
	err := s.sender.Send(context.Background(), m)
	if se := sendErr(t, err); se.Temporary || !errors.Is(err, ErrBadMessage) {
		t.Errorf("got %v (temporary %v)", err, se.Temporary)
	}
	if c := s.srv.Counts(); c.Sessions != 0 {
		t.Errorf("connected for a message that cannot be built: %+v", c)
	}
}
