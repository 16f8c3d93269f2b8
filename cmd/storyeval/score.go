package main

import (
	"fmt"
	"io"
)

// scores are the figures of one grouping against the labels.
type scores struct {
	precision, recall, bcubed float64
	whole, multi              int
}

// score compares predicted stories (indexes into gold) with the labels,
// over the items at idx; an item at idx missing from pred is a story alone.
func score(gold []string, idx []int, pred [][]int) scores {
	of := predictedOf(idx, pred)
	var tp, fp, fn int
	var bp, br float64
	for _, a := range idx {
		same, pairs, golds := 0, 0, 0
		for _, b := range idx {
			sp, sg := of[a] == of[b], gold[a] == gold[b]
			if sp && sg {
				same++
			}
			if sp {
				pairs++
			}
			if sg {
				golds++
			}
			if a >= b {
				continue
			}
			switch {
			case sp && sg:
				tp++
			case sp:
				fp++
			case sg:
				fn++
			}
		}
		bp += float64(same) / float64(pairs)
		br += float64(same) / float64(golds)
	}
	var s scores
	s.precision = ratio(tp, tp+fp)
	s.recall = ratio(tp, tp+fn)
	bp, br = bp/float64(len(idx)), br/float64(len(idx))
	s.bcubed = 2 * bp * br / (bp + br)
	// A labelled story with several items is whole when one predicted
	// story holds all of them.
	stories := map[string]map[int]bool{}
	size := map[string]int{}
	for _, i := range idx {
		if stories[gold[i]] == nil {
			stories[gold[i]] = map[int]bool{}
		}
		stories[gold[i]][of[i]] = true
		size[gold[i]]++
	}
	for g, preds := range stories {
		if size[g] > 1 {
			s.multi++
			if len(preds) == 1 {
				s.whole++
			}
		}
	}
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// multiStories counts the labelled stories with several items at idx.
func multiStories(gold []string, idx []int) int {
	n := map[string]int{}
	for _, i := range idx {
		n[gold[i]]++
	}
	m := 0
	for _, c := range n {
		if c > 1 {
			m++
		}
	}
	return m
}

func printScore(w io.Writer, name string, s scores) {
	f1 := 2 * s.precision * s.recall / (s.precision + s.recall)
	fmt.Fprintf(w, "%-22s %9.3f %6.3f %6.3f %9.3f %d of %d\n", name, s.precision, s.recall, f1, s.bcubed, s.whole, s.multi)
}
