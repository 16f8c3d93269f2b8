package testutil

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// HeapPeak runs fn and returns the largest Go heap (live objects and
// garbage not yet swept) seen while it ran, read every millisecond after a
// collection that leaves only what the caller holds. A test of what a
// function holds at once compares it with the data the function reads: a
// function that holds all of it peaks above, one that streams it far below.
//
// The collector runs at GOGC=100 meanwhile, whatever the environment
// says, so that the garbage it lets pile up is the usual amount.
func HeapPeak(fn func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	runtime.GC()
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var top uint64
		for {
			metrics.Read(heap)
			top = max(top, heap[0].Value.Uint64())
			select {
			case <-done:
				peak <- top
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	return <-peak
}
