package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/digest/text"
	"newswatch/internal/safetext"
	"newswatch/model"
)

// deliverAll sends what is due in the outbox: the mail of each message,
// then each of its notify channels, every one tried and recorded on its own.
func (a *app) deliverAll(ctx context.Context, policy deliver.RetryPolicy) (deliver.Report, error) {
	a.answers = &replyRecorder{Sender: a.sender()}
	rep, err := deliver.Deliver(ctx, a.st, a.answers, a.now(), policy)
	if err != nil {
		return rep, err
	}
	crep, err := deliver.DeliverChannels(ctx, a.st, a.channels, a.now(), policy)
	rep.Sent = append(rep.Sent, crep.Sent...)
	rep.Retry = append(rep.Retry, crep.Retry...)
	rep.Failed = append(rep.Failed, crep.Failed...)
	return rep, err
}

// channels finds the sender of a digest's notify channel, named as in the
// outbox (config.MaskURL), in the current configuration.
func (a *app) channels(name, channel string) (deliver.Sender, error) {
	for _, d := range append(append([]config.Digest{}, a.cfg.Digests...), a.cfg.PausedDigests...) {
		if d.Name != name {
			continue
		}
		for _, raw := range d.Notify {
			if config.MaskURL(raw) == channel {
				return channelSender(d, raw, a.cfg.HTTP.UserAgent, nil), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: no longer in the notify list of digest %q in %s", channel, name, a.cfg.Path)
}

// channelSender is the sender of one notify URL of d: a webhook for http
// and https (as userAgent, through client when not nil), else a chat
// service.
func channelSender(d config.Digest, raw, userAgent string, client *http.Client) deliver.Sender {
	if config.IsWebhook(raw) {
		return deliver.NewWebhookSender(&deliver.Webhook{
			URL:       raw,
			Secret:    func() (string, error) { return d.WebhookSecret(os.Getenv) },
			UserAgent: userAgent,
			Client:    client,
		}, func(m model.Message) ([]byte, error) {
			if m.Doc == "" {
				return nil, errors.New("the message has no JSON document")
			}
			return []byte(m.Doc), nil
		})
	}
	scheme, _, _ := strings.Cut(raw, ":")
	return &deliver.Chat{URL: raw, Limit: text.Limit(scheme), Render: func(m model.Message, limit int) (string, error) {
		// The chat text of an outbox message, from its JSON document.
		doc, err := digest.ParseDocument([]byte(m.Doc))
		if err != nil {
			return "", err
		}
		return text.Render(text.Escape(scheme, doc), limit), nil
	}}
}

// channelNames are the notify channels of d as the outbox names them.
func channelNames(d config.Digest) []string {
	var out []string
	for _, raw := range d.Notify {
		out = append(out, config.MaskURL(raw))
	}
	return out
}

// notifyChannels are the test channels of d's notify URLs.
func notifyChannels(d config.Digest, userAgent string) []testChannel {
	var out []testChannel
	for _, raw := range d.Notify {
		if config.IsWebhook(raw) {
			out = append(out, webhookChannel(d, raw, userAgent))
		} else {
			out = append(out, chatChannel(d, raw))
		}
	}
	return out
}

// webhookChannel posts the test message's JSON document to a webhook and
// tells its answer: status and the start of the body.
func webhookChannel(d config.Digest, raw, userAgent string) testChannel {
	rec := &answerRecorder{next: http.DefaultTransport}
	s := channelSender(d, raw, userAgent, &http.Client{Timeout: deliver.DefaultTimeout, Transport: rec})
	return testChannel{kind: "webhook", send: func(ctx context.Context, m model.Message) (string, error) {
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
func chatChannel(d config.Digest, raw string) testChannel {
	s := channelSender(d, raw, "", nil)
	scheme, _, _ := strings.Cut(raw, ":")
	return testChannel{kind: scheme, send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by " + config.MaskURL(raw), nil
	}}
}

// replyRecorder is a mail Sender that keeps, for each message it sent, the
// recipients and the server's answer, for `send` and `once` to show.
type replyRecorder struct {
	deliver.Sender
	mu      sync.Mutex
	answers map[string]string // Message-ID → "for a@x, b@y: 250 …"
}

// Send sends m, through SendReply when the sender has it (SMTP).
func (r *replyRecorder) Send(ctx context.Context, m model.Message) error {
	rs, ok := r.Sender.(interface {
		SendReply(context.Context, model.Message) (string, error)
	})
	if !ok {
		return r.Sender.Send(ctx, m)
	}
	reply, err := rs.SendReply(ctx, m)
	answer := "for " + strings.Join(m.To, ", ")
	if reply != "" {
		answer += ": " + safetext.Line(reply)
	}
	r.mu.Lock()
	if r.answers == nil {
		r.answers = map[string]string{}
	}
	r.answers[m.MessageID] = answer
	r.mu.Unlock()
	return err
}

// answer is what the server said to messageID, "" when it was not sent
// through SMTP by this recorder.
func (r *replyRecorder) answer(messageID string) string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answers[messageID]
}
