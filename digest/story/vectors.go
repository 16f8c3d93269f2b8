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

// vocabulary numbers terms densely: words, pairs of adjacent words and
// entities each get their own number.
type vocabulary struct {
	words    map[string]int32
	pairs    map[uint64]int32
	entities map[int32]int32
	n        int32
}

func newVocabulary() *vocabulary {
	return &vocabulary{words: map[string]int32{}, pairs: map[uint64]int32{}, entities: map[int32]int32{}}
}

func (v *vocabulary) next() int32 { v.n++; return v.n - 1 }

func (v *vocabulary) word(t string) int32 {
	k, ok := v.words[t]
	if !ok {
		k = v.next()
		v.words[t] = k
	}
	return k
}

func (v *vocabulary) pair(a, b int32) int32 {
	key := uint64(uint32(a))<<32 | uint64(uint32(b))
	k, ok := v.pairs[key]
	if !ok {
		k = v.next()
		v.pairs[key] = k
	}
	return k
}

func (v *vocabulary) entity(w int32) int32 {
	k, ok := v.entities[w]
	if !ok {
		k = v.next()
		v.entities[w] = k
	}
	return k
}

// counted is one term's count in one item.
type counted struct {
	term int32
	n    int
}

// counts is what tokenising one item gives.
type counts struct {
	tf       []counted // sorted by term
	title    []int32   // distinct title terms
	entities []int32   // distinct entities
	text     int       // distinct words of the text
}

// vectors tokenises every candidate and builds its weighted vector; the
// history texts only count towards document frequencies.
func vectors(ctx context.Context, cs []Candidate, history []string, p params) ([]doc, int32, error) {
	tz := newTokenizer()
	voc := newVocabulary()
	raw := make([]counts, len(cs))
	tf := map[int32]int{}
	inTitle := map[int32]bool{}
	ents := map[int32]bool{}
	inText := map[int32]bool{}
	names, titles := headlineNames(tz, cs)
	for i, c := range cs {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		clear(tf)
		clear(inTitle)
		clear(ents)
		clear(inText)
		// A tracked company's name is in nearly every item of its section,
		// and the company gate already weighs it: as words it only blurs
		// one event into the next. Only the whole name goes, and only from
		// the items that matched it ("American" stays in an item that
		// matched American Airlines but names American Express).
		var companies [][]string
		for _, co := range c.Companies {
			if ts := terms(tz.tokens(co)); len(ts) > 0 {
				companies = append(companies, ts)
			}
		}
		var r counts
		var titleNames []int32
		prev := int32(-1)
		for _, t := range dropNames(titles[i], companies) {
			k := voc.word(t.term)
			if t.strong || names[t.term] {
				titleNames = append(titleNames, k)
			}
			// Two headlines that share a pair of words in a row ("true
			// detective", "gas prices") share more than the two words.
			for _, term := range []int32{k, pairOf(voc, prev, k)} {
				if term < 0 {
					continue
				}
				if !inTitle[term] {
					inTitle[term] = true
					r.title = append(r.title, term)
				}
				tf[term] += titleBoost
			}
			prev = k
		}
		prev = -1
		for _, t := range dropNames(tz.tokens(c.Text), companies) {
			k := voc.word(t.term)
			tf[k]++
			inText[k] = true
			if b := pairOf(voc, prev, k); b >= 0 {
				tf[b]++
			}
			prev = k
			// A headline is capitalised by style, not by meaning: only
			// the text's capitals and acronyms make entities.
			if t.strong || (t.capital && !t.sentenceStart) {
				if e := voc.entity(k); !ents[e] {
					ents[e] = true
					r.entities = append(r.entities, e)
				}
			}
		}
		// An item with text takes its names from the text, where capitals
		// mean more; a headline alone gives its own.
		if len(r.entities) == 0 {
			for _, k := range titleNames {
				if e := voc.entity(k); !ents[e] {
					ents[e] = true
					r.entities = append(r.entities, e)
				}
			}
		}
		r.text = len(inText)
		r.tf = make([]counted, 0, len(tf))
		for k, n := range tf {
			r.tf = append(r.tf, counted{k, n})
		}
		slices.SortFunc(r.tf, func(a, b counted) int { return cmp.Compare(a.term, b.term) })
		raw[i] = r
	}
	df := make([]int, voc.n)
	for _, r := range raw {
		for _, c := range r.tf {
			df[c.term]++
		}
		for _, e := range r.entities {
			df[e]++
		}
	}
	seen := map[int32]bool{}
	for h, text := range history {
		if h%checkEvery == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		clear(seen)
		prev := int32(-1)
		for _, t := range tz.tokens(text) {
			// Terms the digest does not use weigh nothing here.
			k, ok := voc.words[t.term]
			if !ok {
				prev = -1
				continue
			}
			seen[k] = true
			if prev >= 0 {
				if b, ok := voc.pairs[uint64(uint32(prev))<<32|uint64(uint32(k))]; ok {
					seen[b] = true
				}
			}
			if e, ok := voc.entities[k]; ok {
				seen[e] = true
			}
			prev = k
		}
		for k := range seen {
			df[k]++
		}
	}
	// A matched topic term is in the items because they were selected by
	// it, so it tells little about which event an item reports: its words
	// weigh as a word every item holds, the least a word weighs.
	for _, c := range cs {
		for _, term := range c.Terms {
			prev := int32(-1)
			for _, t := range tz.tokens(term) {
				k, ok := voc.words[t.term]
				if ok {
					df[k] = len(cs) + len(history)
					if e, ok := voc.entities[k]; ok {
						df[e] = len(cs) + len(history)
					}
				}
				if ok && prev >= 0 {
					if b, ok := voc.pairs[uint64(uint32(prev))<<32|uint64(uint32(k))]; ok {
						df[b] = len(cs) + len(history)
					}
				}
				prev = -1
				if ok {
					prev = k
				}
			}
		}
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
		text := make([]weight, len(r.tf))
		for x, c := range r.tf {
			text[x] = weight{c.term, (1 + math.Log(float64(c.n))) * idf[c.term]}
		}
		normalise(text)
		title := make([]weight, len(r.title))
		for x, k := range r.title {
			title[x] = weight{k, idf[k]}
		}
		normalise(title)
		ent := make([]weight, len(r.entities))
		for x, k := range r.entities {
			ent[x] = weight{k, idf[k]}
		}
		normalise(ent)
		d.vec = addScaled(addScaled(text, title, titleWeight), ent, p.entityWeight)
		normalise(d.vec)
	}
	return docs, voc.n, nil
}

// pairOf is the term of the pair (a, b), or -1 when a is -1.
func pairOf(voc *vocabulary, a, b int32) int32 {
	if a < 0 {
		return -1
	}
	return voc.pair(a, b)
}

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

// headlineNames learns which words are names from the headlines written
// in sentence case ("Metro-North worker killed by train"), where a capital
// in mid-sentence means a name: a word is a name when it is capitalised
// there more often than it is written in lower case in any headline. A
// headline in title case says nothing by its capitals, but its names are
// found this way too. It returns the names and each headline's tokens.
func headlineNames(tz *tokenizer, cs []Candidate) (map[string]bool, [][]token) {
	upper, lower := map[string]int{}, map[string]int{}
	titles := make([][]token, len(cs))
	for i, c := range cs {
		toks := tz.tokens(cleanTitle(c.Title))
		titles[i] = toks
		mid, caps := 0, 0
		for _, t := range toks {
			if !t.sentenceStart && !t.strong {
				mid++
				if t.capital {
					caps++
				}
			}
		}
		sentenceCase := 2*caps < mid
		for _, t := range toks {
			switch {
			case t.strong || t.sentenceStart:
			case !t.capital:
				lower[t.term]++
			case sentenceCase:
				upper[t.term]++
			}
		}
	}
	names := map[string]bool{}
	for w, n := range upper {
		if n > lower[w] {
			names[w] = true
		}
	}
	return names, titles
}
