package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"newswatch/config"
	"newswatch/store"
)

// Daemons sharing one database (store.Store.Shared) split each fetch slot's
// sources between them: a daemon claims a batch of the sources no one has
// fetched for the slot, fetches them while renewing its claims, marks them
// done, and claims again. When only sources others hold are left, it waits
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
func (p *Pipeline) RunShared(ctx context.Context, srcs []config.Source, slot time.Time, report func(Outcome)) (Summary, error) {
	start := time.Now()
	byLease := make(map[string]config.Source, len(srcs))
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = sourceLease(s.Name)
		byLease[names[i]] = s
	}
	batch := max(16, 4*p.concurrency)
	var total Summary
	open := names
	seen := 0 // sources looked at since a claim last took one
	for len(open) > 0 {
		w := min(len(open), claimWindow*batch)
		claimed, busy, err := p.st.Claim(ctx, open[:w], slot, batch)
		if err != nil {
			return total, fmt.Errorf("claim sources: %w", err)
		}
		open = nextOpen(open, w, claimed, busy, len(claimed) == batch)
		if len(claimed) == 0 {
			// Once every source left was looked at and all are held by
			// others, wait for them rather than asking again at once.
			if seen += w; busy > 0 && seen >= len(open) {
				seen = 0
				select {
				case <-ctx.Done():
					return total, ctx.Err()
				case <-time.After(claimWait):
				}
			}
			continue
		}
		seen = 0
		some := make([]config.Source, len(claimed))
		for i, n := range claimed {
			some[i] = byLease[n]
		}
		var (
			mu      sync.Mutex
			fetched []string
		)
		// Fetched under the claims' context: a daemon that stalled past
		// their expiry and was taken over stops there.
		held, stop := p.st.HoldClaims(ctx, claimed)
		sum, err := p.Run(held, some, func(o Outcome) {
			mu.Lock()
			fetched = append(fetched, sourceLease(o.Source))
			mu.Unlock()
			if report != nil {
				report(o)
			}
		})
		lost := context.Cause(held)
		stop()
		total.add(sum)
		if err != nil && ctx.Err() == nil && errors.Is(lost, store.ErrLeaseLost) {
			// Taken over: the other daemon fetches what this one had
			// not; claim again.
			err = nil
		}
		if err != nil {
			// The claims of the sources not fetched expire: another
			// daemon, or this one at its next tick, fetches them.
			if ferr := p.st.Finish(context.WithoutCancel(ctx), fetched, slot); ferr != nil {
				err = fmt.Errorf("%w (and %w)", err, ferr)
			}
			total.Elapsed = time.Since(start)
			return total, err
		}
		if err := p.st.Finish(context.WithoutCancel(ctx), fetched, slot); err != nil {
			total.Elapsed = time.Since(start)
			return total, fmt.Errorf("finish sources: %w", err)
		}
	}
	total.Elapsed = time.Since(start)
	return total, ctx.Err()
}

// add counts o's sources in s.
func (s *Summary) add(o Summary) {
	s.Sources += o.Sources
	s.Failed += o.Failed
	s.New += o.New
	s.Matches += o.Matches
	s.Unrecorded = append(s.Unrecorded, o.Unrecorded...)
	s.State += o.State
	s.HealthSave += o.HealthSave
}
