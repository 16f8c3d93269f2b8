package main

import (
	"math"
	"slices"
	"testing"
)

func TestScore(t *testing.T) {
	gold := []string{"a", "a", "a", "b", "c"}
	idx := []int{0, 1, 2, 3, 4}
	for _, tt := range []struct {
		name         string
		pred         [][]int
		p, r, b3     float64
		whole, multi int
	}{
		{"perfect", [][]int{{0, 1, 2}, {3}, {4}}, 1, 1, 1, 1, 1},
		{"all in one", [][]int{{0, 1, 2, 3, 4}}, 0.3, 1, 2 * 0.44 * 1 / 1.44, 1, 1},
		{"split, unlisted alone", [][]int{{0, 1}}, 1, 1.0 / 3, 2 * (11.0 / 15) / (1 + 11.0/15), 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := score(gold, idx, tt.pred)
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
			if !near(s.precision, tt.p) || !near(s.recall, tt.r) || !near(s.bcubed, tt.b3) || s.whole != tt.whole || s.multi != tt.multi {
				t.Errorf("score = %+v; want precision %v recall %v B3 %v whole %d of %d", s, tt.p, tt.r, tt.b3, tt.whole, tt.multi)
			}
		})
	}
}

func TestSplitHalves(t *testing.T) {
	var gold []string
	var idx []int
	for s := range 40 {
		for range 3 {
			idx = append(idx, len(gold))
			gold = append(gold, string(rune('A'+s%26))+string(rune('a'+s/26)))
		}
	}
	for _, seed := range []uint64{0, 1, 7} {
		a, b := splitIdx(gold, idx, seed, 0), splitIdx(gold, idx, seed, 1)
		if len(a) == 0 || len(b) == 0 || len(a)+len(b) != len(idx) {
			t.Fatalf("seed %d: halves of %d and %d items from %d", seed, len(a), len(b), len(idx))
		}
		inA := map[string]bool{}
		for _, i := range a {
			inA[gold[i]] = true
		}
		for _, i := range b {
			if inA[gold[i]] {
				t.Fatalf("seed %d: story %s in both halves", seed, gold[i])
			}
		}
	}
	// Another seed is another split, not the same halves swapped.
	if a := splitIdx(gold, idx, 0, 0); slices.Equal(a, splitIdx(gold, idx, 1, 0)) || slices.Equal(a, splitIdx(gold, idx, 1, 1)) {
		t.Error("seeds 0 and 1 draw the same split")
	}
}
