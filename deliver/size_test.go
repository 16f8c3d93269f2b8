package deliver

import (
	"context"
	"strings"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/internal/smtptest"
	"newswatch/model"
)

// A server refusing a digest for its size (552 5.3.4) gets it again,
// trimmed, in the same session: the stories are delivered, not failed and
// released into a next digest that would be as big.
func TestDeliverSizeRefusalResendsTrimmed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault smtptest.Fault
	}{
		{"552 at end of DATA, once", smtptest.Fault{Stage: smtptest.DataEnd, Code: 552, Message: "5.3.4 message too big", Times: 1}},
		{"552 at MAIL FROM, once", smtptest.Fault{Stage: smtptest.Mail, Code: 552, Message: "5.3.4 message size exceeds fixed limit", Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			ms, links := outbox(t, st, 1)
			srv := smtptest.New(t, authOpts())
			srv.SetFaults(tc.fault)
			cfg := config.SMTP{Host: srv.Host(), Port: srv.Port(), Security: "starttls", Username: testUser, From: "n@example.org"}
			sender := NewSMTPSender(cfg, password(testPass), WithTLSConfig(srv.ClientTLSConfig()), WithTimeout(2*time.Second))
			rep, err := Deliver(context.Background(), st, sender, t0, RetryPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Sent) != 1 || len(rep.Failed) != 0 || len(rep.Retry) != 0 {
				t.Fatalf("report: %d sent, %d retry, %d failed; want the trimmed digest sent", len(rep.Sent), len(rep.Retry), len(rep.Failed))
			}
			got := srv.Messages()
			if len(got) != 1 || got[0].MessageID != ms[0].MessageID {
				t.Fatalf("server holds %d messages, want one with Message-ID %s", len(got), ms[0].MessageID)
			}
			text := string(got[0].Data)
			if strings.Contains(text, "text/html") || !strings.Contains(got[0].Header.Get("Content-Type"), "text/plain") {
				t.Errorf("the trimmed digest is not plain text:\n%s", text)
			}
			for _, l := range links {
				if !strings.Contains(text, l) {
					t.Errorf("trimmed text lost %s", l)
				}
			}
			if !strings.Contains(text, "too large") {
				t.Errorf("trimmed text does not say why it is trimmed:\n%s", text)
			}
			if m := statuses(t, st)[ms[0].MessageID]; m.Status != model.MessageSent {
				t.Errorf("status %s, want sent", m.Status)
			}
		})
	}
}

// trimText keeps whole lines up to the limit and says what it left out.
func TestTrimText(t *testing.T) {
	text := strings.Repeat("Alibaba story with a link https://news.example/1\n", 1000)
	got := trimText(text, 4096)
	if len(got) > 4096 {
		t.Errorf("trimmed to %d bytes, want at most 4096", len(got))
	}
	if !strings.Contains(got, "too large") || !strings.HasPrefix(got, "Alibaba story") {
		t.Errorf("trimmed text:\n%.300s", got)
	}
	if short := "one line\n"; trimText(short, 4096) != short {
		t.Errorf("a short text was changed: %q", trimText(short, 4096))
	}
}

// A digest no server would take for now (4xx, down, timeouts) is retried
// for 72 hours after it was composed, then marked failed and reported, so
// its stories go into the next digest instead of waiting for ever.
func TestDeliverGivesUpAfter72Hours(t *testing.T) {
	st := openStore(t)
	ms, _ := outbox(t, st, 1)
	srv := smtptest.New(t, authOpts())
	srv.SetFaults(smtptest.Fault{Stage: smtptest.Mail, Code: 451})
	cfg := config.SMTP{Host: srv.Host(), Port: srv.Port(), Security: "starttls", Username: testUser, From: "n@example.org"}
	sender := NewSMTPSender(cfg, password(testPass), WithTLSConfig(srv.ClientTLSConfig()), WithTimeout(2*time.Second))
	ctx := context.Background()

	for _, tc := range []struct {
		at     time.Time
		status string
	}{
		{t0.Add(71 * time.Hour), model.MessagePending},
		{t0.Add(73 * time.Hour), model.MessageFailed},
	} {
		rep, err := Deliver(ctx, st, sender, tc.at, RetryPolicy{Immediate: true})
		if err != nil {
			t.Fatal(err)
		}
		m := statuses(t, st)[ms[0].MessageID]
		if m.Status != tc.status {
			t.Fatalf("at %v: status %s, want %s (report %+v)", tc.at.Sub(t0), m.Status, tc.status, rep)
		}
		if tc.status == model.MessageFailed {
			if len(rep.Failed) != 1 || !strings.Contains(m.LastError, "gave up after 72h") || !strings.Contains(m.LastError, "451") {
				t.Errorf("report %+v, last error %q; want it failed, saying it gave up and why", rep, m.LastError)
			}
		}
	}
}
