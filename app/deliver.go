package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

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

// channels finds the sender of a digest's notify channel, given by its key
// in the outbox (config.MatchChannel), in the current configuration.
func (a *App) channels(name, key string) (deliver.Sender, model.Channel, error) {
	for _, d := range append(append([]config.Digest{}, a.Config.Digests...), a.Config.PausedDigests...) {
		if d.Name != name {
			continue
		}
		if raw, ok := config.MatchChannel(d.Notify, key); ok {
			return ChannelSender(d, raw, a.clock), model.Channel{Key: config.ChannelKey(raw), Name: config.MaskURL(raw)}, nil
		}
	}
	return nil, model.Channel{}, fmt.Errorf("the channel is no longer in the notify list of digest %q in %s", name, a.Config.Path)
}

// ChannelSender is the sender of one notify URL of d: a webhook for http
// and https (signed with timestamps from now), else a chat service.
func ChannelSender(d config.Digest, raw string, now func() time.Time) deliver.Sender {
	if config.IsWebhook(raw) {
		return deliver.NewWebhookSender(&deliver.Webhook{
			URL:    raw,
			Secret: func() (string, error) { return d.WebhookSecret(os.Getenv) },
			Now:    now,
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

// ChannelNames are the notify channels of d as the outbox knows them.
func ChannelNames(d config.Digest) []model.Channel {
	var out []model.Channel
	for _, raw := range d.Notify {
		out = append(out, model.Channel{Key: config.ChannelKey(raw), Name: config.MaskURL(raw)})
	}
	return out
}

// Configured says whether the digest name (and, when channel is not "",
// that notify channel of it, given by its key in the outbox) is in the
// configuration, enabled or paused.
func (a *App) Configured(name, channel string) bool {
	for _, d := range append(append([]config.Digest{}, a.Config.Digests...), a.Config.PausedDigests...) {
		if d.Name != name {
			continue
		}
		if channel == "" {
			return true
		}
		if _, ok := config.MatchChannel(d.Notify, channel); ok {
			return true
		}
	}
	return false
}

// DeliverPending delivers every pending message of the outbox now, backoff
// ignored, and prints what happened to each; the error counts the digests
// not delivered to every recipient.
func (a *App) DeliverPending(ctx context.Context, w io.Writer, log *slog.Logger) error {
	rep, err := a.DeliverAll(ctx, deliver.RetryPolicy{Immediate: true, Logger: log})
	PrintDelivery(w, rep, a.Config)
	if err != nil {
		return err
	}
	n := len(rep.Retry) + len(rep.Failed)
	for _, o := range rep.Sent {
		if len(o.Owed) > 0 {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%d %s not delivered to every recipient or channel (kept in the outbox: see `newswatch status`)", n, Plural(n, "delivery", "deliveries"))
	}
	return nil
}

// PrintDelivery says what happened to each message of a delivery run.
func PrintDelivery(w io.Writer, rep deliver.Report, cfg *config.Config) {
	where := "sent"
	if cfg.SMTP == nil {
		where = "written to " + cfg.Output.Dir
	}
	for _, o := range rep.Sent {
		if o.Channel != "" {
			fmt.Fprintf(w, "%s: delivered to %s: %s\n", o.Digest, o.Channel, o.Subject)
			continue
		}
		fmt.Fprintf(w, "%s: %s: %s\n", o.Digest, where, o.Subject)
		for _, addr := range slices.Sorted(maps.Keys(o.Rejected)) {
			fmt.Fprintf(w, "  recipient %s rejected: %s\n", addr, o.Rejected[addr])
		}
		if len(o.Owed) > 0 {
			fmt.Fprintf(w, "  will retry %s alone (attempt %d, next %s)\n", strings.Join(o.Owed, ", "), o.Attempt+1, o.Next.In(cfg.Location).Format("15:04:05 MST"))
		}
	}
	for _, o := range rep.Retry {
		if o.Channel != "" {
			fmt.Fprintf(w, "%s: not delivered to %s, will retry (attempt %d, next %s): %v\n", o.Digest, o.Channel, o.Attempt, o.Next.In(cfg.Location).Format("15:04:05 MST"), o.Err)
			continue
		}
		fmt.Fprintf(w, "%s: not sent, will retry (attempt %d, next %s): %v\n", o.Digest, o.Attempt, o.Next.In(cfg.Location).Format("15:04:05 MST"), o.Err)
	}
	for _, o := range rep.Failed {
		if o.Channel != "" {
			fmt.Fprintf(w, "%s: delivery to %s failed for good: %v\n", o.Digest, o.Channel, o.Err)
			continue
		}
		if o.Partial {
			fmt.Fprintf(w, "%s: the other recipients had it; the rest failed for good: %v\n", o.Digest, o.Err)
			continue
		}
		fmt.Fprintf(w, "%s: failed for good: %v\n", o.Digest, o.Err)
	}
}
