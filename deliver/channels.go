package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"newswatch/model"
	"newswatch/store"
)

// Channels returns the Sender of a digest's notify channel, given by its
// key in the outbox, and the channel as it is to be recorded now (its key
// and masked name: a delivery recorded under an older name is renamed to
// it), or an error when the configuration no longer has that channel.
type Channels func(digest, key string) (Sender, model.Channel, error)

// DeliverChannels sends the pending deliveries through notify channels
// that are due, as [Deliver] does for mail and by the same rules: a nil
// error is success (recorded, never sent again), a temporary failure is
// retried with policy's backoff (no sooner than a Retry-After asked) and
// given up 72 hours after the digest was composed, a permanent one is
// recorded as failed. Each channel of a message is tried and recorded on
// its own, so one failing holds back no other: each digest's channel is a
// queue of its own, its deliveries sent oldest first, and up to
// channelsAtOnce queues are sent at once, so a webhook receiver that hangs
// delays only its own. Chat sends go out one at a time in a process (the
// chat library sends some services' requests through net/http's shared
// default transport, and each answer must be told to the send it belongs
// to): a chat service that hangs holds back the other chat queues for up
// to its timeout (Chat.Timeout) per delivery tried. The outcomes carry the channel in Outcome.Channel, in the
// order of the outbox; the pending deliveries not due yet are in
// Report.Waiting. The error is the first about the outbox itself (or
// ctx); the other queues go on. Delivery is at least once: if the process
// dies between the receiver's answer and its record, the next run sends
// again, with the same Message-ID (the webhook's Idempotency-Key).
func DeliverChannels(ctx context.Context, st *store.Store, channels Channels, now time.Time, policy RetryPolicy) (Report, error) {
	var rep Report
	log := policy.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ds, err := st.Deliveries(ctx, model.MessagePending, model.MessageFailed)
	if err != nil {
		return rep, fmt.Errorf("deliver: %w", err)
	}
	if err := rename(ctx, st, ds, channels, log); err != nil {
		return rep, fmt.Errorf("deliver: %w", err)
	}
	queues := map[[2]string][]int{} // digest and channel → indexes in ds
	var order [][2]string
	for i, d := range ds {
		if d.Status != model.MessagePending {
			continue
		}
		// A try whose outcome was unknown waits its turn even for
		// `send` and `once`: each try may post the message again.
		if (!policy.Immediate || d.Unanswered > 0) && d.NextAttempt.After(now) {
			rep.Waiting = append(rep.Waiting, waiting(d))
			continue
		}
		q := [2]string{d.Message.Digest, d.Key}
		if _, ok := queues[q]; !ok {
			order = append(order, q)
		}
		queues[q] = append(queues[q], i)
	}
	type result struct {
		o    Outcome
		kind outcomeKind
	}
	results := make([]result, len(ds))
	var g errgroup.Group
	g.SetLimit(channelsAtOnce)
	for _, q := range order {
		g.Go(func() error {
			for _, i := range queues[q] {
				d := ds[i]
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("deliver: %w", err)
				}
				o, kind, err := deliverChannel(ctx, st, channels, d, now, policy,
					log.With("digest", d.Message.Digest, "channel", d.Channel))
				if errors.Is(err, store.ErrNotFound) {
					// Ended or taken over by another sender meanwhile: its
					// outcome is that sender's to record; the others go
					// on. (A send that went out was logged by unrecorded.)
					if kind != sent {
						log.Warn("delivery no longer ours to record", "digest", d.Message.Digest, "channel", d.Channel, "error", err)
					}
					continue
				}
				results[i] = result{o, kind}
				if err != nil {
					return fmt.Errorf("deliver: %w", err)
				}
			}
			return nil
		})
	}
	err = g.Wait()
	for _, r := range results {
		rep.add(r.kind, r.o)
	}
	return rep, err
}

// waiting is the Outcome of pending delivery d, not tried because it is
// not due before d.NextAttempt: Err is its last try's failure.
func waiting(d model.Delivery) Outcome {
	m := d.Message
	o := Outcome{ID: m.ID, Digest: m.Digest, MessageID: m.MessageID, Subject: m.Subject, Channel: d.Channel,
		Attempt: d.Attempts, Next: d.NextAttempt}
	if d.LastError != "" {
		o.Err = errors.New(d.LastError)
	}
	return o
}

// channelsAtOnce is how many channel queues DeliverChannels sends at once.
const channelsAtOnce = 8

// maxUnanswered is how many tries of a channel may go unanswered (sent,
// no answer in time) before the delivery is taken as done, and
// unansweredWait the wait after the first of them, doubling.
const (
	maxUnanswered  = 3
	unansweredWait = time.Hour
)

func deliverChannel(ctx context.Context, st *store.Store, channels Channels, d model.Delivery, now time.Time,
	policy RetryPolicy, log *slog.Logger) (Outcome, outcomeKind, error) {
	m := d.Message
	o := Outcome{ID: m.ID, Digest: m.Digest, MessageID: m.MessageID, Subject: m.Subject, Channel: d.Channel, Attempt: d.Attempts + 1}
	if err := st.LeaseDelivery(ctx, m.ID, d.Key); err != nil {
		if errors.Is(err, store.ErrLeased) {
			log.Info("delivery is being sent by another sender, skipped", "message_id", m.MessageID)
			return o, busy, nil
		}
		return o, retry, err
	}
	held, stop := st.HoldDelivery(ctx, m.ID, d.Key)
	defer stop()
	sendErr := func() error {
		s, _, err := channels(m.Digest, d.Key)
		if err != nil {
			return &SendError{Err: err}
		}
		return s.Send(held, m)
	}()
	if lost := leaseLost(held, sendErr); lost != nil {
		log.Warn("lease lost while sending, left to its new holder", "message_id", m.MessageID, "err", lost)
		return o, 0, nil
	}
	se := classify(sendErr)
	// Outcomes are recorded with a context that outlives a cancellation:
	// the receiver has answered, recording that is what avoids a
	// duplicate.
	rec := context.WithoutCancel(ctx)
	switch {
	case sendErr == nil:
		if err := st.MarkDeliverySent(rec, m.ID, d.Key, now); err != nil {
			unrecorded(rec, st, log, m.ID, d.Key, m.MessageID, err, "delivered but not recorded, it will be sent again")
			return o, sent, err
		}
		log.Info("delivered", "message_id", m.MessageID, "attempt", o.Attempt)
		return o, sent, nil
	case se.Unknown:
		// The receiver may have the message: a few tries, spaced, then
		// it is taken as delivered rather than posted on and on.
		o.Err = sendErr
		n := d.Unanswered + 1
		o.Next = now.Add(max(unansweredWait<<(n-1), policy.Backoff(o.Attempt)))
		taken := n >= maxUnanswered
		why := sendErr.Error()
		if taken {
			why = fmt.Sprintf("no answer in time to %d tries, taken as delivered: %v", n, sendErr)
		}
		if err := st.MarkDeliveryUnanswered(rec, m.ID, d.Key, why, o.Next, taken); err != nil {
			return o, retry, err
		}
		if taken {
			o.Next = time.Time{}
			log.Warn("no answer in time, again: taken as delivered", "message_id", m.MessageID, "attempt", o.Attempt, "err", sendErr)
			return o, sent, nil
		}
		log.Warn("no answer in time; the receiver may have the message, tried again later", "message_id", m.MessageID,
			"attempt", o.Attempt, "next_attempt", o.Next, "err", sendErr)
		return o, retry, nil
	case se.Temporary && now.Sub(m.Created) >= owedFor:
		o.Err = sendErr
		why := fmt.Sprintf("gave up after %v: %v", owedFor, sendErr)
		if err := st.MarkDeliveryFailed(rec, m.ID, d.Key, why); err != nil {
			return o, failed, err
		}
		log.Error("not accepted for 72 hours, marked failed", "message_id", m.MessageID, "attempt", o.Attempt, "err", sendErr)
		return o, failed, nil
	case se.Temporary:
		o.Err = sendErr
		o.Next = now.Add(max(policy.Backoff(o.Attempt), se.RetryAfter))
		if err := st.MarkDeliveryRetry(rec, m.ID, d.Key, sendErr.Error(), o.Next); err != nil {
			return o, retry, err
		}
		log.Warn("not delivered, will retry", "message_id", m.MessageID, "attempt", o.Attempt, "next_attempt", o.Next, "err", sendErr)
		return o, retry, nil
	default:
		o.Err = sendErr
		if err := st.MarkDeliveryFailed(rec, m.ID, d.Key, sendErr.Error()); err != nil {
			return o, failed, err
		}
		log.Error("refused, marked failed", "message_id", m.MessageID, "attempt", o.Attempt, "code", se.Code, "err", sendErr)
		return o, failed, nil
	}
}

// rename records those of ds (pending and failed deliveries) kept under an
// older name of their channel (its masked URL, from before channels had
// keys) under the channel's key and today's masked name, so that a secret
// an older masking let through is shown no more; ds follow.
func rename(ctx context.Context, st *store.Store, ds []model.Delivery, channels Channels, log *slog.Logger) error {
	for i, d := range ds {
		_, ch, err := channels(d.Message.Digest, d.Key)
		if err != nil || ch.Key == "" || ch.Key == d.Key {
			continue
		}
		if err := st.RenameDelivery(ctx, d.Message.ID, d.Key, ch); err != nil {
			return err
		}
		ds[i].Key, ds[i].Channel = ch.Key, ch.Name
		log.Info("delivery recorded under its channel's key", "digest", d.Message.Digest, "channel", ch.Name)
	}
	return nil
}
