package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"sort"
)

// half tells which of two disjoint halves of the labelled stories a story
// falls in: seed 0 splits by the parity of a hash of the story label, any
// other seed mixes the seed into the hash, so each seed draws another
// split. Every item of a story is in the same half.
func half(story string, seed uint64) int {
	h := fnv.New64a()
	h.Write([]byte(story))
	// FNV's low bit is only the parity of its input's bytes: mix all
	// bits (splitmix64's finaliser) before taking one.
	x := h.Sum64() ^ seed*0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return int(x >> 63)
}

// splitIdx returns the items of idx whose story falls in half n.
func splitIdx(gold []string, idx []int, seed uint64, n int) []int {
	var out []int
	for _, i := range idx {
		if half(gold[i], seed) == n {
			out = append(out, i)
		}
	}
	return out
}

// offenders prints the predicted stories that join several labelled
// stories (false merges, worst first by wrong pairs) and the labelled
// stories split over several predicted ones (worst first by missed
// pairs), at most n of each, with a few headlines each.
func offenders(w io.Writer, items []item, idx []int, pred [][]int, n int) {
	of := predictedOf(idx, pred)
	byPred := map[int]map[string][]int{}
	byGold := map[string]map[int][]int{}
	for _, i := range idx {
		p, g := of[i], items[i].story
		if byPred[p] == nil {
			byPred[p] = map[string][]int{}
		}
		byPred[p][g] = append(byPred[p][g], i)
		if byGold[g] == nil {
			byGold[g] = map[int][]int{}
		}
		byGold[g][p] = append(byGold[g][p], i)
	}
	var merges, splits []offence
	for _, gs := range byPred {
		if len(gs) < 2 {
			continue
		}
		var parts []part
		for g, its := range gs {
			parts = append(parts, part{g, its})
		}
		merges = append(merges, newOffence(parts))
	}
	for _, ps := range byGold {
		if len(ps) < 2 {
			continue
		}
		var parts []part
		for p, its := range ps {
			parts = append(parts, part{fmt.Sprint(p), its})
		}
		splits = append(splits, newOffence(parts))
	}
	sortOffences(items, merges)
	sortOffences(items, splits)
	showOffences(w, items, n, "false merges: digest stories joining labelled stories", merges, func(p part) string { return "labelled " + short(p.key) })
	showOffences(w, items, n, "missed pairs: labelled stories split over digest stories", splits, func(p part) string { return "digest story " + p.key })
}

// predictedOf maps each item of idx to its predicted story, an item no
// story holds to one of its own (numbered after pred's).
func predictedOf(idx []int, pred [][]int) map[int]int {
	in := map[int]bool{}
	for _, i := range idx {
		in[i] = true
	}
	of := map[int]int{}
	for s, st := range pred {
		for _, i := range st {
			if in[i] {
				of[i] = s
			}
		}
	}
	next := len(pred)
	for _, i := range idx {
		if _, ok := of[i]; !ok {
			of[i] = next
			next++
		}
	}
	return of
}

// part is the items of one story (labelled or predicted, named by key)
// inside a story of the other kind.
type part struct {
	key   string
	items []int
}

// offence is a story made of several parts, with the item pairs across
// its parts.
type offence struct {
	pairs int
	parts []part
}

// newOffence sorts parts, largest first, and counts the pairs across them.
func newOffence(parts []part) offence {
	sort.Slice(parts, func(a, b int) bool {
		if len(parts[a].items) != len(parts[b].items) {
			return len(parts[a].items) > len(parts[b].items)
		}
		return parts[a].key < parts[b].key
	})
	total, sum := 0, 0
	for _, p := range parts {
		total += len(p.items) * sum
		sum += len(p.items)
	}
	return offence{total, parts}
}

// sortOffences puts the worst first: most pairs, then by headline.
func sortOffences(items []item, os []offence) {
	sort.SliceStable(os, func(a, b int) bool {
		if os[a].pairs != os[b].pairs {
			return os[a].pairs > os[b].pairs
		}
		return items[os[a].parts[0].items[0]].title < items[os[b].parts[0].items[0]].title
	})
}

// showOffences prints the n worst offences under title, with a few
// headlines of each part.
func showOffences(w io.Writer, items []item, n int, title string, os []offence, label func(part) string) {
	fmt.Fprintf(w, "\n%s (%d):\n", title, len(os))
	for k, o := range os[:min(n, len(os))] {
		fmt.Fprintf(w, "%2d. %d pairs\n", k+1, o.pairs)
		for _, p := range o.parts[:min(4, len(o.parts))] {
			its := slices.Clone(p.items)
			slices.Sort(its)
			fmt.Fprintf(w, "    %s, %d items:\n", label(p), len(its))
			for _, i := range its[:min(3, len(its))] {
				fmt.Fprintf(w, "      %q (%s)\n", items[i].title, items[i].publisher)
			}
		}
		if len(o.parts) > 4 {
			fmt.Fprintf(w, "    … and %d more parts\n", len(o.parts)-4)
		}
	}
}

func short(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}
