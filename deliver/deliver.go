package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"newswatch/model"
	"newswatch/store"
)

// Sender delivers one outbox message: by SMTP ([NewSMTPSender]) or into a
// folder ([NewFileSender]). A nil error means the message was accepted, and
// only then. Errors are *SendError, or a plain error (treated as temporary).
type Sender interface {
	Send(ctx context.Context, m model.Message) error
}

// SendError is a failed or partial delivery, classified.
type SendError struct {
	// Temporary is true when trying again later may succeed: the server
	// could not be reached, timed out, hung up, or answered 4xx.
	Temporary bool
	// Code is the server's reply code (421, 550, ...); 0 when the server
	// gave none.
	Code int
	// Rejected maps each refused recipient to the server's reply.
	Rejected map[string]string
	// Delivered is true when the server accepted the message for the
	// recipients not in Rejected: the message went out, with those
	// exceptions.
	Delivered bool
	// RetryAfter is the wait the receiver asked for (an HTTP Retry-After),
	// 0 when it named none: the next try is no sooner.
	RetryAfter time.Duration
	// Unknown is set on a temporary failure whose outcome is not known:
	// the request was sent and no answer came in time, so the receiver
	// may have taken it. It is tried again only a few times, spaced.
	Unknown bool
	// Err is the failure, prefixed with where it happened.
	Err error
}

// Error returns Err's text.
func (e *SendError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *SendError) Unwrap() error { return e.Err }

// RetryPolicy says when pending messages are tried, and where Deliver logs.
type RetryPolicy struct {
	// Immediate tries every pending message now, whatever its next
	// attempt time (`newswatch send` and `once`).
	Immediate bool
	// Held tries the messages held by the mail settings
	// (model.Message.Held) now, whatever their next attempt time, and the
	// others when due: the settings may just have been fixed.
	Held bool
	// Min and Max bound the exponential backoff after a temporary
	// failure: Min after the first failure, doubling up to Max. Zero
	// means 1 minute and 1 hour.
	Min, Max time.Duration
	// Logger receives one line per message; nil discards.
	Logger *slog.Logger
}

// Backoff returns the wait after the n-th failed attempt (n >= 1).
func (p RetryPolicy) Backoff(n int) time.Duration {
	lo, hi := p.Min, p.Max
	if lo <= 0 {
		lo = time.Minute
	}
	if hi <= 0 {
		hi = time.Hour
	}
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// Outcome is what happened to one message in a Deliver run.
type Outcome struct {
	ID        int64
	Digest    string
	Channel   string // a notify channel (DeliverChannels); "" for mail
	MessageID string
	Subject   string
	Attempt   int       // this attempt's number, 1 for the first
	Next      time.Time // next attempt, for a retry
	Err       error     // the failure; for a sent message, the rejected recipients if any
	Rejected  map[string]string
	// Owed lists, for a message sent to some recipients only, those
	// refused for now (4xx): the message stays pending for them alone
	// and is tried again at Next.
	Owed []string
	// Partial is set on a failure of a message that other recipients
	// had already received: it is recorded as sent, its items claimed.
	Partial bool
}

// owedFor is how long recipients refused for now are tried again after
// the others received the message; then it is given up on, as a mail
// server gives up on a queued message after a few days.
const owedFor = 72 * time.Hour

// Report lists the messages a Deliver run sent, left for a retry, or
// marked failed.
type Report struct {
	Sent   []Outcome
	Retry  []Outcome
	Failed []Outcome
	// Waiting lists the pending deliveries through notify channels that
	// DeliverChannels did not try because they are not due yet (with
	// policy.Immediate: their last try had no answer in time, and each
	// try may post the message again): Outcome.Next is when they are,
	// Outcome.Attempt the tries made so far, Outcome.Err the last one's
	// failure.
	Waiting []Outcome
	// Busy lists the pending deliveries through notify channels that
	// another sender (a daemon, another send or once) held at that moment:
	// not tried by this run; their outcome is that sender's.
	Busy []Outcome
}

// Deliver sends the pending messages of the outbox that are due (next
// attempt at or before now; all with policy.Immediate, and the held ones
// with policy.Held), oldest first. A
// message s returned nil for, or a SendError with Delivered and no
// recipient refused for now, is marked sent; a temporary failure keeps it
// pending with the next attempt after policy's backoff; a permanent one
// marks it failed with the server's reply. A message refused for now by
// every try for 72 hours after it was composed is marked failed too, its
// items released into the next digest, unless the mail settings were the
// cause (a *SettingsError): that message waits for the fix.
//
// A message the server accepted for some recipients and refused for now
// (4xx) for others is in Report.Sent with those others in Outcome.Owed: it
// stays pending, addressed to them alone, with the same Message-ID, and
// its items stay claimed. If they are then refused for good, or still
// refused 72 hours later (the mail settings' failures excepted), it is
// marked sent with the reason (in Report.Failed, Outcome.Partial): its
// items are not released, the other recipients have them.
//
// A message that failed on the mail settings is recorded Held (see
// store.MarkHeld) until a try succeeds or fails for another reason.
//
// The error is about the outbox itself (reading it, recording an outcome)
// or ctx; per-message failures are in the Report. Delivery is at least
// once: if the process dies between the server's acceptance and MarkSent,
// the next run sends the message again, with the same Message-ID.
func Deliver(ctx context.Context, st *store.Store, s Sender, now time.Time, policy RetryPolicy) (Report, error) {
	var rep Report
	log := policy.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pending, err := st.Messages(ctx, model.MessagePending)
	if err != nil {
		return rep, fmt.Errorf("deliver: %w", err)
	}
	for _, m := range pending {
		due := policy.Immediate || policy.Held && m.Held || !m.NextAttempt.After(now)
		if !due || len(m.To) == 0 && len(m.Channels) > 0 {
			continue // not due, or no mail: DeliverChannels sends it
		}
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("deliver: %w", err)
		}
		o, kind, err := deliverOne(ctx, st, s, m, now, policy, log.With("digest", m.Digest))
		if errors.Is(err, store.ErrNotFound) {
			// Sent, ended or taken over by another sender meanwhile: its
			// outcome is that sender's to record; the others go on. (A
			// send that went out was logged by unrecorded.)
			if kind != sent {
				log.Warn("message no longer ours to record", "digest", m.Digest, "message_id", m.MessageID, "error", err)
			}
			continue
		}
		rep.add(kind, o)
		if err != nil {
			return rep, fmt.Errorf("deliver: %w", err)
		}
	}
	return rep, nil
}

type outcomeKind int

// add files o under kind; a zero kind (skipped) is not reported.
func (r *Report) add(kind outcomeKind, o Outcome) {
	switch kind {
	case sent:
		r.Sent = append(r.Sent, o)
	case retry:
		r.Retry = append(r.Retry, o)
	case failed:
		r.Failed = append(r.Failed, o)
	case busy:
		r.Busy = append(r.Busy, o)
	}
}

const (
	sent outcomeKind = iota + 1
	retry
	failed
	busy // held by another sender: not tried
)

func deliverOne(ctx context.Context, st *store.Store, s Sender, m model.Message, now time.Time,
	policy RetryPolicy, log *slog.Logger) (Outcome, outcomeKind, error) {
	o := outcomeOf(m)
	// The lease is held while the message is being sent; a sender that
	// dies stops renewing it, and another takes the message over.
	if err := st.Lease(ctx, m.ID); err != nil {
		if errors.Is(err, store.ErrLeased) {
			log.Info("message is being sent by another sender, skipped", "message_id", m.MessageID)
			return o, 0, nil
		}
		return o, retry, err
	}
	// Sent under the lease's context: a sender that stalled past the
	// lease's expiry and was taken over stops at its next renewal.
	held, stop := st.HoldMessage(ctx, m.ID)
	defer stop()
	sendErr := s.Send(held, m)
	if lost := leaseLost(held, sendErr); lost != nil {
		// Nothing recorded: the new holder sends it and records the
		// outcome.
		log.Warn("lease lost while sending, left to its new holder", "message_id", m.MessageID, "err", lost)
		return o, 0, nil
	}
	d := decide(m, sendErr, now, policy)
	// Recorded with a context that outlives a cancellation: the try has
	// happened, and recording it is what avoids a duplicate.
	return d.o, d.kind, d.record(context.WithoutCancel(ctx), st, m.ID, now, log)
}

// leaseLost is why a send that failed (sendErr) under the held context
// did because its lease was lost: the sender found it expired before a
// step it cannot take back (store.CheckHeld), or a renewal found it taken
// over and cancelled the send. nil for a send that succeeded or failed
// for another reason.
func leaseLost(held context.Context, sendErr error) error {
	switch {
	case sendErr == nil:
		return nil
	case errors.Is(sendErr, store.ErrLeaseLost):
		return sendErr
	case errors.Is(context.Cause(held), store.ErrLeaseLost):
		return context.Cause(held)
	}
	return nil
}

// outcomeOf is the Outcome of a try of m, before its result is known.
func outcomeOf(m model.Message) Outcome {
	return Outcome{ID: m.ID, Digest: m.Digest, MessageID: m.MessageID, Subject: m.Subject, Attempt: m.Attempts + 1}
}

// action is what a try of a message records in the outbox.
type action int

const (
	// actSent: accepted for every recipient not refused for good (MarkSent).
	actSent action = iota + 1
	// actPartial: accepted for some recipients, refused for now for
	// o.Owed: pending for them alone (MarkPartial).
	actPartial
	// actRetry: refused for now, tried again at o.Next (MarkRetry).
	actRetry
	// actHeld: refused for now on the mail settings, held for the fix
	// and tried again at o.Next (MarkHeld).
	actHeld
	// actGaveUpOwed: the recipients still owed were refused for now
	// owedFor after the others had it: ends sent, with the reason
	// (MarkDelivered).
	actGaveUpOwed
	// actGaveUp: refused for now by every try for owedFor: failed
	// (MarkFailed), its items released.
	actGaveUp
	// actRefusedOwed: the recipients still owed were refused for good:
	// ends sent, with the reason (MarkDelivered).
	actRefusedOwed
	// actFailed: refused for good (MarkFailed), its items released.
	actFailed
)

// decision is what one try of a message records: the action, the
// Report's entry (kind and Outcome) and the reason stored with it.
type decision struct {
	action action
	kind   outcomeKind
	o      Outcome
	why    string
	code   int // the server's reply code, for the log
}

// decide classifies the result of sending m at now (sendErr, nil when it
// was accepted) into what to record. It reads and changes nothing else.
func decide(m model.Message, sendErr error, now time.Time, policy RetryPolicy) decision {
	d := decision{o: outcomeOf(m)}
	d.o.Err = sendErr
	se := classify(sendErr)
	if se != nil {
		d.o.Rejected, d.code = se.Rejected, se.Code
	}
	switch {
	case sendErr == nil || se.Delivered:
		if d.o.Owed = owed(m.To, d.o.Rejected); len(d.o.Owed) > 0 {
			d.o.Next = now.Add(policy.Backoff(d.o.Attempt))
			d.action, d.kind, d.why = actPartial, sent, partialReason(d.o)
			return d
		}
		d.action, d.kind = actSent, sent
	case se.Temporary && !m.Sent.IsZero() && now.Sub(m.Sent) >= owedFor && !IsSettings(sendErr):
		// Still refused for now, days after the others had it: give up
		// on these recipients as a mail server gives up on a queued
		// message.
		d.o.Partial = true
		d.action, d.kind = actGaveUpOwed, failed
		d.why = fmt.Sprintf("gave up after %v on %s: %v", owedFor, strings.Join(m.To, ", "), sendErr)
	case se.Temporary && m.Sent.IsZero() && now.Sub(m.Created) >= owedFor && !IsSettings(sendErr):
		// Refused for now by every try for days: give up as a mail
		// server gives up on a queued message. Marked failed, its
		// stories go into the next digest and the failure is reported.
		d.action, d.kind = actGaveUp, failed
		d.why = fmt.Sprintf("gave up after %v: %v", owedFor, sendErr)
	case se.Temporary:
		d.o.Next = now.Add(max(policy.Backoff(d.o.Attempt), se.RetryAfter))
		if d.o.Owed = owed(m.To, se.Rejected); !m.Sent.IsZero() && len(d.o.Owed) > 0 && len(d.o.Owed) < len(m.To) {
			// Some of the recipients still owed were refused for good:
			// keep the others only.
			d.action, d.kind, d.why = actPartial, retry, partialReason(d.o)
			return d
		}
		d.o.Owed = nil
		d.action, d.kind, d.why = actRetry, retry, sendErr.Error()
		if IsSettings(sendErr) {
			d.action = actHeld // the user's to fix: status -q fails meanwhile
		}
	case !m.Sent.IsZero():
		// The other recipients had it (MarkPartial): it ends sent, and
		// its items stay claimed.
		d.o.Partial = true
		d.action, d.kind, d.why = actRefusedOwed, failed, sendErr.Error()
	default:
		d.action, d.kind, d.why = actFailed, failed, sendErr.Error()
	}
	return d
}

// partialReason is the reason recorded with a message kept pending for
// the recipients in o.Owed alone.
func partialReason(o Outcome) string {
	return fmt.Sprintf("delivered to the other recipients; will retry %s: %v", strings.Join(o.Owed, ", "), o.Err)
}

// record writes d to the outbox entry id and logs it.
func (d decision) record(ctx context.Context, st *store.Store, id int64, now time.Time, log *slog.Logger) error {
	o := d.o
	switch d.action {
	case actSent:
		if err := st.MarkSent(ctx, id, now); err != nil {
			unrecorded(ctx, st, log, id, "", o.MessageID, err, "message sent but not recorded, it will be sent again")
			return err
		}
		if len(o.Rejected) > 0 {
			log.Warn("message sent, some recipients rejected", "message_id", o.MessageID,
				"rejected", rejectedList(o.Rejected), "attempt", o.Attempt)
		} else {
			log.Info("message sent", "message_id", o.MessageID, "attempt", o.Attempt)
		}
	case actPartial:
		if err := st.MarkPartial(ctx, id, now, o.Owed, d.why, o.Next); err != nil {
			unrecorded(ctx, st, log, id, "", o.MessageID, err, "message sent to some recipients but not recorded, it will be sent again to all")
			return err
		}
		log.Warn("some recipients refused for now: will retry them alone", "delivered_to_others", true, "message_id", o.MessageID,
			"rejected", rejectedList(o.Rejected), "attempt", o.Attempt, "next_attempt", o.Next)
	case actRetry, actHeld:
		mark := st.MarkRetry
		if d.action == actHeld {
			mark = st.MarkHeld
		}
		if err := mark(ctx, id, d.why, o.Next); err != nil {
			return err
		}
		log.Warn("message not sent, will retry", "message_id", o.MessageID, "attempt", o.Attempt,
			"next_attempt", o.Next, "err", o.Err)
	case actGaveUpOwed:
		if err := st.MarkDelivered(ctx, id, d.why); err != nil {
			return err
		}
		log.Error("gave up on the remaining recipients; the others had the message", "message_id", o.MessageID,
			"attempt", o.Attempt, "err", o.Err)
	case actGaveUp:
		if err := st.MarkFailed(ctx, id, d.why); err != nil {
			return err
		}
		log.Error("message not accepted for 72 hours, marked failed", "message_id", o.MessageID,
			"attempt", o.Attempt, "err", o.Err)
	case actRefusedOwed:
		if err := st.MarkDelivered(ctx, id, d.why); err != nil {
			return err
		}
		log.Error("remaining recipients refused for good; the others had the message", "message_id", o.MessageID,
			"attempt", o.Attempt, "code", d.code, "err", o.Err)
	case actFailed:
		if err := st.MarkFailed(ctx, id, d.why); err != nil {
			return err
		}
		log.Error("message refused, marked failed", "message_id", o.MessageID, "attempt", o.Attempt,
			"code", d.code, "err", o.Err)
	}
	return nil
}

// unrecorded logs a send that went out but could not be recorded (err,
// from marking message id's mail, channel "", or its delivery through
// channel as sent). When another sender had recorded it sent already,
// this one's lease was taken over while it was sending: nothing is sent
// again, though the receiver may have it twice, with one Message-ID; a
// warning says so. Otherwise the error is logged as msg: the next sender
// sends it again.
func unrecorded(ctx context.Context, st *store.Store, log *slog.Logger, id int64, channel, messageID string, err error, msg string) {
	if errors.Is(err, store.ErrNotFound) {
		if done, rerr := st.RecordedSent(ctx, id, channel); rerr == nil && done {
			log.Warn("sent, but another sender had recorded it sent already: this one's lease was taken over while it was sending",
				"message_id", messageID)
			return
		}
	}
	log.Error(msg, "message_id", messageID, "err", err)
}

// owed returns the entries of to whose address was refused with a 4xx
// reply, in to's order and form.
func owed(to []string, rejected map[string]string) []string {
	var out []string
	for _, r := range to {
		addr := r
		if a, err := parseAddress(r); err == nil {
			addr = a.Address
		}
		for k, why := range rejected {
			if strings.EqualFold(k, addr) && strings.HasPrefix(why, "4") {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// classify returns err as a *SendError; an error of another type is
// temporary, so that nothing is given up on for an unknown reason.
func classify(err error) *SendError {
	if err == nil {
		return nil
	}
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Temporary: true, Err: err}
}

func rejectedList(r map[string]string) string {
	var b strings.Builder
	for _, a := range slices.Sorted(maps.Keys(r)) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a + ": " + r[a])
	}
	return b.String()
}
