package gcpolicy

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

// unsetenv unsets key for the test and restores it after.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // restores the old value at cleanup
	os.Unsetenv(key)
}

// restore puts the runtime's settings back after the test.
func restore(t *testing.T) {
	pct, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(pct)
	debug.SetMemoryLimit(limit)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
}

func TestApplySetsDefaults(t *testing.T) {
	restore(t)
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	Apply()
	if got := debug.SetGCPercent(100); got != Percent {
		t.Errorf("GC percent = %d, want %d", got, Percent)
	}
	if got := debug.SetMemoryLimit(-1); got != MemoryLimit {
		t.Errorf("memory limit = %d, want %d", got, MemoryLimit)
	}
}

func TestApplyLeavesEnvironmentSettings(t *testing.T) {
	restore(t)
	t.Setenv("GOGC", "77")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(77)
	debug.SetMemoryLimit(1 << 30)
	Apply()
	if got := debug.SetGCPercent(100); got != 77 {
		t.Errorf("GC percent = %d, want GOGC's 77", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("memory limit = %d, want GOMEMLIMIT's 1 GiB", got)
	}
}

func TestLimitFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, MemoryLimit},
		{7 << 20, MemoryLimit}, // a cold fetch of 1,000 feeds
		{13 << 20, 9<<20 + 26<<20},
	} {
		if got := limitFor(tc.live); got != tc.want {
			t.Errorf("limitFor(%d MiB) = %d MiB, want %d MiB", tc.live>>20, got>>20, tc.want>>20)
		}
	}
}

// TestFollowTheLiveHeap: with 40 MiB live, the limit leaves the collector
// room above it.
func TestFollowTheLiveHeap(t *testing.T) {
	restore(t)
	debug.SetMemoryLimit(MemoryLimit)
	kept := make([]byte, 40<<20)
	for i := range kept {
		kept[i] = byte(i)
	}
	runtime.GC()
	var f follower
	f.follow()
	runtime.KeepAlive(kept)
	if got := debug.SetMemoryLimit(-1); got < 80<<20 {
		t.Errorf("memory limit = %d MiB with 40 MiB live, want at least 80 MiB", got>>20)
	}
}

// TestFollowTheMedian: one reading of a passing peak does not move the
// limit; a live heap that stays does.
func TestFollowTheMedian(t *testing.T) {
	var f follower
	for i, tc := range []struct{ live, want uint64 }{
		{7, 7}, {14, 14}, {7, 7}, {7, 7}, {15, 7}, {7, 7}, // peaks pass
		{13, 7}, {13, 13}, {13, 13}, {13, 13}, // a heap that stays
	} {
		if got := f.observe(tc.live << 20); got != tc.want<<20 {
			t.Errorf("reading %d (%d MiB): median %d MiB, want %d MiB", i, tc.live, got>>20, tc.want)
		}
	}
}
