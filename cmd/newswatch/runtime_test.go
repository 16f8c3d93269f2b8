package main

import (
	"runtime"
	"testing"
)

// TestSetRuntimeStopsHeapSampling: the binary keeps no heap profile.
func TestSetRuntimeStopsHeapSampling(t *testing.T) {
	// Set, the environment keeps the collector's settings as they are.
	t.Setenv("GOGC", "100")
	t.Setenv("GOMEMLIMIT", "off")
	rate := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = rate })
	setRuntime()
	if runtime.MemProfileRate != 0 {
		t.Errorf("MemProfileRate = %d, want 0", runtime.MemProfileRate)
	}
}
