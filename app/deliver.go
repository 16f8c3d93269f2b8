package app

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

// DeliverAll sends what is due in the outbox: the mail of each message,
// then each of its notify channels, every one tried and recorded on its own.
func (a *App) DeliverAll(ctx context.Context, policy deliver.RetryPolicy) (deliver.Report, error) {
	rep, err := deliver.Deliver(ctx, a.Store, a.Sender(), a.Now(), policy)
	if err != nil {
		return rep, err
	}
	crep, err := deliver.DeliverChannels(ctx, a.Store, a.channels, a.Now(), policy)
	rep.Sent = append(rep.Sent, crep.Sent...)
	rep.Retry = append(rep.Retry, crep.Retry...)
	rep.Failed = append(rep.Failed, crep.Failed...)
	return rep, err
}

// channels finds the sender of a digest's notify channel, named as in the
// outbox (config.MaskURL), in the current configuration.
func (a *App) channels(name, channel string) (deliver.Sender, error) {
	for _, d := range append(append([]config.Digest{}, a.Config.Digests...), a.Config.PausedDigests...) {
		if d.Name != name {
			continue
		}
		for _, raw := range d.Notify {
			if config.MaskURL(raw) == channel {
				return ChannelSender(d, raw), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: no longer in the notify list of digest %q in %s", channel, name, a.Config.Path)
}

// ChannelSender is the sender of one notify URL of d: a webhook for http
// and https, else a chat service.
func ChannelSender(d config.Digest, raw string) deliver.Sender {
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

// ChannelNames are the notify channels of d as the outbox names them.
func ChannelNames(d config.Digest) []string {
	var out []string
	for _, raw := range d.Notify {
		out = append(out, config.MaskURL(raw))
	}
	return out
}

// Configured says whether the digest name (and, when channel is not "",
// that notify channel of it, named as the outbox names it) is in the
// configuration, enabled or paused.
func (a *App) Configured(name, channel string) bool {
	for _, d := range append(append([]config.Digest{}, a.Config.Digests...), a.Config.PausedDigests...) {
		if d.Name != name {
			continue
		}
		if channel == "" {
			return true
		}
		for _, raw := range d.Notify {
			if config.MaskURL(raw) == channel {
				return true
			}
		}
	}
	return false
}
