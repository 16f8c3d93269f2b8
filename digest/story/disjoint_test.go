package story

import (
	"testing"
	"time"
)

// TestDisjointCompaniesRaiseTheBar: two groups that matched different
// tracked companies (and share none) merge only when they are
// disjointFactor times as alike as the bar asks of others. The pair's
// headlines name no company, so the companies change the bar alone, not
// the similarity: the highest bar at which the pair still merges is
// disjointFactor times lower for the disjoint pair.
func TestDisjointCompaniesRaiseTheBar(t *testing.T) {
	base := time.Date(2025, 11, 15, 9, 0, 0, 0, time.UTC)
	a := Candidate{Key: "a", Source: "Wire A", Title: "Logistics giant faces espionage probe in Belgium",
		Companies: []string{"Alibaba"}, Published: base, Score: 1}
	b := Candidate{Key: "b", Source: "Wire B", Title: "Belgium opens espionage probe into logistics giant",
		Companies: []string{"Alibaba"}, Published: base.Add(time.Hour), Score: 1}
	other := b
	other.Companies = []string{"Cainiao"}

	// highestBar is the highest bar (for every kind of text) at which the
	// two candidates still make one story, to within 1e-4.
	highestBar := func(cs []Candidate) float64 {
		lo, hi := 0.0, 1.0
		for hi-lo > 1e-4 {
			mid := (lo + hi) / 2
			p := defaults
			p.long, p.brief, p.short = mid, mid, mid
			if len(mustGroupWith(t, cs, nil, p)) == 1 {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo
	}
	same, disjoint := highestBar([]Candidate{a, b}), highestBar([]Candidate{a, other})
	if same < 0.05 {
		t.Fatalf("the pair does not merge even at a low bar (%.4f): the test needs alike headlines", same)
	}
	if ratio := same / disjoint; ratio < disjointFactor*0.95 || ratio > disjointFactor*1.05 {
		t.Errorf("same company merges up to a bar of %.4f, different companies up to %.4f: ratio %.3f, want %.2f",
			same, disjoint, ratio, disjointFactor)
	}
}
