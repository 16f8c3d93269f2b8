// Package gcpolicy sets the garbage collector's targets of the newswatch
// process, for the binary and for the benchmark that profiles it in process.
//
// A fetch allocates about 50 times its live heap (feed parsing, mostly), so
// the heap may grow to three times the live heap before a collection
// (GOGC=200) rather than two: collecting less often saves 12-20 % of a cold
// fetch's CPU. Left alone, that target lets short peaks of live memory
// (several large feeds at once) push the heap to twice what a fetch needs,
// so a soft limit caps the memory the Go runtime holds: under it the
// collector follows GOGC, near it the collector runs sooner. The limit is
// soft: a process that needs more gets more, the collector then taking at
// most about half the CPU, as the runtime bounds it.
//
// The limit follows the live heap, checked every second: it never leaves
// the collector less room above the live heap than the live heap itself.
// It follows the median of the last five readings, not the latest: a
// reading is the live heap one collection found, and a fetch's live heap
// jumps for a moment by half when several large feeds are parsed at once;
// a limit raised for each such moment let the heap grow into the room.
//
// GOGC and GOMEMLIMIT in the environment override either setting.
package gcpolicy

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"time"
)

// Defaults, unless GOGC or GOMEMLIMIT say otherwise.
const (
	// Percent is the heap's growth over the live heap before a collection.
	Percent = 200
	// MemoryLimit is the soft limit of the Go runtime's memory, in bytes.
	MemoryLimit = 24 << 20
)

// Apply sets Percent and MemoryLimit where the environment sets neither,
// and starts the limit following the live heap.
func Apply() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(Percent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(MemoryLimit)
		go func() {
			var f follower
			for range time.Tick(followEvery) {
				f.follow()
			}
		}()
	}
}

// followEvery is how often the limit is set again from the live heap.
const followEvery = time.Second

// follower keeps the last readings of the live heap.
type follower struct {
	last [5]uint64 // a ring; 0 where not read yet
	n    int       // readings so far
}

// follow keeps the soft limit clear of the live heap (see limitFor), from
// the live heap the last collection found.
func (f *follower) follow() {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(limitFor(f.observe(live[0].Value.Uint64())))
	}
}

// observe records a reading of the live heap and returns the median of
// the last readings.
func (f *follower) observe(live uint64) uint64 {
	f.last[f.n%len(f.last)] = live
	f.n++
	k := min(f.n, len(f.last))
	s := f.last
	slices.Sort(s[:k])
	return s[k/2]
}

// limitFor is the soft limit for a live heap of live bytes: MemoryLimit,
// or more where the collector would otherwise have less room above the
// live heap than the live heap itself (GOGC=100's room, half of Percent's),
// counting 9 MiB for the runtime's memory beside the heap. Without it a
// process whose live heap nears the limit (a daemon of tens of thousands
// of sources holds 13 MB live while it fetches) collects after every few
// MB allocated, the collector taking half the CPU.
func limitFor(live uint64) int64 {
	return max(MemoryLimit, MemoryLimit*3/8+2*int64(live))
}
