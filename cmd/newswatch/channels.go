package main

import (
	"context"
	"strings"

	"newswatch/app"
	"newswatch/config"
	"newswatch/model"
)

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
	s := app.ChannelSender(d, raw)
	return testChannel{kind: "webhook", send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by webhook " + config.MaskURL(raw), nil
	}}
}

// chatChannel sends the test message's text to a chat service.
func chatChannel(d config.Digest, raw string) testChannel {
	s := app.ChannelSender(d, raw)
	scheme, _, _ := strings.Cut(raw, ":")
	return testChannel{kind: scheme, send: func(ctx context.Context, m model.Message) (string, error) {
		if err := s.Send(ctx, m); err != nil {
			return "", err
		}
		return "accepted by " + config.MaskURL(raw), nil
	}}
}
