package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"newswatch/model"
)

// Group commit. The fetch workers call SaveRun at once; rather than one
// transaction each, the saves waiting for the writer commit together: a
// caller that finds a writer free (SQLite has one, PostgreSQL two per
// process: savers) leads, writes what is queued then (up to groupSources
// sources and groupItems items) in one transaction, and hands the queue
// that formed meanwhile to its first caller, who leads the next group.
//
// One source's failure is its own. When a source's save fails (bad data, a
// constraint), the group is rolled back and written again with that source
// recorded as failed (StatusError, validators untouched) instead of saved;
// should a second attempt fail too, each source is saved in a transaction
// of its own, as if saved alone. When the commit fails, every source of the
// group fails, each with its failure recorded on its own. The group uses no
// savepoints: SQLite's FTS5 writes its pending index segment at every one,
// which would cost the index merging a group saves, and failures are rare.
//
// First-seen order. An item's FirstSeen and its change time (updated, what
// a digest selects by) are stamped from the store's clock once the
// source's save holds its locks, in group order, and the transaction
// commits at most maxStampAge after it began: past that the group is
// rolled back and saved again with new stamps (at most retryAttempts
// times, then it fails). So an item that becomes visible at time t was
// stamped after t - maxStampAge. A digest reads the items changed after
// its previous cut-off less windowMargin (a minute), and that cut-off was
// taken before the previous digest read anything: an item committed after
// that read was stamped after the cut-off less maxStampAge, so the next
// digest selects it, as long as maxStampAge plus the commit's own time
// plus the skew between the clocks of the daemons sharing a database stay
// under windowMargin. Items that commit in parallel (PostgreSQL) may show
// stamps out of commit order by up to maxStampAge, and their IDs out of
// stamp order by as much; nothing reads either as exact.
const (
	groupSources = 32
	groupItems   = 2000 // about 3 MB of text: the group's memory and lock time stay small
	maxStampAge  = 15 * time.Second
	// retryAttempts bounds how often a group is written again because it
	// went past maxStampAge or lost a deadlock to another save
	// (PostgreSQL).
	retryAttempts = 3
)

var (
	// errStale is a group that did not reach its commit within maxStampAge.
	errStale = errors.New("store: the save took longer than its first-seen stamp allows")
	// errSource is a group rolled back because one source's save failed.
	errSource = errors.New("store: a source of the group failed")
)

// saveReq is one SaveRun in the queue.
type saveReq struct {
	run   model.Run
	items []model.Item
	added []model.Item
	err   error
	own   bool // err is the source's own failure, recorded in place of its save
	// lead receives the group its caller is to write, or nil once the
	// result is set.
	lead chan []*saveReq
}

// saveQueue holds the saves waiting for a group, and counts the groups
// being written (at most the dialect's savers()).
type saveQueue struct {
	mu      sync.Mutex
	pending []*saveReq
	leaders int
}

// join queues r and returns the group r's caller is to write at once, or
// nil when it is to wait on r.lead.
func (q *saveQueue) join(r *saveReq, max int) []*saveReq {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, r)
	if q.leaders >= max {
		return nil
	}
	q.leaders++
	return q.take()
}

// done releases the followers of group g and hands the next group, if
// any is queued, to its first caller.
func (q *saveQueue) done(g []*saveReq) {
	for _, r := range g[1:] {
		r.lead <- nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		q.leaders--
		return
	}
	next := q.take()
	next[0].lead <- next
}

// take removes the next group from the queue: at least one save, then as
// many as the bounds allow. The caller holds q.mu.
func (q *saveQueue) take() []*saveReq {
	n, items := 1, len(q.pending[0].items)
	for n < len(q.pending) && n < groupSources && items+len(q.pending[n].items) <= groupItems {
		items += len(q.pending[n].items)
		n++
	}
	g := make([]*saveReq, n)
	copy(g, q.pending)
	q.pending = append(q.pending[:0], q.pending[n:]...)
	return g
}

// saveGrouped is SaveRun through the queue.
func (s *Store) saveGrouped(ctx context.Context, run model.Run, items []model.Item) ([]model.Item, error) {
	r := &saveReq{run: run, items: items, lead: make(chan []*saveReq, 1)}
	g := s.saves.join(r, s.d.savers())
	if g == nil {
		g = <-r.lead
	}
	if g != nil {
		s.writeGroup(context.WithoutCancel(ctx), g)
		s.saves.done(g)
	}
	return r.added, r.err
}

// writeGroup saves group g in one transaction and sets each save's result.
func (s *Store) writeGroup(ctx context.Context, g []*saveReq) {
	retries, failures := 0, 0
	for {
		err := s.saveTx(ctx, func(tx *sql.Tx) error { return s.saveAll(ctx, tx, g) })
		switch {
		case err == nil:
			return
		case (errors.Is(err, errStale) || s.d.retryable(err)) && retries < retryAttempts:
			retries++
		case errors.Is(err, errSource) && failures == 0:
			failures++
		case errors.Is(err, errSource) || s.d.retryable(err):
			// Sources that keep failing, or keep losing deadlocks: each
			// in a transaction of its own.
			s.saveEach(ctx, g)
			return
		default:
			for _, r := range g {
				s.failAlone(ctx, r, err)
			}
			return
		}
	}
}

// saveAll saves each request of g within tx, or records its own failure of
// an earlier attempt. A source's failure other than a lost deadlock is
// kept as its own and ends the attempt with errSource.
func (s *Store) saveAll(ctx context.Context, tx *sql.Tx, g []*saveReq) error {
	start := time.Now()
	for _, r := range g {
		if r.own {
			if _, err := s.saveRun(ctx, tx, failedRun(r.run, r.err), nil); err != nil {
				return fmt.Errorf("store: record the failure of %s: %w", r.run.Source, err)
			}
			continue
		}
		var err error
		if r.added, err = s.saveRun(ctx, tx, r.run, r.items); err != nil {
			if s.d.retryable(err) {
				return err
			}
			r.err, r.own = fmt.Errorf("store: save run of %s: %w", r.run.Source, err), true
			return errSource
		}
	}
	if s.since(start) > maxStampAge {
		return errStale
	}
	return nil
}

// saveEach saves the requests of g one transaction each, as SaveRun did
// before groups: the way out of a group whose sources keep failing.
func (s *Store) saveEach(ctx context.Context, g []*saveReq) {
	for _, r := range g {
		if r.own {
			s.failAlone(ctx, r, r.err)
			continue
		}
		r.added, r.err = nil, nil
		err := s.saveTx(ctx, func(tx *sql.Tx) error {
			var err error
			r.added, err = s.saveRun(ctx, tx, r.run, r.items)
			return err
		})
		if err != nil {
			s.failAlone(ctx, r, err)
		}
	}
}

// failAlone records, in a transaction of its own, that r's save failed:
// with its own error when it had one, else with cause.
func (s *Store) failAlone(ctx context.Context, r *saveReq, cause error) {
	r.added = nil
	if !r.own {
		r.err = fmt.Errorf("store: save run of %s: %w", r.run.Source, cause)
	}
	if err := s.saveTx(ctx, func(tx *sql.Tx) error {
		_, err := s.saveRun(ctx, tx, failedRun(r.run, r.err), nil)
		return err
	}); err != nil {
		r.err = errors.Join(r.err, fmt.Errorf("store: record the failure of %s: %w", r.run.Source, err))
	}
}

// failedRun is run recorded as failed with err, its validators dropped.
func failedRun(run model.Run, err error) model.Run {
	run.Status, run.Err, run.ETag, run.LastModified = model.StatusError, err.Error(), "", ""
	return run
}

// since is how long ago start was: the age of a group's stamps.
func (s *Store) since(start time.Time) time.Duration {
	if s.stampAge != nil {
		return s.stampAge(start)
	}
	return time.Since(start)
}
