package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/digest"
	"newswatch/model"
	"newswatch/store"
)

func cmdSend(ctx context.Context, e *env, args []string) error {
	fs := e.flags("send")
	test := fs.Bool("test", false, "send a short test message now through the digest's channels, whatever is pending")
	to := fs.String("to", "", "with -test: send it to this address instead of the digest's recipients")
	names, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *to != "" && !*test {
		return usagef("-to goes with -test")
	}
	a, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if *test {
		if len(names) > 1 {
			return usagef("send -test takes at most one digest NAME")
		}
		return a.sendTest(ctx, e.stdout, strings.Join(names, ""), *to)
	}
	specs, err := a.specs(names)
	if err != nil {
		return err
	}
	return a.send(ctx, e.stdout, e.log, specs, a.now().Truncate(time.Minute))
}

// send composes each digest for slot, records it in the outbox and delivers
// every pending message, earlier ones that failed temporarily included.
func (a *app) send(ctx context.Context, w io.Writer, log *slog.Logger, specs []digest.Spec, slot time.Time) error {
	for _, spec := range specs {
		if err := a.compose(ctx, w, spec, slot, true); err != nil {
			return err
		}
	}
	return a.deliverPending(ctx, w, log)
}

// deliverPending delivers every pending message of the outbox now, backoff
// ignored, and prints what happened to each; the error counts the digests
// not delivered to every recipient.
func (a *app) deliverPending(ctx context.Context, w io.Writer, log *slog.Logger) error {
	before, err := a.st.Messages(ctx, model.MessagePending)
	if err != nil {
		return err
	}
	rep, err := a.deliverAll(ctx, deliver.RetryPolicy{Immediate: true, Logger: log})
	printReport(w, rep, a.cfg, a.quiet, a.answers.answer)
	if err != nil {
		return err
	}
	n := len(rep.Retry) + len(rep.Failed)
	// A message another sender holds is skipped: say so, it is not sent
	// by this command.
	for _, m := range skipped(before, rep) {
		fmt.Fprintf(w, "%s: the digest of %s is being sent by another newswatch right now (a daemon, or another send or once): not sent by this one\n",
			m.Digest, when(m.Slot, a.cfg.Location))
		n++
	}
	for _, o := range rep.Sent {
		if len(o.Owed) > 0 {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%d %s not delivered to every recipient or channel (kept in the outbox: see `newswatch status`)", n, plural(n, "delivery", "deliveries"))
	}
	return nil
}

// printReport says what happened to each message of a delivery run; quiet,
// only what went wrong.
func printReport(w io.Writer, rep deliver.Report, cfg *config.Config, quiet bool, answer func(messageID string) string) {
	where := "sent"
	if cfg.SMTP == nil {
		where = "written to " + cfg.Output.Dir
	}
	for _, o := range rep.Sent {
		if quiet && len(o.Rejected) == 0 && len(o.Owed) == 0 {
			continue
		}
		if o.Channel != "" {
			fmt.Fprintf(w, "%s: delivered to %s: %s\n", o.Digest, o.Channel, o.Subject)
			continue
		}
		if cfg.SMTP == nil {
			where = "written to " + writtenFile(cfg.Output.Dir, o.Digest, o.MessageID)
		}
		fmt.Fprintf(w, "%s: %s: %s\n", o.Digest, where, o.Subject)
		if said := answer(o.MessageID); said != "" && cfg.SMTP != nil {
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
}

// compose puts the digest for slot in the outbox, unless it has nothing new
// (and send_empty is off). When slot was recorded before: with again (a
// manual `send`) and that digest sent, what is new goes out under a new
// identity (the slot a second later: a new Message-ID); otherwise the slot
// is done (a scheduled one that a daemon or another `once` recorded first),
// and a pending digest is left to be delivered with its own Message-ID (a
// send cut short by a crash is not duplicated).
func (a *app) compose(ctx context.Context, w io.Writer, spec digest.Spec, slot time.Time, again bool) error {
	for {
		d, err := a.composer.Compose(ctx, spec, slot, a.now())
		if err != nil {
			return err
		}
		if d.Empty && !spec.SendEmpty {
			fmt.Fprintf(w, "%s: nothing new matched: nothing sent (send_empty = false)\n", spec.Name)
			// The slot is done: a later `once` must not send its stories
			// off schedule.
			return a.st.RecordEmpty(ctx, spec.Name, slot)
		}
		err = a.composer.Record(ctx, &d)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrSlotTaken):
			pending, perr := a.pendingAt(ctx, spec.Name, slot)
			if perr != nil {
				return perr
			}
			if again && !pending {
				// That one was sent, or failed for good and released
				// its stories: what is new goes under a new identity.
				slot = slot.Add(time.Second)
				continue
			}
			if pending {
				fmt.Fprintf(w, "%s: the digest of %s is still in the outbox, not sent yet: trying it now\n", spec.Name, when(slot, spec.Location))
			}
			return nil
		case errors.Is(err, store.ErrClaimed):
			fmt.Fprintf(w, "%s: another send claimed these items at the same moment; they go out with it\n", spec.Name)
			return nil
		default:
			return err
		}
	}
}

// pendingAt reports whether digest's message for slot is still pending.
func (a *app) pendingAt(ctx context.Context, digest string, slot time.Time) (bool, error) {
	pending, err := a.st.Messages(ctx, model.MessagePending)
	if err != nil {
		return false, err
	}
	for _, m := range pending {
		if m.Digest == digest && m.Slot.Equal(slot) {
			return true, nil
		}
	}
	return false, nil
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
