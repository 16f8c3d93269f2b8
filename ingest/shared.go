package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"newswatch/config"
)

// Daemons sharing one database (store.Store.Shared) split each fetch slot's
// sources between them: a daemon claims a batch of the sources no one has
// fetched for the slot, fetches them while renewing its claims, marks them
// done once all are saved, and claims the next batch while the last of
// them are fetched. When only sources others hold are left, it waits
// for them: a source whose daemon died is taken over once that daemon's
// claim expires (store.LeaseTTL), so the slot is complete when RunShared
// returns, whichever daemons are still alive.

// claimWait is how long RunShared waits before claiming again when the
// sources left are held by other daemons.
const claimWait = time.Second

// claimWindow is how many batches' worth of sources one claim looks at:
// a claim reads the leases of the sources it is given, so a daemon of
// tens of thousands of sources claims from a window of them at a time,
// not from all of them each time.
const claimWindow = 8

// nextOpen is what is left to claim of open after a claim looked at its
// first w sources and took claimed, finding busy of them held by others.
// The claimed leave. When the claim took fewer than it could (not full),
// the window's others are done or held by others: they leave too, or,
// when some are held, go to the back to be looked at again.
func nextOpen(open []string, w int, claimed []string, busy int, full bool) []string {
	took := make(map[string]bool, len(claimed))
	for _, n := range claimed {
		took[n] = true
	}
	var next []string
	keep := func(names []string) {
		for _, n := range names {
			if !took[n] {
				next = append(next, n)
			}
		}
	}
	if full {
		keep(open)
		return next
	}
	keep(open[w:])
	if busy > 0 {
		keep(open[:w])
	}
	return next
}

// sourceLease is the lease name of a source's fetch.
func sourceLease(name string) string { return "source:" + name }

// RunShared fetches, as Run does, the sources of srcs that no other daemon
// fetches for slot, until every source has been fetched for it by one of
// them. The Summary counts the sources this daemon fetched.
//
// It claims rolling: the next batch is claimed while the last sources of
// the one before are fetched, so no worker waits for a batch's slowest
// source. A batch's claims are held until each of its sources was fetched
// and saved (or its health recorded), then marked done together. A source
// whose fetch was cut short (ctx ended, or its claim was taken over) is
// neither recorded nor reported: its claim is released, and another
// daemon, or this one at its next tick, fetches it.
func (p *Pipeline) RunShared(ctx context.Context, srcs []config.Source, slot time.Time, report func(Outcome)) (Summary, error) {
	start := time.Now()
	r := p.newFetchRun(ctx, report)
	// Claimed sources wait here for a worker: the claimer claims the next
	// batch once the last of a batch are queued.
	jobs := make(chan job, p.concurrency)
	var err error
	go func() {
		defer close(jobs)
		err = p.claimAll(ctx, r, srcs, slot, jobs)
	}()
	r.fetchAll(p.concurrency, func() (job, bool) {
		j, ok := <-jobs
		return j, ok
	})
	// Every job was settled, and so every claim completed.
	if err == nil {
		err = r.err
	}
	if err == nil {
		err = p.indexRun(ctx)
	}
	r.sum.Elapsed = time.Since(start)
	if err != nil {
		return r.sum, err
	}
	return r.sum, ctx.Err()
}

// claimAll claims the sources of srcs for slot, batch by batch, and queues
// each batch's jobs on jobs, until every source is done or ctx ends. It
// stops at the first error, its own or r's.
func (p *Pipeline) claimAll(ctx context.Context, r *fetchRun, srcs []config.Source, slot time.Time, jobs chan<- job) error {
	byLease := make(map[string]config.Source, len(srcs))
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = sourceLease(s.Name)
		byLease[names[i]] = s
	}
	batch := max(16, 4*p.concurrency)
	open := names
	seen := 0 // sources looked at since a claim last took one
	for len(open) > 0 && ctx.Err() == nil && r.failed() == nil {
		w := min(len(open), claimWindow*batch)
		claimed, busy, err := p.st.Claim(ctx, open[:w], slot, batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("claim sources: %w", err)
		}
		open = nextOpen(open, w, claimed, busy, len(claimed) == batch)
		if len(claimed) == 0 {
			// Once every source left was looked at and all are held by
			// others, wait for them rather than asking again at once.
			if seen += w; busy > 0 && seen >= len(open) {
				seen = 0
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(claimWait):
				}
			}
			continue
		}
		seen = 0
		t := time.Now()
		some := make([]config.Source, len(claimed))
		for i, n := range claimed {
			some[i] = byLease[n]
		}
		c := &claim{slot: slot, left: len(claimed)}
		// Fetched under the claims' context: a daemon that stalled past
		// their expiry and was taken over stops there.
		c.held, c.stop = p.st.HoldClaims(ctx, claimed)
		js, err := p.jobs(ctx, c.held, some, c)
		r.mu.Lock()
		r.sum.State += time.Since(t)
		r.mu.Unlock()
		if err != nil {
			c.stop()
			rerr := p.st.Release(context.WithoutCancel(ctx), claimed, slot)
			if ctx.Err() != nil {
				return nil // stopped: RunShared returns ctx's error
			}
			return errors.Join(err, rerr)
		}
		for _, j := range js {
			jobs <- j
		}
	}
	return nil
}

// claim is a batch of sources this daemon claimed for a slot.
type claim struct {
	slot time.Time
	held context.Context // cancelled when a claim of the batch is taken over
	stop func()          // ends the holding of the claims
	left int             // sources whose job has not ended
	// fetched are the lease names of the sources fetched and saved,
	// released those of the sources whose fetch was cut short.
	fetched, released []string
}

// settle notes that the job of source name ended, fetched or cut short;
// true when it was the batch's last. The caller holds the run's mu.
func (c *claim) settle(name string, fetched bool) bool {
	if fetched {
		c.fetched = append(c.fetched, sourceLease(name))
	} else {
		c.released = append(c.released, sourceLease(name))
	}
	c.left--
	return c.left == 0
}

// complete ends a batch whose every job ended: the health of its
// item-less sources is saved, then its fetched sources are marked done
// for the slot and the claims of the others released.
func (r *fetchRun) complete(c *claim) {
	c.stop()
	r.mu.Lock()
	r.flush()
	r.mu.Unlock()
	ctx := context.WithoutCancel(r.ctx)
	err := r.p.st.Finish(ctx, c.fetched, c.slot)
	if err == nil {
		err = r.p.st.Release(ctx, c.released, c.slot)
	}
	if err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = fmt.Errorf("finish sources: %w", err)
		}
		r.mu.Unlock()
	}
}

// failed is the first error of completing a batch, nil while none failed.
func (r *fetchRun) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
