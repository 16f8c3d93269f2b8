package story

import (
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// aggItem is one row of testdata/newsagg/items.csv.
type aggItem struct {
	Candidate
	story string
}

// loadNewsAgg reads the News Aggregator sample as one feed per publisher:
// headlines only, no text, no companies.
func loadNewsAgg(t testing.TB) []aggItem {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "newsagg", "items.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("items.csv: %v", err)
	}
	var out []aggItem
	for i, r := range rows[1:] {
		ms, err := strconv.ParseInt(r[5], 10, 64)
		if err != nil || len(r) != 6 {
			t.Fatalf("items.csv row %d: %q", i+2, r)
		}
		out = append(out, aggItem{
			Candidate: Candidate{
				Key:       "newsagg/" + r[0],
				Source:    r[2],
				Title:     r[1],
				Published: time.UnixMilli(ms).UTC(),
				Score:     1,
			},
			story: r[4],
		})
	}
	return out
}

// half tells which of two halves a story falls in: "tune" stories set the
// threshold, "check" stories only report how well it carries over.
func half(story string) string {
	h := fnv.New32a()
	h.Write([]byte(story))
	if h.Sum32()%2 == 0 {
		return "tune"
	}
	return "check"
}

// aggSamples draws digests like the held-out sets the figures are
// compared with: n items picked at random from one half (all of them when
// n is 0), several seeds each.
func aggSamples(items []aggItem, which string, n int, seeds int) [][]aggItem {
	var pool []aggItem
	for _, it := range items {
		if which == "" || half(it.story) == which {
			pool = append(pool, it)
		}
	}
	if n == 0 || n >= len(pool) {
		return [][]aggItem{pool}
	}
	var out [][]aggItem
	for s := range seeds {
		rng := rand.New(rand.NewPCG(uint64(s)+1, 7))
		perm := rng.Perm(len(pool))[:n]
		sample := make([]aggItem, n)
		for i, p := range perm {
			sample[i] = pool[p]
		}
		out = append(out, sample)
	}
	return out
}

// pr is pairwise true positives, false positives and misses.
type pr struct{ tp, fp, fn int }

func (p pr) precision() float64 { return ratio(p.tp, p.tp+p.fp) }
func (p pr) recall() float64    { return ratio(p.tp, p.tp+p.fn) }
func (p pr) String() string {
	return fmt.Sprintf("precision %.2f recall %.2f (%d true, %d false, %d missed pairs)",
		p.precision(), p.recall(), p.tp, p.fp, p.fn)
}

// scoreAgg groups every sample and adds up the pair counts. With all set,
// the other headlines of the file are the stored history around each
// sample; without, a sample's own items are all the history there is.
func scoreAgg(t testing.TB, samples [][]aggItem, all []aggItem, p params) (total pr, wrong, missed [][2]aggItem) {
	for _, s := range samples {
		cs := make([]Candidate, len(s))
		events := make([]string, len(s))
		in := map[string]bool{}
		for i, it := range s {
			cs[i], events[i] = it.Candidate, it.story
			in[it.Key] = true
		}
		var history []string
		for _, it := range all {
			if !in[it.Key] {
				history = append(history, it.Title)
			}
		}
		tp, fp, fn, w, m := pairCounts(mustGroupWith(t, cs, history, p), events)
		total.tp += tp
		total.fp += fp
		total.fn += fn
		for _, p := range w {
			wrong = append(wrong, [2]aggItem{s[p[0]], s[p[1]]})
		}
		for _, p := range m {
			missed = append(missed, [2]aggItem{s[p[0]], s[p[1]]})
		}
	}
	return total, wrong, missed
}

// TestStoriesNewsAggregator measures pairwise precision and recall on real
// headlines grouped by a news aggregator (testdata/newsagg), headlines
// only: digests of 328 items drawn at random from each half of the stories
// (three draws each), and the whole sample as one digest.
func TestStoriesNewsAggregator(t *testing.T) {
	items := loadNewsAgg(t)
	for _, which := range []string{"tune", "check"} {
		samples := aggSamples(items, which, 328, 3)
		got, wrong, missed := scoreAgg(t, samples, items, defaults)
		alone, _, _ := scoreAgg(t, samples, nil, defaults)
		t.Logf("%s half, 3 digests of 328 headlines: %v", which, got)
		t.Logf("%s half, no history but the digest: %v", which, alone)
		if got.precision() < 0.90 || got.recall() < 0.50 {
			t.Errorf("%s half: %v; want precision >= 0.90, recall >= 0.50", which, got)
		}
		if testing.Verbose() {
			var sweep strings.Builder
			for _, th := range []float64{0.08, 0.10, 0.12, 0.14, 0.15, 0.16, 0.18, 0.20, 0.25, 0.30} {
				p := defaults
				p.short = th
				got, _, _ := scoreAgg(t, samples, items, p)
				fmt.Fprintf(&sweep, " %.2f→P%.2f/R%.2f", th, got.precision(), got.recall())
			}
			t.Logf("%s half headline threshold sweep:%s", which, sweep.String())
			rng := rand.New(rand.NewPCG(3, 4))
			for range min(5, len(wrong)) {
				p := wrong[rng.IntN(len(wrong))]
				t.Logf("  wrongly merged: %q (%s) + %q (%s)", p[0].Title, p[0].Source, p[1].Title, p[1].Source)
			}
			for range min(5, len(missed)) {
				p := missed[rng.IntN(len(missed))]
				t.Logf("  missed: %q (%s) + %q (%s)", p[0].Title, p[0].Source, p[1].Title, p[1].Source)
			}
		}
	}
	all, _, _ := scoreAgg(t, aggSamples(items, "", 0, 1), nil, defaults)
	t.Logf("all %d headlines as one digest: %v", len(items), all)
}
