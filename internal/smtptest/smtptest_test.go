package smtptest_test

import (
	"crypto/tls"
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"newswatch/internal/smtptest"
)

const msg = "From: a@example.org\r\nTo: b@example.org\r\nMessage-ID: <m1@example.org>\r\n" +
	"Subject: =?UTF-8?q?Caf=C3=A9?=\r\n\r\nhello\r\n"

func TestSendReceive(t *testing.T) {
	s := smtptest.New(t, smtptest.Options{})
	if err := smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || got[0].MessageID != "m1@example.org" || got[0].Subject != "Café" ||
		got[0].From != "a@example.org" || strings.Join(got[0].To, ",") != "b@example.org" {
		t.Fatalf("got %+v", got)
	}
	if s.Count("m1@example.org") != 1 {
		t.Error("Count")
	}
}

func TestStartTLSAuth(t *testing.T) {
	s := smtptest.New(t, smtptest.Options{StartTLS: true, Username: "u", Password: "p"})
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(s.ClientTLSConfig()); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.org"); err == nil {
		t.Error("MAIL accepted before AUTH")
	}
	if err := c.Auth(smtp.PlainAuth("", "u", "wrong", s.Host())); err == nil {
		t.Error("wrong password accepted")
	}
	c2, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.StartTLS(s.ClientTLSConfig()); err != nil {
		t.Fatal(err)
	}
	if err := c2.Auth(smtp.PlainAuth("", "u", "p", s.Host())); err != nil {
		t.Fatal(err)
	}
	if c := s.Counts(); c.Auths != 2 || c.AuthOK != 1 {
		t.Errorf("counts %+v", c)
	}
	if s.CertPEM() == nil || s.CertPool() == nil {
		t.Error("no certificate")
	}
}

func TestImplicitTLS(t *testing.T) {
	s := smtptest.New(t, smtptest.Options{ImplicitTLS: true})
	conn, err := tls.Dial("tcp", s.Addr(), s.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, s.Host())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered on an implicit TLS connection")
	}
}

func TestFaultTimes(t *testing.T) {
	s := smtptest.New(t, smtptest.Options{})
	s.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Code: 451, Times: 2})
	send := func() error {
		return smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte(msg))
	}
	for i := range 2 {
		var te *textproto.Error
		if err := send(); !errors.As(err, &te) || te.Code != 451 {
			t.Fatalf("attempt %d: %v, want 451", i+1, err)
		}
	}
	if err := send(); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if n := s.Count("m1@example.org"); n != 1 {
		t.Errorf("count %d", n)
	}
}

func TestOnStageAndDropAfterAccept(t *testing.T) {
	stages := make(chan smtptest.Stage, 20)
	s := smtptest.New(t, smtptest.Options{OnStage: func(ev smtptest.Event) { stages <- ev.Stage }})
	s.SetFaults(smtptest.Fault{Stage: smtptest.Accepted, Drop: true})
	err := smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte(msg))
	if err == nil {
		t.Error("QUIT after a dropped connection succeeded")
	}
	if n := s.Count("m1@example.org"); n != 1 {
		t.Errorf("accepted %d, want 1", n)
	}
	want := []smtptest.Stage{smtptest.Connect, smtptest.Hello, smtptest.Mail, smtptest.Rcpt, smtptest.DataBody, smtptest.DataEnd, smtptest.Accepted}
	for _, w := range want {
		select {
		case got := <-stages:
			if got != w {
				t.Fatalf("stage %v, want %v", got, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no stage %v", w)
		}
	}
}

func TestCloseEndsDelay(t *testing.T) {
	reached := make(chan struct{}, 1)
	s, err := smtptest.Start(smtptest.Options{OnStage: func(ev smtptest.Event) {
		if ev.Stage == smtptest.Hello {
			reached <- struct{}{}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetFaults(smtptest.Fault{Stage: smtptest.Hello, Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		done <- smtp.SendMail(s.Addr(), nil, "a@example.org", []string{"b@example.org"}, []byte(msg))
	}()
	<-reached
	start := time.Now()
	s.Close()
	if err := <-done; err == nil {
		t.Error("send succeeded against a closed server")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
}
