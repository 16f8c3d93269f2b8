package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/digest/text"
	"newswatch/model"
)

// deliverAll sends what is due in the outbox: the mail of each message,
// then each of its notify channels, every one tried and recorded on its own.
func (a *app) deliverAll(ctx context.Context, policy deliver.RetryPolicy) (deliver.Report, error) {
	rep, err := deliver.Deliver(ctx, a.st, a.sender(), a.now(), policy)
	if err != nil {
		return rep, err
	}
	crep, err := deliver.DeliverChannels(ctx, a.st, a.channels, a.now(), policy)
	rep.Sent = append(rep.Sent, crep.Sent...)
	rep.Retry = append(rep.Retry, crep.Retry...)
	rep.Failed = append(rep.Failed, crep.Failed...)
	return rep, err
}

// channels finds the sender of a digest's notify channel, given by its key
// in the outbox (config.MatchChannel), in the current configuration.
func (a *app) channels(name, key string) (deliver.Sender, error) {
	for _, d := range append(append([]config.Digest{}, a.cfg.Digests...), a.cfg.PausedDigests...) {
		if d.Name != name {
			continue
		}
		if raw, ok := config.MatchChannel(d.Notify, key); ok {
			return channelSender(d, raw), nil
		}
	}
	return nil, fmt.Errorf("the channel is no longer in the notify list of digest %q in %s", name, a.cfg.Path)
}

// channelSender is the sender of one notify URL of d: a webhook for http
// and https, else a chat service.
func channelSender(d config.Digest, raw string) deliver.Sender {
	if config.IsWebhook(raw) {
		return deliver.NewWebhookSender(&deliver.Webhook{
			URL:    raw,
			Secret: func() (string, error) { return d.WebhookSecret(os.Getenv) },
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

// channelNames are the notify channels of d as the outbox knows them.
func channelNames(d config.Digest) []model.Channel {
	var out []model.Channel
	for _, raw := range d.Notify {
		out = append(out, model.Channel{Key: config.ChannelKey(raw), Name: config.MaskURL(raw)})
	}
	return out
}

// notifyChannels are the test channels of d's notify URLs.
func notifyChannels(d config.Digest) []testChannel {
	var out []testChannel
	for _, raw := range d.Notify {
		if config.IsWebhook(raw) {
			out = append(out, webhookChannel(d, raw))
		} else {
			out = append(out, chatChannel(d, raw))
		}
	}
	return out
}

// webhookChannel posts the test message's JSON document to a webhook.
func webhookChannel(d config.Digest, raw string) testChannel {
	s := channelSender(d, raw)
	return testChannel{kind: "webhook", send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by webhook " + config.MaskURL(raw), nil
	}}
}

// chatChannel sends the test message's text to a chat service.
func chatChannel(d config.Digest, raw string) testChannel {
	s := channelSender(d, raw)
	scheme, _, _ := strings.Cut(raw, ":")
	return testChannel{kind: scheme, send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by " + config.MaskURL(raw), nil
	}}
}
