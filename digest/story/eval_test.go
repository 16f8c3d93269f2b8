package story

import (
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
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

// Digests drawn for measuring are shaped like the held-out set the
// figures are judged against: 328 headlines in about 26 stories, one feed
// per publisher, headlines only.
const (
	drawItems   = 328
	drawStories = 26
	draws       = 30
)

// aggDraws draws digests from one half of the stories ("" for both):
// each takes most of the half's stories (26 at most, a random third may
// be left out), two items of each, and the rest of its 328 items at random
// from those stories, so big stories weigh as they do in the news. Draw s
// uses seed s, so the draws are the same on every run.
func aggDraws(items []aggItem, which string, n int) [][]aggItem {
	byStory := map[string][]aggItem{}
	var names []string
	for _, it := range items {
		if which != "" && half(it.story) != which {
			continue
		}
		if byStory[it.story] == nil {
			names = append(names, it.story)
		}
		byStory[it.story] = append(byStory[it.story], it)
	}
	slices.Sort(names)
	var out [][]aggItem
	for s := range n {
		rng := rand.New(rand.NewPCG(uint64(s)+1, 7))
		k := min(drawStories, len(names)-rng.IntN(len(names)/3+1))
		var sample, rest []aggItem
		for _, x := range rng.Perm(len(names))[:k] {
			st := byStory[names[x]]
			perm := rng.Perm(len(st))
			for i, p := range perm {
				if i < 2 {
					sample = append(sample, st[p])
				} else {
					rest = append(rest, st[p])
				}
			}
		}
		for _, p := range rng.Perm(len(rest))[:max(0, min(len(rest), drawItems-len(sample)))] {
			sample = append(sample, rest[p])
		}
		out = append(out, sample)
	}
	return out
}

// spread is the precision and recall of each of several draws.
type spread struct {
	total      pr
	prec, rec  []float64
	publishers int // distinct publishers, summed over draws
	items      int
}

func (s spread) String() string {
	stat := func(v []float64) string {
		v = slices.Sorted(slices.Values(v))
		var sum float64
		for _, x := range v {
			sum += x
		}
		return fmt.Sprintf("mean %.2f min %.2f p10 %.2f", sum/float64(len(v)), v[0], v[len(v)/10])
	}
	return fmt.Sprintf("precision %s; recall %s; pooled %v; %.0f items from %.0f publishers a draw",
		stat(s.prec), stat(s.rec), s.total, float64(s.items)/float64(len(s.prec)), float64(s.publishers)/float64(len(s.prec)))
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
func scoreAgg(t testing.TB, samples [][]aggItem, all []aggItem, p params) (got spread, wrong, missed [][2]aggItem) {
	for _, s := range samples {
		pubs := map[string]bool{}
		for _, it := range s {
			pubs[it.Source] = true
		}
		got.publishers += len(pubs)
		got.items += len(s)
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
		got.total.tp += tp
		got.total.fp += fp
		got.total.fn += fn
		one := pr{tp, fp, fn}
		got.prec = append(got.prec, one.precision())
		got.rec = append(got.rec, one.recall())
		for _, p := range w {
			wrong = append(wrong, [2]aggItem{s[p[0]], s[p[1]]})
		}
		for _, p := range m {
			missed = append(missed, [2]aggItem{s[p[0]], s[p[1]]})
		}
	}
	return got, wrong, missed
}

// TestStoriesNewsAggregator measures pairwise precision and recall on real
// headlines grouped by a news aggregator (testdata/newsagg), headlines
// only: 30 digests shaped like the held-out set drawn from each half of
// the stories, and the whole sample as one digest (-short and -race leave
// out the figures without history; -race draws 5 digests a half). Set NEWSWATCH_STORY_SWEEP=1 (with -v) for the
// threshold sweep and a sample of errors.
func TestStoriesNewsAggregator(t *testing.T) {
	items := loadNewsAgg(t)
	sweep := os.Getenv("NEWSWATCH_STORY_SWEEP") != ""
	n := draws
	if raceOn && !sweep {
		n = 5 // the race detector makes each draw ten times slower
	}
	for _, which := range []string{"tune", "check"} {
		samples := aggDraws(items, which, n)
		got, wrong, missed := scoreAgg(t, samples, items, defaults)
		t.Logf("%s half, %d draws: %v", which, n, got)
		if !testing.Short() && !raceOn {
			alone, _, _ := scoreAgg(t, samples, nil, defaults)
			t.Logf("%s half, no history but the digest: %v", which, alone)
		}
		// Below the measured figures, so that a change that loses either
		// shows.
		if got.total.precision() < 0.85 || got.total.recall() < 0.55 {
			t.Errorf("%s half: %v; want pooled precision >= 0.85, recall >= 0.55", which, got)
		}
		if !sweep {
			continue
		}
		var sw strings.Builder
		for _, th := range []float64{0.10, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.20, 0.22, 0.25} {
			p := defaults
			p.short = th
			got, _, _ := scoreAgg(t, samples, items, p)
			fmt.Fprintf(&sw, "\n  %.2f: %v", th, got)
		}
		t.Logf("%s half headline threshold sweep:%s", which, sw.String())
		rng := rand.New(rand.NewPCG(3, 4))
		for range min(10, len(wrong)) {
			p := wrong[rng.IntN(len(wrong))]
			t.Logf("  wrongly merged: %q (%s) + %q (%s)", p[0].Title, p[0].Source, p[1].Title, p[1].Source)
		}
		for range min(10, len(missed)) {
			p := missed[rng.IntN(len(missed))]
			t.Logf("  missed: %q (%s) + %q (%s)", p[0].Title, p[0].Source, p[1].Title, p[1].Source)
		}
	}
	all, _, _ := scoreAgg(t, [][]aggItem{items}, nil, defaults)
	t.Logf("all %d headlines as one digest: %v", len(items), all.total)
}
