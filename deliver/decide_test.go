package deliver

import (
	"errors"
	"slices"
	"testing"
	"time"

	"newswatch/model"
)

// TestDecide covers each way a try of a message is recorded.
func TestDecide(t *testing.T) {
	now := t0.Add(100 * time.Hour)
	policy := RetryPolicy{Min: time.Minute, Max: time.Hour}
	down := errors.New("dial tcp: connection refused")
	busy := &SendError{Temporary: true, Code: 421, Err: errors.New("421 busy")}
	login := &SendError{Temporary: true, Code: 535, Err: &SettingsError{Err: errors.New("535 bad login")}}
	refused := &SendError{Code: 550, Err: errors.New("550 no such user")}
	fresh := model.Message{ID: 7, To: []string{"a@example.org", "b@example.org"}, Attempts: 2, Created: now.Add(-time.Hour)}
	old := fresh
	old.Created = now.Add(-owedFor - time.Hour)
	owedFresh := fresh // sent to the others an hour ago
	owedFresh.Sent = now.Add(-time.Hour)
	owedOld := owedFresh
	owedOld.Sent = now.Add(-owedFor)
	backoff := now.Add(policy.Backoff(3))
	for _, c := range []struct {
		name    string
		m       model.Message
		err     error
		action  action
		kind    outcomeKind
		next    time.Time
		owed    []string
		partial bool
		why     string
	}{
		{name: "accepted", m: fresh, action: actSent, kind: sent},
		{name: "accepted, one refused for good", m: fresh,
			err:    &SendError{Delivered: true, Code: 550, Rejected: map[string]string{"b@example.org": "550 no such user"}, Err: errors.New("rejected")},
			action: actSent, kind: sent},
		{name: "accepted, one refused for now", m: fresh,
			err:    &SendError{Delivered: true, Temporary: true, Rejected: map[string]string{"b@example.org": "450 try later"}, Err: errors.New("rejected")},
			action: actPartial, kind: sent, next: backoff, owed: []string{"b@example.org"},
			why: "delivered to the other recipients; will retry b@example.org: rejected"},
		{name: "owed still refused for now after owedFor", m: owedOld, err: busy,
			action: actGaveUpOwed, kind: failed, partial: true,
			why: "gave up after 72h0m0s on a@example.org, b@example.org: 421 busy"},
		{name: "refused for now by every try for owedFor", m: old, err: busy,
			action: actGaveUp, kind: failed, why: "gave up after 72h0m0s: 421 busy"},
		{name: "settings failure is never given up", m: old, err: login,
			action: actHeld, kind: retry, next: backoff, why: "535 bad login"},
		{name: "refused for now", m: fresh, err: busy,
			action: actRetry, kind: retry, next: backoff, why: "421 busy"},
		{name: "refused for now, retry-after beyond the backoff", m: fresh,
			err:    &SendError{Temporary: true, Code: 429, RetryAfter: 2 * time.Hour, Err: errors.New("429 slow down")},
			action: actRetry, kind: retry, next: now.Add(2 * time.Hour), why: "429 slow down"},
		{name: "unclassified error is temporary", m: fresh, err: down,
			action: actRetry, kind: retry, next: backoff, why: down.Error()},
		{name: "owed: one refused for now, one for good", m: owedFresh,
			err:    &SendError{Temporary: true, Rejected: map[string]string{"a@example.org": "451 later", "b@example.org": "550 gone"}, Err: errors.New("mixed")},
			action: actPartial, kind: retry, next: backoff, owed: []string{"a@example.org"},
			why: "delivered to the other recipients; will retry a@example.org: mixed"},
		{name: "owed refused for good", m: owedFresh, err: refused,
			action: actRefusedOwed, kind: failed, partial: true, why: "550 no such user"},
		{name: "refused for good", m: fresh, err: refused,
			action: actFailed, kind: failed, why: "550 no such user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := decide(c.m, c.err, now, policy)
			if d.action != c.action || d.kind != c.kind {
				t.Errorf("action %d kind %d, want %d and %d", d.action, d.kind, c.action, c.kind)
			}
			if !d.o.Next.Equal(c.next) {
				t.Errorf("next %v, want %v", d.o.Next, c.next)
			}
			if !slices.Equal(d.o.Owed, c.owed) || d.o.Partial != c.partial {
				t.Errorf("owed %q partial %v, want %q and %v", d.o.Owed, d.o.Partial, c.owed, c.partial)
			}
			if d.why != c.why {
				t.Errorf("reason %q, want %q", d.why, c.why)
			}
			if d.o.ID != c.m.ID || d.o.Attempt != c.m.Attempts+1 || !errors.Is(d.o.Err, c.err) {
				t.Errorf("outcome %+v: not of message %d's attempt %d with %v", d.o, c.m.ID, c.m.Attempts+1, c.err)
			}
		})
	}
}
