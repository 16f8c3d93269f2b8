package main

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tnewswatch\nVmHWM:\t   50000 kB\nVmRSS:\t   49000 kB\nRssAnon:\t   27000 kB\nRssFile:\t   21500 kB\nRssShmem:\t       0 kB\n"
	want := rssSample{rss: 49000 << 10, file: 21500 << 10, anon: 27000 << 10}
	if got := parseStatus([]byte(status)); got != want {
		t.Errorf("parseStatus = %+v, want %+v", got, want)
	}
}

// TestSamplePeak samples this process: its binary's pages are file-backed,
// its heap anonymous.
func TestSamplePeak(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/status is Linux's")
	}
	stop := make(chan struct{})
	close(stop)
	s := samplePeak(os.Getpid(), time.Millisecond, stop)
	if s.file <= 0 || s.anon <= 0 || s.file+s.anon > s.rss+1<<20 {
		t.Errorf("sample %+v: want file and anonymous parts that add up to the RSS", s)
	}
}

func TestRSSParts(t *testing.T) {
	r := procResult{MaxRSS: 49 << 20, PeakFile: 21<<20 + 7<<20/10, PeakAnon: 26<<20 + 5<<20/10}
	if got, want := rssParts(r), "49.0 MB (21.7 + 26.5)"; got != want {
		t.Errorf("rssParts = %q, want %q", got, want)
	}
	if got, want := rssParts(procResult{MaxRSS: 49 << 20}), "49.0 MB"; got != want {
		t.Errorf("rssParts without /proc = %q, want %q", got, want)
	}
}
