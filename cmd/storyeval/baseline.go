package main

import (
	"math"
	"strings"
	"unicode"

	"newswatch/match"
)

// baselineThresholds are the operating points the baseline is scored at.
var baselineThresholds = []float64{0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30}

// baseline is the plain method the product must beat: TF-IDF over the
// headlines as written (company names kept, suffix stemming, IDF from the
// digest's own items), average linkage, merging only clusters that share
// a tracked company. It returns the stories of the items at idx for a
// similarity threshold.
func baseline(items []item, idx []int, companies []company) func(th float64) [][]int {
	wl := watchlist(companies)
	n := len(idx)
	vecs := make([]map[string]float64, n)
	cos := make([]map[string]bool, n)
	df := map[string]int{}
	for k, i := range idx {
		vecs[k] = map[string]float64{}
		for _, w := range baselineWords(items[i].title) {
			vecs[k][w]++
		}
		for w := range vecs[k] {
			df[w]++
		}
		cos[k] = map[string]bool{}
		for _, h := range wl.Match(match.ItemText(items[i].title, "", "", "")) {
			cos[k][h.Company] = true
		}
	}
	for _, v := range vecs {
		var ss float64
		for w, tf := range v {
			v[w] = tf * math.Log(float64(n+1)/float64(df[w]))
			ss += v[w] * v[w]
		}
		for w := range v {
			v[w] /= math.Sqrt(ss)
		}
	}
	sim := make([][]float64, n) // summed pairwise similarity between clusters
	for a := range n {
		sim[a] = make([]float64, n)
		for b := range a {
			for w, x := range vecs[a] {
				sim[a][b] += x * vecs[b][w]
			}
			sim[b][a] = sim[a][b]
		}
	}
	return func(th float64) [][]int {
		members := make([][]int, n)
		comp := make([]map[string]bool, n)
		s := make([][]float64, n)
		for a := range n {
			members[a], comp[a], s[a] = []int{idx[a]}, maps(cos[a]), append([]float64(nil), sim[a]...)
		}
		for {
			ba, bb, best := -1, -1, th
			for a := range n {
				for b := a + 1; b < n && members[a] != nil; b++ {
					if members[b] == nil || !shares(comp[a], comp[b]) {
						continue
					}
					if avg := s[a][b] / float64(len(members[a])*len(members[b])); avg >= best {
						ba, bb, best = a, b, avg
					}
				}
			}
			if ba < 0 {
				break
			}
			members[ba], members[bb] = append(members[ba], members[bb]...), nil
			for c := range comp[bb] {
				comp[ba][c] = true
			}
			for c := range n {
				s[ba][c] += s[bb][c]
				s[c][ba] = s[ba][c]
			}
		}
		var out [][]int
		for _, m := range members {
			if m != nil {
				out = append(out, m)
			}
		}
		return out
	}
}

// watchlist compiles the companies as the configuration does.
func watchlist(companies []company) *match.Watchlist {
	var mc []match.Company
	for _, c := range companies {
		mc = append(mc, match.Company{Name: c.Name, Aliases: c.Aliases, AllNews: true})
	}
	wl, err := match.Compile(mc, nil)
	if err != nil {
		panic(err) // the binary accepted the same watchlist
	}
	return wl
}

// matched returns the items the companies match, in order.
func matched(items []item, companies []company) []int {
	wl := watchlist(companies)
	var out []int
	for i, it := range items {
		if len(wl.Match(match.ItemText(it.title, "", "", ""))) > 0 {
			out = append(out, i)
		}
	}
	return out
}

func maps(m map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func shares(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

var baselineStop = map[string]bool{"the": true, "a": true, "an": true, "of": true, "to": true, "in": true, "on": true,
	"for": true, "and": true, "is": true, "at": true, "as": true, "by": true, "with": true, "from": true, "after": true}

// baselineWords lower-cases, splits at non-letters and strips suffixes.
func baselineWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 2 || baselineStop[w] {
			continue
		}
		for _, suf := range []string{"ing", "ed", "es", "s"} {
			if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
				w = strings.TrimSuffix(w, suf)
				break
			}
		}
		out = append(out, w)
	}
	return out
}
