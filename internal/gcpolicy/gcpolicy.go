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
// GOGC and GOMEMLIMIT in the environment override either setting.
package gcpolicy

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// Defaults, unless GOGC or GOMEMLIMIT say otherwise.
const (
	// Percent is the heap's growth over the live heap before a collection.
	Percent = 200
	// MemoryLimit is the soft limit of the Go runtime's memory, in bytes.
	MemoryLimit = 24 << 20
)

// Apply sets Percent and MemoryLimit where the environment sets neither.
func Apply() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(Percent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(MemoryLimit)
	}
}

// Fit raises the soft limit to leave the fetch its room above what the
// process keeps live after start-up (the configuration's sources, the
// compiled watchlist): MemoryLimit/2 for the fetch's own working set (the
// sources in flight, the items waiting for the writer), plus the live heap
// with GOGC's headroom, never below MemoryLimit. Without it, a configuration
// of tens of thousands of sources keeps the live heap near a fixed limit
// and the collector runs without pause, taking half the CPU. The live heap
// is the one the last collection found; before any collection (a small
// configuration) the limit stays. It changes nothing where GOMEMLIMIT is set.
func Fit() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	debug.SetMemoryLimit(limitFor(s[0].Value.Uint64()))
}

// limitFor is the soft limit for a live heap of live bytes after start-up.
func limitFor(live uint64) int64 {
	return max(MemoryLimit, MemoryLimit/2+int64(live)*(100+Percent)/100)
}
