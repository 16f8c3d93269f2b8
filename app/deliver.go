package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/digest/text"
	"newswatch/internal/safetext"
	"newswatch/model"
)

// DeliverAll sends what is due in the outbox: the mail of each message,
// then each of its notify channels, every one tried and recorded on its own.
func (a *App) DeliverAll(ctx context.Context, policy deliver.RetryPolicy) (deliver.Report, error) {
	return a.deliverAll(ctx, a.Sender(), a.channels, policy)
}

// deliverAll is DeliverAll with mail sent through s and the notify
// channels found by channels.
func (a *App) deliverAll(ctx context.Context, s deliver.Sender, channels deliver.Channels, policy deliver.RetryPolicy) (deliver.Report, error) {
	rep, err := deliver.Deliver(ctx, a.Store, s, a.Now(), policy)
	if err != nil {
		return rep, err
	}
	crep, err := deliver.DeliverChannels(ctx, a.Store, channels, a.Now(), policy)
	rep.Sent = append(rep.Sent, crep.Sent...)
	rep.Retry = append(rep.Retry, crep.Retry...)
	rep.Failed = append(rep.Failed, crep.Failed...)
	rep.Waiting = append(rep.Waiting, crep.Waiting...)
	rep.Busy = append(rep.Busy, crep.Busy...)
	return rep, err
}

// channels finds the sender of a digest's notify channel, given by its key
// in the outbox (config.MatchChannel), in the current configuration.
func (a *App) channels(name, key string) (deliver.Sender, model.Channel, error) {
	d, raw, err := a.findChannel(name, key)
	if err != nil {
		return nil, model.Channel{}, err
	}
	return ChannelSender(d, raw, a.clock, a.Config.HTTP.UserAgent, nil), model.Channel{Key: config.ChannelKey(raw), Name: config.MaskURL(raw)}, nil
}

// answeredChannels is channels, with each webhook's answer to a message it
// accepted kept in ans (the status and the start of the body).
func (a *App) answeredChannels(ans *answers) deliver.Channels {
	return func(name, key string) (deliver.Sender, model.Channel, error) {
		d, raw, err := a.findChannel(name, key)
		if err != nil {
			return nil, model.Channel{}, err
		}
		ch := model.Channel{Key: config.ChannelKey(raw), Name: config.MaskURL(raw)}
		if !config.IsWebhook(raw) {
			return ChannelSender(d, raw, a.clock, a.Config.HTTP.UserAgent, nil), ch, nil
		}
		rec := &answerRecorder{next: deliver.WebhookTransport()}
		s := ChannelSender(d, raw, a.clock, a.Config.HTTP.UserAgent, &http.Client{Timeout: deliver.DefaultTimeout, Transport: rec})
		return senderFunc(func(ctx context.Context, m model.Message) error {
			if err := s.Send(ctx, m); err != nil {
				return err
			}
			ans.set(m.MessageID, ch.Name, rec.answer())
			return nil
		}), ch, nil
	}
}

// senderFunc is a deliver.Sender made of a function.
type senderFunc func(ctx context.Context, m model.Message) error

// Send calls f.
func (f senderFunc) Send(ctx context.Context, m model.Message) error { return f(ctx, m) }

// findChannel is the digest name (enabled or paused) and its notify URL
// whose key in the outbox is key.
func (a *App) findChannel(name, key string) (config.Digest, string, error) {
	for _, d := range append(append([]config.Digest{}, a.Config.Digests...), a.Config.PausedDigests...) {
		if d.Name != name {
			continue
		}
		if raw, ok := config.MatchChannel(d.Notify, key); ok {
			return d, raw, nil
		}
	}
	return config.Digest{}, "", fmt.Errorf("the channel is no longer in the notify list of digest %q in %s", name, a.Config.Path)
}

// ChannelSender is the sender of one notify URL of d: a webhook for http
// and https (signed with timestamps from now, as userAgent, through client
// when not nil), else a chat service.
func ChannelSender(d config.Digest, raw string, now func() time.Time, userAgent string, client *http.Client) deliver.Sender {
	if config.IsWebhook(raw) {
		return deliver.NewWebhookSender(&deliver.Webhook{
			URL:       raw,
			Secret:    func() (string, error) { return d.WebhookSecret(os.Getenv) },
			Now:       now,
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
// ignored, and prints what happened to each (quiet: what went wrong only);
// the error counts the digests not delivered to every recipient and the
// channels that wait out the delay after a try with no answer in time
// (not tried: each try may post the message again). A digest or channel
// delivery another sender (a daemon, another send or once) is making at
// that moment is left to it and said so; with heldOwed (send: the user
// asked for it now) it counts as not delivered too, without (once: the
// other sender delivers it) it does not, and quiet leaves it out. One
// another sender finished meanwhile is no longer pending: not mentioned.
func (a *App) DeliverPending(ctx context.Context, w io.Writer, log *slog.Logger, quiet, heldOwed bool) error {
	before, err := a.Store.Messages(ctx, model.MessagePending)
	if err != nil {
		return err
	}
	ans := &answers{}
	rep, err := a.deliverAll(ctx, &replyRecorder{Sender: a.Sender(), answers: ans}, a.answeredChannels(ans),
		deliver.RetryPolicy{Immediate: true, Logger: log})
	PrintDelivery(w, rep, a.Config, quiet, ans.get)
	if err != nil {
		return err
	}
	n := len(rep.Retry) + len(rep.Failed) + len(rep.Waiting)
	for _, o := range rep.Sent {
		if len(o.Owed) > 0 {
			n++
		}
	}
	mails, channels, err := a.stillHeld(ctx, skipped(before, rep), rep.Busy)
	if err != nil {
		return err
	}
	if !quiet || heldOwed {
		for _, m := range mails {
			fmt.Fprintf(w, "%s: the digest of %s is being sent by another newswatch right now (a daemon, or another send or once): not sent by this one\n",
				m.Digest, m.Slot.In(a.Config.Location).Format(timeLayout))
		}
		for _, o := range channels {
			fmt.Fprintf(w, "%s: not delivered to %s by this one: it is being sent by another newswatch right now (a daemon, or another send or once)\n",
				o.Digest, o.Channel)
		}
	}
	if heldOwed {
		n += len(mails) + len(channels)
	}
	if n > 0 {
		return fmt.Errorf("%d %s not delivered to every recipient or channel (kept in the outbox: see `newswatch status`)", n, Plural(n, "delivery", "deliveries"))
	}
	return nil
}

// stillHeld returns those of the messages and channel deliveries a run
// left to another sender that are still pending: the other sender is at
// work on them; one it finished meanwhile is no concern of this run.
func (a *App) stillHeld(ctx context.Context, mails []model.Message, channels []deliver.Outcome) ([]model.Message, []deliver.Outcome, error) {
	if len(mails)+len(channels) == 0 {
		return nil, nil, nil
	}
	pending, err := a.Store.Messages(ctx, model.MessagePending)
	if err != nil {
		return nil, nil, err
	}
	dels, err := a.Store.Deliveries(ctx, model.MessagePending)
	if err != nil {
		return nil, nil, err
	}
	open := map[int64]bool{}
	for _, m := range pending {
		open[m.ID] = true
	}
	mails = slices.DeleteFunc(slices.Clone(mails), func(m model.Message) bool { return !open[m.ID] })
	type delivery struct {
		id      int64
		channel string
	}
	openDel := map[delivery]bool{}
	for _, d := range dels {
		openDel[delivery{d.Message.ID, d.Channel}] = true
	}
	channels = slices.DeleteFunc(slices.Clone(channels), func(o deliver.Outcome) bool { return !openDel[delivery{o.ID, o.Channel}] })
	return mails, channels, nil
}

// PrintDelivery says what happened to each message of a delivery run
// (quiet: what went wrong only) and which channels wait to be tried again
// (Report.Waiting, from a run with policy.Immediate: a try had no answer
// in time), with what the other side answered to
// each message sent (answer, given its Message-ID and channel, "" for
// mail): the mail server's reply, a webhook's status and the start of its
// body.
func PrintDelivery(w io.Writer, rep deliver.Report, cfg *config.Config, quiet bool, answer func(messageID, channel string) string) {
	for _, o := range rep.Sent {
		if quiet && len(o.Rejected) == 0 && len(o.Owed) == 0 {
			continue
		}
		if o.Channel != "" {
			fmt.Fprintf(w, "%s: delivered to %s: %s\n", o.Digest, o.Channel, o.Subject)
			if said := answer(o.MessageID, o.Channel); said != "" {
				fmt.Fprintf(w, "  answered %s\n", said)
			}
			continue
		}
		where := "sent"
		if cfg.SMTP == nil {
			where = "written to " + writtenFile(cfg.Output.Dir, o.Digest, o.MessageID)
		}
		fmt.Fprintf(w, "%s: %s: %s\n", o.Digest, where, o.Subject)
		if said := answer(o.MessageID, ""); said != "" && cfg.SMTP != nil {
			fmt.Fprintf(w, "  accepted by %s %s\n", net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(smtpPort(cfg.SMTP))), said)
		}
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
		if deliver.IsSettings(o.Err) {
			fmt.Fprintf(w, "%s: not sent, kept in the outbox until the mail settings are fixed (the next send, once or the daemon's retry at %s sends it): %v\n",
				o.Digest, o.Next.In(cfg.Location).Format("15:04:05 MST"), o.Err)
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
	mask := config.DeliveryMask(cfg)
	for _, o := range rep.Waiting {
		last := ""
		if o.Err != nil {
			last = ": " + safetext.Line(mask(o.Err.Error())) // as stored: no raw escapes on the terminal
		}
		fmt.Fprintf(w, "%s: not delivered to %s yet: waiting until %s to try again, not tried now (the last try had no answer in time: the receiver may have it)%s\n",
			o.Digest, o.Channel, When(o.Next, cfg.Location), last)
	}
}

// skipped returns the mail messages of pending that rep does not mention:
// the ones another sender held.
func skipped(pending []model.Message, rep deliver.Report) []model.Message {
	seen := map[int64]bool{}
	for _, list := range [][]deliver.Outcome{rep.Sent, rep.Retry, rep.Failed} {
		for _, o := range list {
			if o.Channel == "" {
				seen[o.ID] = true
			}
		}
	}
	var out []model.Message
	for _, m := range pending {
		if !seen[m.ID] && len(m.To) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// writtenFile is the .eml file of the output folder that holds the message
// messageID of digest, else that digest's folder.
func writtenFile(dir, digest, messageID string) string {
	folder := filepath.Join(dir, config.FolderName(digest))
	files, _ := filepath.Glob(filepath.Join(folder, "*.eml"))
	for i := len(files) - 1; i >= 0; i-- { // the newest name last
		f, err := os.Open(files[i])
		if err != nil {
			continue
		}
		head := make([]byte, 8<<10)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if bytes.Contains(head[:n], []byte(messageID)) {
			return files[i]
		}
	}
	return folder + string(filepath.Separator)
}

// smtpPort is the configured port, else the usual one for its security.
func smtpPort(c *config.SMTP) int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.Security == "tls":
		return 465
	case c.Security == "none":
		return 25
	}
	return 587
}

// answers keeps what the other side answered to each message of a
// delivery run, for `send` and `once` to show.
type answers struct {
	mu sync.Mutex
	m  map[[2]string]string // Message-ID and channel ("" for mail) → answer
}

func (a *answers) set(messageID, channel, answer string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[[2]string]string{}
	}
	a.m[[2]string{messageID, channel}] = answer
}

// get is the answer to messageID through channel ("" for mail), "" when
// none was kept.
func (a *answers) get(messageID, channel string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[[2]string{messageID, channel}]
}

// acceptedFor is the recipients of to a send that ended with err accepted:
// all of them, but those a partial delivery's server refused (refusals
// are keyed by bare address, in any case; to may carry display names).
func acceptedFor(to []string, err error) []string {
	var se *deliver.SendError
	if !errors.As(err, &se) || len(se.Rejected) == 0 {
		return to
	}
	var out []string
	for _, r := range to {
		addr := r
		if a, err := mail.ParseAddress(r); err == nil {
			addr = a.Address
		}
		refused := false
		for k := range se.Rejected {
			refused = refused || strings.EqualFold(k, addr)
		}
		if !refused {
			out = append(out, r)
		}
	}
	return out
}

// replyRecorder is a mail Sender that keeps in answers, for each message
// it sent, the recipients and the server's answer ("for a@x, b@y: 250 …").
type replyRecorder struct {
	deliver.Sender
	answers *answers
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
	answer := "for " + strings.Join(acceptedFor(m.To, err), ", ")
	if reply != "" {
		answer += ": " + safetext.Line(reply)
	}
	r.answers.set(m.MessageID, "", answer)
	return err
}
