package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"newswatch/model"
	"os"
	"slices"
	"sync"
	"time"
)

// Work that daemons share is held through leases: an owner (the Store that
// took it: host, process and a random part) and an expiry the owner pushes
// back while it works (Hold). A lease whose owner died expires within
// LeaseTTL, and the work is then taken over. On SQLite, where every process
// runs on one machine, a message lease whose process is gone is also free
// at once.
//
// Expiries are written and judged by one clock: on PostgreSQL the database
// server's (the daemons may run on machines whose clocks disagree), on
// SQLite this machine's. A holder works under the context its Hold returns:
// a renewal that finds the lease taken over (it stalled past the expiry: a
// long GC pause, a suspended VM) cancels it with ErrLeaseLost, so the
// sending or fetching stops there instead of running beside the new owner.
//
// That cancellation comes from another goroutine, and a holder waking from
// a stall may run on before it: a send would then go out beside the new
// owner's. So the held context also carries the holder's own deadline: the
// start of its last successful renewal plus LeaseTTL less renewEvery, by
// the Store's clock. Until the first renewal that start is the Store's
// clock read before the transaction that took the lease (Lease,
// LeaseDelivery, Claim), not the Hold: a holder that stalls between the
// two must not find its lease fresh. The expiry the database keeps is at
// least renewEvery later, whatever the round trips took. Before a step it
// cannot take back (the end of an SMTP DATA, a webhook or chat post, a
// digest composed under a claim written to the outbox: CreateMessage), a
// holder calls CheckHeld, which fails once that deadline passed, whether
// or not a renewal has run since.

// LeaseTTL is how long a lease lasts unless its owner renews it: the time
// within which the work of a daemon that died is taken over.
const LeaseTTL = 15 * time.Second

// aliveGrace is how long past its expiry an SQLite message lease stays
// held while its process lives: a sender slowed down so much that its
// renewals lag (a long write holding the file) keeps the message, and one
// that left a lease behind without dying frees it at last.
const aliveGrace = 15 * time.Minute

// renewEvery is how often Hold renews a lease: several renewals fit in
// LeaseTTL, so one slow write does not lose it.
const renewEvery = LeaseTTL / 3

// ErrLeased is returned by Lease when another sender, in this process or a
// live other one, holds the message, or when it is no longer pending.
var ErrLeased = errors.New("store: message is being sent by another sender")

// ErrLeaseLost is the cause (context.Cause) of the cancellation of a held
// context: a renewal found the lease taken over by another owner, or could
// not renew it in time. CheckHeld's error wraps it too.
var ErrLeaseLost = errors.New("store: lease lost")

// queryRower is a transaction or the database.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// leaseNow is the time leases are written and judged by: on PostgreSQL the
// database server's clock, which every daemon sharing it reads alike; on
// SQLite, where every process runs on this machine, the Store's clock.
func (s *Store) leaseNow(ctx context.Context, q queryRower) (time.Time, error) {
	if !s.d.shared() {
		return s.now(), nil
	}
	var us int64
	if err := q.QueryRowContext(ctx, `SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS BIGINT)`).Scan(&us); err != nil {
		return time.Time{}, fmt.Errorf("database clock: %w", err)
	}
	return time.UnixMicro(us).UTC(), nil
}

// newOwner names a lease holder uniquely across machines and restarts.
func newOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner is the name this Store's leases are held under.
func (s *Store) Owner() string { return s.owner }

// Lease takes the right to send pending message id for LeaseTTL; Hold
// keeps it while the message is being sent. A lease ends with MarkSent,
// MarkRetry or MarkFailed, when it expires, or (SQLite) when the process
// that took it is gone: killed mid-send, the next sender sends the message
// again, with the same model.Message-ID.
func (s *Store) Lease(ctx context.Context, id int64) error {
	start := s.now()
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var (
			status string
			pid    int
			end    sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, s.q(`SELECT status, lease_pid, lease_until FROM messages WHERE id = ?`), id).Scan(&status, &pid, &end)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: lease %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: lease %d: %w", id, err)
		}
		if status != model.MessagePending {
			return fmt.Errorf("store: lease %d: %s: %w", id, status, ErrLeased)
		}
		now, err := s.leaseNow(ctx, tx)
		if err != nil {
			return fmt.Errorf("store: lease %d: %w", id, err)
		}
		if end.Valid && s.held(now, end.Int64, pid) {
			return fmt.Errorf("store: lease %d: held by another sender: %w", id, ErrLeased)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE messages SET lease_pid = ?, lease_owner = ?, lease_until = ? WHERE id = ?`),
			os.Getpid(), s.owner, now.Add(LeaseTTL).UnixNano(), id); err != nil {
			return fmt.Errorf("store: lease %d: %w", id, err)
		}
		return nil
	})
	if err == nil {
		s.taken.put(s.now(), start, messageLease(id))
	}
	return err
}

func messageLease(id int64) string { return fmt.Sprintf("message %d", id) }

// held reports whether a message lease ending at end, taken by process pid,
// holds at now. On PostgreSQL the owner may be on another machine: its
// expiry decides. On SQLite every sender is on this machine: a lease of a
// process that is gone is free at once, one of a live process holds until
// aliveGrace past its expiry.
func (s *Store) held(now time.Time, end int64, pid int) bool {
	if s.d.shared() {
		return now.UnixNano() < end
	}
	return processAlive(pid) && now.UnixNano() < time.Unix(0, end).Add(aliveGrace).UnixNano()
}

// renewMessage pushes back the expiry of this Store's lease on message id;
// false when the lease is no longer this Store's.
func (s *Store) renewMessage(ctx context.Context, id int64) (bool, error) {
	return s.renew(ctx, 1, `UPDATE messages SET lease_until = ?
		WHERE id = ? AND lease_owner = ? AND status = 'pending' AND lease_until IS NOT NULL`, id, s.owner)
}

// renew runs an UPDATE whose first parameter is the new expiry, the rest
// args; false when it changed fewer than want rows (a lease was taken over
// or ended).
func (s *Store) renew(ctx context.Context, want int64, query string, args ...any) (bool, error) {
	now, err := s.leaseNow(ctx, s.w)
	if err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, s.q(query), append([]any{now.Add(LeaseTTL).UnixNano()}, args...)...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n >= want, nil
}

// HoldMessage renews this Store's lease on message id until stop is
// called. The context it returns, derived from ctx, is cancelled with
// ErrLeaseLost when a renewal finds the lease gone; send under it.
func (s *Store) HoldMessage(ctx context.Context, id int64) (held context.Context, stop func()) {
	return s.hold(ctx, messageLease(id), s.taken.take(messageLease(id)), func(ctx context.Context) (bool, error) { return s.renewMessage(ctx, id) })
}

// RecordedSent reports whether message id's mail (channel "") or its
// delivery through channel is recorded sent: what a sender whose record
// of a send found it no longer its own (ErrNotFound) asks, to tell a new
// holder that sent it and recorded it from one still sending it.
func (s *Store) RecordedSent(ctx context.Context, id int64, channel string) (bool, error) {
	q, args := `SELECT status FROM messages WHERE id = ?`, []any{id}
	if channel != "" {
		q, args = `SELECT status FROM deliveries WHERE message_id = ? AND channel = ?`, []any{id, channel}
	}
	var status string
	err := s.r.QueryRowContext(ctx, s.q(q), args...).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: status of %d: %w", id, err)
	}
	return status == model.MessageSent, nil
}

// Claim takes, for slot, the leases of the named units of work that are
// free: never taken, taken for an earlier slot, or taken for this one and
// not done but expired (the owner died). It returns the names it took, at
// most limit of them (0: no limit) in the order given, and how many of the
// others are held for this slot by an owner that has not finished them:
// the caller waits and claims again, and so takes them over should that
// owner die. A name held for a later slot counts as done.
//
// On PostgreSQL a claim does not take the writers' lock, which would wait
// for the saves in progress and hold back those that follow: it locks the
// lease rows it looks at, skipping those another claim or renewal has
// locked (they count as held by others), so two claims never take one
// name. Lease rows missing are first made, in name order (free: for no
// slot), so that there is a row to lock.
func (s *Store) Claim(ctx context.Context, names []string, slot time.Time, limit int) (claimed []string, busy int, err error) {
	if len(names) == 0 {
		return nil, 0, nil
	}
	arr, err := s.d.list(names)
	if err != nil {
		return nil, 0, fmt.Errorf("store: claim: %w", err)
	}
	at := slot.UnixNano()
	start := s.now()
	lock, rowLock := s.d.lockWriters, ""
	if s.d.shared() {
		lock, rowLock = noLock, ` FOR UPDATE SKIP LOCKED`
	}
	err = s.inTx(ctx, lock, func(tx *sql.Tx) error {
		claimed, busy = nil, 0
		now, err := s.leaseNow(ctx, tx)
		if err != nil {
			return err
		}
		if s.d.shared() {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO leases (name, slot, owner, until, done)
				SELECT j.value, 0, '', 0, 0 FROM `+s.d.each("text")+` ORDER BY j.value
				ON CONFLICT (name) DO NOTHING`), arr); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT l.name, l.slot, l.until, l.done FROM leases AS l
			WHERE `+s.d.in("l.name", "text")+rowLock), arr)
		if err != nil {
			return err
		}
		type lease struct {
			slot, until int64
			done        bool
		}
		held := make(map[string]lease)
		for rows.Next() {
			var (
				name string
				l    lease
			)
			if err := rows.Scan(&name, &l.slot, &l.until, &l.done); err != nil {
				rows.Close()
				return err
			}
			held[name] = l
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, name := range names {
			l, ok := held[name]
			switch {
			case !ok && s.d.shared():
				busy++ // its row is locked: another claim is taking it
				continue
			case ok && l.slot > at, ok && l.slot == at && l.done:
				continue
			case ok && l.slot == at && l.until > now.UnixNano():
				busy++
				continue
			}
			if limit > 0 && len(claimed) == limit {
				continue
			}
			claimed = append(claimed, name)
		}
		if len(claimed) == 0 {
			return nil
		}
		took, err := s.d.list(claimed)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO leases (name, slot, owner, until, done)
			SELECT j.value, CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), 0 FROM `+s.d.each("text")+` WHERE true
			ON CONFLICT (name) DO UPDATE SET slot = excluded.slot, owner = excluded.owner,
				until = excluded.until, done = 0`), at, s.owner, now.Add(LeaseTTL).UnixNano(), took)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: claim: %w", err)
	}
	s.taken.put(s.now(), start, claimLeases(claimed)...)
	return claimed, busy, nil
}

func claimLeases(names []string) []string {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = "claim " + n
	}
	return keys
}

// noLock is the lock of a transaction that takes none.
func noLock(context.Context, *sql.Tx) error { return nil }

// HoldClaims renews this Store's claims on names until stop is called.
// The context it returns, derived from ctx, is cancelled with ErrLeaseLost
// when a renewal finds one of the claims taken over; work under it.
func (s *Store) HoldClaims(ctx context.Context, names []string) (held context.Context, stop func()) {
	unique := slices.Compact(slices.Sorted(slices.Values(names)))
	arr, _ := s.d.list(unique)
	return s.hold(ctx, "claims", s.taken.take(claimLeases(unique)...), func(ctx context.Context) (bool, error) {
		return s.renew(ctx, int64(len(unique)), `UPDATE leases SET until = ?
			WHERE owner = ? AND done = 0 AND `+s.d.in("name", "text"), s.owner, arr)
	})
}

// Finish marks this Store's claims on names for slot done: no one takes
// them again for that slot.
func (s *Store) Finish(ctx context.Context, names []string, slot time.Time) error {
	if err := s.endClaims(ctx, "done = 1", names, slot); err != nil {
		return fmt.Errorf("store: finish: %w", err)
	}
	return nil
}

// Release gives up this Store's claims on names for slot that are not
// done: another owner may claim them at once instead of after their
// expiry.
func (s *Store) Release(ctx context.Context, names []string, slot time.Time) error {
	if err := s.endClaims(ctx, "until = 0", names, slot); err != nil {
		return fmt.Errorf("store: release: %w", err)
	}
	return nil
}

// endClaims applies set to this Store's claims on names for slot that are
// not done.
func (s *Store) endClaims(ctx context.Context, set string, names []string, slot time.Time) error {
	if len(names) == 0 {
		return nil
	}
	arr, err := s.d.list(names)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, s.q(`UPDATE leases SET `+set+`
		WHERE owner = ? AND slot = ? AND done = 0 AND `+s.d.in("name", "text")),
		s.owner, slot.UnixNano(), arr)
	return err
}

// hold runs renew at every tick of s.ticks (renewEvery) until stop is
// called; stop waits for a renewal in progress. Each renewal may take one
// tick at most (a database that stops answering must not hold the lease
// open). A renewal that errs is tried again at the next tick (the lease
// lasts several); one that finds the lease gone, or an error once the
// holder's deadline passed (the lease may be free at the next tick),
// cancels the returned context with ErrLeaseLost and renews no more. The
// returned context carries the deadline for CheckHeld, counted from start
// (when the lease was taken; zero: not by this Store, lost at once) until
// the first renewal.
func (s *Store) hold(ctx context.Context, what string, start time.Time, renew func(context.Context) (bool, error)) (context.Context, func()) {
	h := &holder{what: what, now: s.now}
	if !start.IsZero() {
		h.renewed(start)
	}
	held, lose := context.WithCancelCause(context.WithValue(ctx, holderKey{}, h))
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ticks, stopTicks := s.renewTicks()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer stopTicks()
		for {
			select {
			case <-rctx.Done():
				return
			case <-ticks:
			}
			// The expiry a renewal writes counts from when it started.
			start := h.now()
			tctx, cancelTry := context.WithTimeout(rctx, renewEvery)
			ok, err := renew(tctx)
			cancelTry()
			switch {
			case err == nil && ok:
				h.renewed(start)
				continue
			case err == nil:
				lose(fmt.Errorf("%s: taken over by another owner: %w", what, ErrLeaseLost))
				return
			case rctx.Err() == nil:
				if lost := h.check(); lost != nil {
					lose(fmt.Errorf("%w (renewal: %w)", lost, err))
					return
				}
			}
		}
	}()
	return held, func() {
		cancel()
		<-done
		lose(context.Canceled)
	}
}

// holder is a Hold's view of its lease: the deadline past which it no
// longer takes the lease for its own (see the comment at the top).
type holder struct {
	what string
	now  func() time.Time

	mu       sync.Mutex
	last     time.Time // the start of the last successful renewal
	deadline time.Time
}

type holderKey struct{}

// leaseStarts keeps, for each lease a Store took and has not held yet,
// the Store's clock read before the transaction that took it: the start
// of its Hold's first renewal period.
type leaseStarts struct {
	mu sync.Mutex
	at map[string]time.Time
}

// put notes that the leases keys were taken by a transaction started at
// start, and forgets those taken too long before now to be held (a Hold
// of them, finding none, loses them at once, as it would by their age).
func (l *leaseStarts) put(now, start time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = make(map[string]time.Time)
	}
	for k, t := range l.at {
		if !now.Before(t.Add(LeaseTTL - renewEvery)) {
			delete(l.at, k)
		}
	}
	for _, k := range keys {
		l.at[k] = start
	}
}

// take forgets the leases keys and returns when the earliest of them was
// taken; zero when one of them was not taken by this Store (or is
// forgotten).
func (l *leaseStarts) take(keys ...string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first time.Time
	missing := false
	for _, k := range keys {
		t, ok := l.at[k]
		delete(l.at, k)
		switch {
		case !ok:
			missing = true
		case first.IsZero() || t.Before(first):
			first = t
		}
	}
	if missing {
		return time.Time{}
	}
	return first
}

// renewed notes a successful renewal (or the Hold) that started at start.
func (h *holder) renewed(start time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last, h.deadline = start, start.Add(LeaseTTL-renewEvery)
}

// check is nil while the deadline has not passed, else an error wrapping
// ErrLeaseLost. With the system clock the time elapsed is read from its
// monotonic reading: a step of the wall clock moves no deadline.
func (h *holder) check() error {
	now := h.now()
	h.mu.Lock()
	last, deadline := h.last, h.deadline
	h.mu.Unlock()
	if now.Before(deadline) {
		return nil
	}
	if last.IsZero() {
		return fmt.Errorf("%s: not taken by this store within %v, another owner may have it: %w",
			h.what, LeaseTTL-renewEvery, ErrLeaseLost)
	}
	return fmt.Errorf("%s: not renewed for %v, another owner may have it: %w",
		h.what, now.Sub(last).Round(time.Millisecond), ErrLeaseLost)
}

// CheckHeld tells a holder whether it may still act on its lease: nil
// while the lease of the Hold whose context ctx is (or derives from) is
// still its own by its clock, an error wrapping ErrLeaseLost once a
// renewal found it taken over or the holder's deadline passed (it may have
// stalled past the expiry, a renewal not run yet). A ctx of no Hold is
// nil. Senders call it right before a step they cannot take back.
func CheckHeld(ctx context.Context) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrLeaseLost) {
		return cause
	}
	h, ok := ctx.Value(holderKey{}).(*holder)
	if !ok {
		return nil
	}
	return h.check()
}

// renewTicks is the renewal clock of Holds: a tick every renewEvery, or
// the ticks a test gives.
func (s *Store) renewTicks() (<-chan time.Time, func()) {
	if s.ticks != nil {
		return s.ticks, func() {}
	}
	t := time.NewTicker(renewEvery)
	return t.C, t.Stop
}
