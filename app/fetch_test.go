package app

import (
	"fmt"
	"strings"
	"testing"
)

// TestFetchReportSpillsMatches: past blockBudget, the match text waits in
// a temporary file, and Print still lists every block, by source.
func TestFetchReportSpillsMatches(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	r := &FetchReport{}
	line := strings.Repeat("x", 1000)
	var want strings.Builder
	const n = 600 // 600 KB of text
	for i := range n {
		src := fmt.Sprintf("source %03d", n-1-i) // added in reverse order
		r.add(matchBlock{source: src, text: src + ": " + line + "\n"})
	}
	for i := range n {
		src := fmt.Sprintf("source %03d", i)
		fmt.Fprintf(&want, "%s: %s\n", src, line)
	}
	if r.held > blockBudget {
		t.Errorf("%d bytes of match text in memory, want at most %d", r.held, blockBudget)
	}
	var b strings.Builder
	r.Print(&b)
	got, _, _ := strings.Cut(b.String(), "fetched ")
	if got != want.String() {
		t.Errorf("printed %d bytes, want the %d bytes of the blocks by source", len(got), want.Len())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
