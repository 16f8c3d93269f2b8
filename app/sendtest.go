package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/internal/safetext"
	"newswatch/model"
)

// TestChannel is one way a digest leaves newswatch, for `send -test`: Send
// delivers m now and returns what the other side answered.
type TestChannel struct {
	Kind string
	Send func(ctx context.Context, m model.Message) (string, error)
}

// TestChannels are the channels a digest of d goes through (mail when it
// has recipients, then its notify URLs; with mailOnly, as for -to, mail
// alone); each kind of channel has its own function building its
// TestChannel.
func (a *App) TestChannels(d config.Digest, rcpt []string, mailOnly bool) []TestChannel {
	var out []TestChannel
	if len(rcpt) > 0 {
		out = append(out, a.mailChannel())
	}
	if mailOnly {
		return out
	}
	return append(out, notifyChannels(d, a.clock, a.Config.HTTP.UserAgent)...)
}

// mailChannel is the configured SMTP server, else the output folder.
func (a *App) mailChannel() TestChannel {
	s := a.Sender()
	if a.Config.SMTP == nil {
		return TestChannel{Kind: "file", Send: func(ctx context.Context, m model.Message) (string, error) {
			if err := s.Send(ctx, m); err != nil {
				return "", err
			}
			return "written to " + writtenFile(a.Config.Output.Dir, m.Digest, m.MessageID), nil
		}}
	}
	return TestChannel{Kind: "smtp", Send: func(ctx context.Context, m model.Message) (string, error) {
		reply := ""
		var err error
		if r, ok := s.(interface {
			SendReply(context.Context, model.Message) (string, error)
		}); ok {
			reply, err = r.SendReply(ctx, m)
		} else {
			err = s.Send(ctx, m)
		}
		if err != nil {
			return "", err
		}
		answer := fmt.Sprintf("accepted by %s for %s", net.JoinHostPort(a.Config.SMTP.Host, strconv.Itoa(smtpPort(a.Config.SMTP))), strings.Join(m.To, ", "))
		if reply != "" {
			answer += ": " + safetext.Line(reply)
		}
		return answer, nil
	}}
}

// notifyChannels are the test channels of d's notify URLs.
func notifyChannels(d config.Digest, now func() time.Time, userAgent string) []TestChannel {
	var out []TestChannel
	for _, raw := range d.Notify {
		if config.IsWebhook(raw) {
			out = append(out, webhookChannel(d, raw, now, userAgent))
		} else {
			out = append(out, chatChannel(d, raw, now))
		}
	}
	return out
}

// webhookChannel posts the test message's JSON document to a webhook and
// tells its answer: status and the start of the body.
func webhookChannel(d config.Digest, raw string, now func() time.Time, userAgent string) TestChannel {
	rec := &answerRecorder{next: deliver.WebhookTransport()}
	s := ChannelSender(d, raw, now, userAgent, &http.Client{Timeout: deliver.DefaultTimeout, Transport: rec})
	return TestChannel{Kind: "webhook", Send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by webhook " + config.MaskURL(raw) + ": " + rec.answer(), nil
	}}
}

// answerRecorder is a RoundTripper that keeps the status and the first
// bytes of the last answer, for send -test to show.
type answerRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	status string
	body   []byte
}

// answerShown is how much of an answer's body send -test shows.
const answerShown = 200

func (r *answerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, answerShown+1))
	r.mu.Lock()
	r.status, r.body = resp.Status, head
	r.mu.Unlock()
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return resp, nil
}

// answer is "200 OK" and the body's start, made safe for a terminal.
func (r *answerRecorder) answer() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.status
	if body := strings.TrimSpace(string(r.body)); body != "" {
		out += " " + safetext.Short(body, answerShown)
	}
	return safetext.Line(out)
}

// chatChannel sends the test message's text to a chat service.
func chatChannel(d config.Digest, raw string, now func() time.Time) TestChannel {
	s := ChannelSender(d, raw, now, "", nil)
	scheme, _, _ := strings.Cut(raw, ":")
	return TestChannel{Kind: scheme, Send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by " + config.MaskURL(raw), nil
	}}
}

// TestMessage is the short test message of `send -test` for digest d to
// rcpt, stamped with the app's clock: it says delivery works and that
// nothing pending was sent; its JSON document is marked as a test.
func (a *App) TestMessage(d config.Digest, rcpt []string) (model.Message, error) {
	now := a.Now()
	stamp := now.In(d.Location).Format(timeLayout)
	m := model.Message{
		Digest:    d.Name,
		Slot:      now,
		Created:   now,
		MessageID: fmt.Sprintf("<test.%d@%s>", now.UnixNano(), MessageDomain(a.Config)),
		Subject:   fmt.Sprintf("newswatch test message for %s, %s", d.Name, stamp),
		To:        rcpt,
		Text: fmt.Sprintf("This is a test message from newswatch, sent %s as the digest %q would be.\n"+
			"If you read it, delivery works. Nothing pending was sent and nothing was recorded.\n", stamp, d.Name),
	}
	doc, err := digest.Document{
		Digest: d.Name, Subject: m.Subject, Slot: now.UTC(), MessageID: m.MessageID, Test: true,
		Summary: "A test message from newswatch: if you read it, delivery works.", Stories: []digest.DocStory{},
	}.Marshal()
	if err != nil {
		return model.Message{}, err
	}
	m.Doc = string(doc)
	return m, nil
}
