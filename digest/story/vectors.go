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
	roundup   bool     // a headline naming several events (see roundup)
	polarity  int8     // +1 affirms, -1 denies, 0 neither (see polarity)
}

// weight is one term's weight in a vector sorted by term.
type weight struct {
	term int32
	w    float64
}

// vocabulary numbers terms densely: words, pairs of adjacent words and
// entities each get their own number.
type vocabulary struct {
	words      map[string]int32
	pairs      map[uint64]int32
	entities   map[int32]int32 // word → its entity
	entityWord map[int32]int32 // entity → its word
	n          int32
}

func newVocabulary() *vocabulary {
	return &vocabulary{words: map[string]int32{}, pairs: map[uint64]int32{}, entities: map[int32]int32{}, entityWord: map[int32]int32{}}
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
		v.entityWord[k] = w
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
	names    []int32   // words of the names of the companies the item matched
	text     int       // distinct words of the text
	polarity int8      // of the title
}

// vectors tokenises every candidate and builds its weighted vector; the
// history texts only count towards document frequencies.
func vectors(ctx context.Context, cs []Candidate, history []string, p params) ([]doc, int32, error) {
	tz := newTokenizer()
	voc := newVocabulary()
	names, titles := headlineNames(tz, cs)
	cnt := newCounter(tz, voc, names)
	raw := make([]counts, len(cs))
	for i := range cs {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		raw[i] = cnt.count(&cs[i], titles[i])
	}
	df, err := documentFrequencies(ctx, tz, voc, raw, history)
	if err != nil {
		return nil, 0, err
	}
	// A matched topic term is in the items because they were selected by
	// it, so it tells little about which event an item reports: its words
	// weigh as a word every item holds, the least a word weighs.
	everywhere := len(cs) + len(history)
	for _, c := range cs {
		for _, term := range c.Terms {
			for _, k := range knownTerms(tz, voc, term) {
				df[k] = everywhere
			}
		}
	}
	n := float64(everywhere)
	idf := make([]float64, len(df))
	for k, d := range df {
		idf[k] = math.Log((n+1)/float64(d+1)) + 1
	}
	docs := make([]doc, len(cs))
	for i := range cs {
		docs[i] = weigh(&cs[i], &raw[i], idf, p)
	}
	return docs, voc.n, nil
}

// counter counts the terms of one item at a time; its maps are reused.
type counter struct {
	tz      *tokenizer
	voc     *vocabulary
	names   map[string]bool // words that are names in the digest's headlines
	tf      map[int32]int
	inTitle map[int32]bool
	ents    map[int32]bool
	inText  map[int32]bool
	isName  map[int32]bool
}

func newCounter(tz *tokenizer, voc *vocabulary, names map[string]bool) *counter {
	return &counter{tz: tz, voc: voc, names: names,
		tf: map[int32]int{}, inTitle: map[int32]bool{}, ents: map[int32]bool{}, inText: map[int32]bool{}, isName: map[int32]bool{}}
}

// count tokenises one item: title terms count titleBoost times, pairs of
// adjacent words count as terms, and entities come from the text's
// capitals, or from the headline's names when the text has none.
func (cn *counter) count(c *Candidate, title []token) counts {
	clear(cn.tf)
	clear(cn.inTitle)
	clear(cn.ents)
	clear(cn.inText)
	clear(cn.isName)
	r := counts{polarity: polarity(title)}
	// The names of the companies the item matched are in every item of
	// their section: they stay words (they are what tells one company's
	// event from another's), and weigh by how rare they are in the digest.
	var companies [][]string
	for _, co := range c.Companies {
		if ts := terms(cn.tz.tokens(co)); len(ts) > 0 {
			companies = append(companies, ts)
		}
	}
	titleNames := cn.countTitle(&r, title, nameMask(title, companies))
	text := cn.tz.tokens(c.Text)
	cn.countText(&r, text, nameMask(text, companies))
	// An item with text takes its names from the text, where capitals
	// mean more; a headline alone gives its own.
	if len(r.entities) == 0 {
		for _, k := range titleNames {
			r.entities = cn.addEntity(r.entities, k)
		}
	}
	for _, e := range r.entities {
		if w, ok := cn.voc.entityWord[e]; ok && cn.isName[w] {
			cn.isName[e] = true
		}
	}
	for k := range cn.isName {
		r.names = append(r.names, k)
	}
	slices.Sort(r.names)
	r.text = len(cn.inText)
	r.tf = make([]counted, 0, len(cn.tf))
	for k, n := range cn.tf {
		r.tf = append(r.tf, counted{k, n})
	}
	slices.SortFunc(r.tf, func(a, b counted) int { return cmp.Compare(a.term, b.term) })
	return r
}

// countTitle counts the headline's terms (names marks the words of a
// matched company's name) and returns the words that are names.
func (cn *counter) countTitle(r *counts, title []token, names []bool) []int32 {
	var titleNames []int32
	prev, prevName := int32(-1), false
	for j, t := range title {
		k := cn.voc.word(t.term)
		if t.class {
			cn.addTitle(r, k)
			continue
		}
		if t.strong || cn.names[t.term] {
			titleNames = append(titleNames, k)
		}
		// Two headlines that share a pair of words in a row ("true
		// detective", "gas prices") share more than the two words.
		pair := pairOf(cn.voc, prev, k)
		cn.markName(k, pair, names[j], prevName)
		cn.addTitle(r, k)
		if pair >= 0 {
			cn.addTitle(r, pair)
		}
		prev, prevName = k, names[j]
	}
	return titleNames
}

// countText counts the text's terms and entities (names marks the words
// of a matched company's name).
func (cn *counter) countText(r *counts, text []token, names []bool) {
	prev, prevName := int32(-1), false
	for j, t := range text {
		k := cn.voc.word(t.term)
		cn.tf[k]++
		cn.inText[k] = true
		if t.class {
			continue
		}
		pair := pairOf(cn.voc, prev, k)
		if pair >= 0 {
			cn.tf[pair]++
		}
		cn.markName(k, pair, names[j], prevName)
		prev, prevName = k, names[j]
		// A headline is capitalised by style, not by meaning: only the
		// text's capitals and acronyms make entities.
		if t.strong || (t.capital && !t.sentenceStart) {
			r.entities = cn.addEntity(r.entities, k)
		}
	}
}

// markName records a word of a company's name, and a pair holding one.
func (cn *counter) markName(word, pair int32, isName, prevName bool) {
	if isName {
		cn.isName[word] = true
	}
	if pair >= 0 && (isName || prevName) {
		cn.isName[pair] = true
	}
}

// addTitle counts a title term.
func (cn *counter) addTitle(r *counts, term int32) {
	if !cn.inTitle[term] {
		cn.inTitle[term] = true
		r.title = append(r.title, term)
	}
	cn.tf[term] += titleBoost
}

func (cn *counter) addEntity(ents []int32, word int32) []int32 {
	if e := cn.voc.entity(word); !cn.ents[e] {
		cn.ents[e] = true
		ents = append(ents, e)
	}
	return ents
}

// documentFrequencies counts the items and history texts holding each
// term; history terms the digest does not use are not counted.
func documentFrequencies(ctx context.Context, tz *tokenizer, voc *vocabulary, raw []counts, history []string) ([]int, error) {
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
			return nil, ctx.Err()
		}
		clear(seen)
		for _, k := range knownTerms(tz, voc, text) {
			seen[k] = true
		}
		for k := range seen {
			df[k]++
		}
	}
	return df, nil
}

// knownTerms returns the terms of text the vocabulary already holds:
// words, pairs of adjacent words and entities.
func knownTerms(tz *tokenizer, voc *vocabulary, text string) []int32 {
	var out []int32
	prev := int32(-1)
	for _, t := range tz.tokens(text) {
		k, ok := voc.words[t.term]
		if !ok {
			prev = -1
			continue
		}
		out = append(out, k)
		if t.class {
			continue
		}
		if prev >= 0 {
			if b, ok := voc.pairs[uint64(uint32(prev))<<32|uint64(uint32(k))]; ok {
				out = append(out, b)
			}
		}
		if e, ok := voc.entities[k]; ok {
			out = append(out, e)
		}
		prev = k
	}
	return out
}

// weigh turns one item's counts into its unit vector: TF-IDF of the text
// (sublinear term frequency), plus the title vector at titleWeight and
// the entity vector at p.entityWeight. A matched company's name weighs
// its IDF less one: nothing when every item names it, nearly its full
// weight when few do.
func weigh(c *Candidate, r *counts, idf []float64, p params) doc {
	d := doc{
		source:    strings.ToLower(strings.TrimSpace(c.Source)),
		dated:     !c.Published.IsZero(),
		unix:      c.Published.Unix(),
		textTerms: r.text,
		roundup:   roundup(c.Title),
		polarity:  r.polarity,
	}
	for _, co := range c.Companies {
		d.companies = append(d.companies, strings.ToLower(strings.TrimSpace(co)))
	}
	slices.Sort(d.companies)
	d.companies = slices.Compact(d.companies)
	name := func(k int32) float64 {
		if _, ok := slices.BinarySearch(r.names, k); ok {
			return (idf[k] - 1) / idf[k]
		}
		return 1
	}
	text := make([]weight, len(r.tf))
	for x, c := range r.tf {
		text[x] = weight{c.term, (1 + math.Log(float64(c.n))) * idf[c.term] * name(c.term)}
	}
	normalise(text)
	title := make([]weight, len(r.title))
	for x, k := range r.title {
		title[x] = weight{k, idf[k] * name(k)}
	}
	normalise(title)
	ent := make([]weight, len(r.entities))
	for x, k := range r.entities {
		ent[x] = weight{k, idf[k] * name(k)}
	}
	normalise(ent)
	d.vec = addScaled(addScaled(text, title, titleWeight), ent, p.entityWeight)
	normalise(d.vec)
	return d
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

// nameMask marks the tokens that belong to an occurrence of a name.
func nameMask(toks []token, names [][]string) []bool {
	out := make([]bool, len(toks))
	for i := range toks {
		for _, nm := range names {
			if i+len(nm) <= len(toks) && slices.EqualFunc(toks[i:i+len(nm)], nm, func(t token, s string) bool { return t.term == s }) {
				for j := range nm {
					out[i+j] = true
				}
			}
		}
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
