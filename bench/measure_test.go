package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// TestWriteRSS2EmailFeeds: every feed carries both options, each right
// under its URL, where rss2email reads them as that feed's.
func TestWriteRSS2EmailFeeds(t *testing.T) {
	home := t.TempDir()
	urls := []string{"http://127.0.0.1:1/feeds/00000.rss", "http://127.0.0.1:1/feeds/00001.atom"}
	if err := writeRSS2EmailFeeds(home, urls); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(home, ".rss2email", "feeds.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := "http://127.0.0.1:1/feeds/00000.rss\n - sleep:0\n - frequency:0\n" +
		"http://127.0.0.1:1/feeds/00001.atom\n - sleep:0\n - frequency:0\n"
	if string(b) != want {
		t.Errorf("feeds.txt:\n%s\nwant:\n%s", b, want)
	}
}

// TestPeerTable: the ratios are newswatch's best wall, least CPU and
// largest peak over rss2email's.
func TestPeerTable(t *testing.T) {
	b := &bench{o: &options{}, byName: map[string]*cell{}}
	c := b.cell(1000, cold, 1000, 0)
	c.runs = []procResult{{Wall: 4 * time.Second, CPU: 9 * time.Second, MaxRSS: 46 << 20}, {Wall: 5 * time.Second, CPU: 8 * time.Second, MaxRSS: 44 << 20}}
	c.peer = []procResult{{Wall: 40 * time.Second, CPU: 16 * time.Second, MaxRSS: 20 << 20}, {Wall: 32 * time.Second, CPU: 18 * time.Second, MaxRSS: 23 << 20}}
	b.cell(1000, warm, 1000, 0).runs = []procResult{{Wall: time.Second}}
	var w strings.Builder
	b.peerTable(&w)
	if !strings.Contains(w.String(), "| 1,000 | cold | 32.00 s | 16.00 s | 23.0 MB | 0 (0) | 0.12 | 0.50 | 2.00 |") {
		t.Errorf("peer table:\n%s", w.String())
	}
	if strings.Contains(w.String(), "| warm |") {
		t.Errorf("a phase without rss2email runs has a row:\n%s", w.String())
	}
}
