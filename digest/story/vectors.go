package story

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
)

// doc is one candidate reduced to what comparisons need.
type doc struct {
	source    string
	dated     bool
	unix      int64    // published, in seconds
	companies []string // lower-cased, sorted
	vec       []weight // unit vector: text and title terms, sorted by term
	textTerms int      // distinct terms of the text, title left out
}

// weight is one term's weight in a vector sorted by term.
type weight struct {
	term int32
	w    float64
}

// vectors tokenises every candidate and builds its weighted vector; the
// history texts only count towards document frequencies.
func vectors(ctx context.Context, cs []Candidate, history []string, p params) ([]doc, error) {
	tz := newTokenizer()
	ids := map[string]int32{}
	id := func(t string) int32 {
		v, ok := ids[t]
		if !ok {
			v = int32(len(ids))
			ids[t] = v
		}
		return v
	}
	type counts struct {
		tf       map[int32]int
		title    []int32
		entities map[int32]bool
		text     int
	}
	raw := make([]counts, len(cs))
	var df []int
	count := func(terms map[int32]int) {
		for k := range terms {
			for int(k) >= len(df) {
				df = append(df, 0)
			}
			df[k]++
		}
	}
	for i, c := range cs {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := counts{tf: map[int32]int{}, entities: map[int32]bool{}}
		// A tracked company's name is in nearly every item of its section,
		// and the company gate already weighs it: as words it only blurs
		// one event into the next. Only the whole name goes, and only from
		// the items that matched it ("American" stays in an item that
		// matched American Airlines but names American Express).
		var names [][]string
		for _, co := range c.Companies {
			if ts := terms(tz.tokens(co)); len(ts) > 0 {
				names = append(names, ts)
			}
		}
		titleToks := dropNames(tz.tokens(cleanTitle(c.Title)), names)
		textToks := dropNames(tz.tokens(c.Text), names)
		for x, t := range titleToks {
			k := id(t.term)
			if r.tf[k] == 0 {
				r.title = append(r.title, k)
			}
			r.tf[k] += titleBoost
			// Two headlines that share a pair of words in a row ("true
			// detective", "gas prices") share more than the two words.
			if x > 0 {
				b := id(titleToks[x-1].term + " " + t.term)
				if r.tf[b] == 0 {
					r.title = append(r.title, b)
				}
				r.tf[b] += titleBoost
			}
		}
		inText := map[int32]bool{}
		for x, t := range textToks {
			k := id(t.term)
			r.tf[k]++
			inText[k] = true
			if x > 0 {
				r.tf[id(textToks[x-1].term+" "+t.term)]++
			}
			if t.strong || (t.capital && !t.sentenceStart) {
				r.entities[k] = true
			}
		}
		r.text = len(inText)
		count(r.tf)
		raw[i] = r
	}
	seen := map[int32]int{}
	for h, text := range history {
		if h%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		clear(seen)
		for _, t := range tz.tokens(text) {
			if k, ok := ids[t.term]; ok { // other terms weigh nothing here
				seen[k] = 1
			}
		}
		count(seen)
	}
	n := float64(len(cs) + len(history))
	idf := make([]float64, len(df))
	for k, d := range df {
		idf[k] = math.Log((n+1)/float64(d+1)) + 1
	}

	docs := make([]doc, len(cs))
	for i, c := range cs {
		r := raw[i]
		d := &docs[i]
		d.source = strings.ToLower(strings.TrimSpace(c.Source))
		d.dated = !c.Published.IsZero()
		d.unix = c.Published.Unix()
		for _, co := range c.Companies {
			d.companies = append(d.companies, strings.ToLower(strings.TrimSpace(co)))
		}
		slices.Sort(d.companies)
		d.companies = slices.Compact(d.companies)
		d.textTerms = r.text
		text := make([]weight, 0, len(r.tf))
		for k, f := range r.tf {
			text = append(text, weight{k, (1 + math.Log(float64(f))) * idf[k]})
		}
		normalise(text)
		title := make([]weight, 0, len(r.title))
		for _, k := range r.title {
			title = append(title, weight{k, idf[k]})
		}
		normalise(title)
		ents := make([]weight, 0, len(r.entities))
		for k := range r.entities {
			ents = append(ents, weight{k + entityBase, idf[k]})
		}
		normalise(ents)
		d.vec = addScaled(addScaled(text, title, titleWeight), ents, p.entityWeight)
		normalise(d.vec)
	}
	return docs, nil
}

// entityBase sets entity terms apart from words in a vector: an entity
// adds to the words it is made of.
const entityBase = 1 << 30

// terms returns the terms of toks.
func terms(toks []token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.term
	}
	return out
}

// dropNames removes every occurrence of a name's whole term sequence.
func dropNames(toks []token, names [][]string) []token {
	if len(names) == 0 {
		return toks
	}
	out := toks[:0:0]
	for i := 0; i < len(toks); {
		skip := 0
		for _, nm := range names {
			if i+len(nm) <= len(toks) && slices.EqualFunc(toks[i:i+len(nm)], nm, func(t token, s string) bool { return t.term == s }) {
				skip = max(skip, len(nm))
			}
		}
		if skip > 0 {
			i += skip
			continue
		}
		out = append(out, toks[i])
		i++
	}
	return out
}

// addScaled returns a + f·b for two vectors sorted by term.
func addScaled(a, b []weight, f float64) []weight {
	out := make([]weight, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].term < b[j].term):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].term < a[i].term:
			out = append(out, weight{b[j].term, f * b[j].w})
			j++
		default:
			out = append(out, weight{a[i].term, a[i].w + f*b[j].w})
			i++
			j++
		}
	}
	return out
}

// normalise sorts v by term and scales it to unit length.
func normalise(v []weight) {
	slices.SortFunc(v, func(a, b weight) int { return cmp.Compare(a.term, b.term) })
	var ss float64
	for _, w := range v {
		ss += w.w * w.w
	}
	if ss == 0 {
		return
	}
	norm := math.Sqrt(ss)
	for i := range v {
		v[i].w /= norm
	}
}
