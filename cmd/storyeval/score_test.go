package main

import (
	"math"
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
