package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"newswatch/config"
	"newswatch/digest"
	"newswatch/internal/safetext"
	"newswatch/model"
)

// testChannel is one way a digest leaves newswatch, for `send -test`: send
// delivers m now and returns what the other side answered.
type testChannel struct {
	kind string
	send func(ctx context.Context, m model.Message) (string, error)
}

// testChannels are the channels a digest of d goes through (mail when it
// has recipients, then its notify URLs; with mailOnly, as for -to, mail
// alone); each kind of channel has its own function building its
// testChannel.
func (a *app) testChannels(d config.Digest, rcpt []string, mailOnly bool) []testChannel {
	var out []testChannel
	if len(rcpt) > 0 {
		out = append(out, a.mailChannel())
	}
	if mailOnly {
		return out
	}
	return append(out, notifyChannels(d, a.cfg.HTTP.UserAgent)...)
}

// mailChannel is the configured SMTP server, else the output folder.
func (a *app) mailChannel() testChannel {
	s := a.sender()
	if a.cfg.SMTP == nil {
		return testChannel{kind: "file", send: func(ctx context.Context, m model.Message) (string, error) {
			if err := s.Send(ctx, m); err != nil {
				return "", err
			}
			return "written to " + a.cfg.Output.Dir, nil
		}}
	}
	return testChannel{kind: "smtp", send: func(ctx context.Context, m model.Message) (string, error) {
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
		answer := fmt.Sprintf("accepted by %s for %s", net.JoinHostPort(a.cfg.SMTP.Host, strconv.Itoa(smtpPort(a.cfg.SMTP))), strings.Join(m.To, ", "))
		if reply != "" {
			answer += ": " + safetext.Line(reply)
		}
		return answer, nil
	}}
}

// sendTest sends a short test message for the named digest (the first when
// name is empty) through each of its channels now, whatever is pending,
// recording nothing; to, when set, replaces the digest's recipients.
func (a *app) sendTest(ctx context.Context, w io.Writer, name, to string) error {
	if len(a.cfg.Digests) == 0 {
		return usagef("no [[digests]] in %s: a test message is sent as one of them", a.cfg.Path)
	}
	d := a.cfg.Digests[0]
	if name != "" {
		specs, err := a.specs([]string{name})
		if err != nil {
			return err
		}
		for _, c := range a.cfg.Digests {
			if c.Name == specs[0].Name {
				d = c
			}
		}
	}
	rcpt := d.To
	if to != "" {
		rcpt = []string{to}
	}
	now := a.now()
	stamp := when(now, d.Location)
	m := model.Message{
		Digest:    d.Name,
		Slot:      now,
		Created:   now,
		MessageID: fmt.Sprintf("<test.%d@%s>", now.UnixNano(), messageDomain(a.cfg)),
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
		return err
	}
	m.Doc = string(doc)
	failed := 0
	if to != "" && len(d.Notify) > 0 {
		fmt.Fprintf(w, "%s: -to tests the mail alone: the %d notify %s not tried\n", d.Name, len(d.Notify), plural(len(d.Notify), "channel is", "channels are"))
	}
	for _, c := range a.testChannels(d, rcpt, to != "") {
		answer, err := c.send(ctx, m)
		if err != nil {
			failed++
			fmt.Fprintf(w, "%s: test message failed (%s): %v\n", d.Name, c.kind, err)
			continue
		}
		fmt.Fprintf(w, "%s: test message %s\n", d.Name, answer)
	}
	if failed > 0 {
		return fmt.Errorf("the test message could not be delivered through %d %s", failed, plural(failed, "channel", "channels"))
	}
	return nil
}
