package match

// MaxSpans is the number of spans kept per TermHit; TermHit.Count has the
// number of occurrences found.
const MaxSpans = 50

// Company is a tracked company as the matcher sees it.
type Company struct {
	Name    string
	Aliases []string
	Exclude []string
	AllNews bool
	Near    int
}

// Topic is a tracked topic.
type Topic struct {
	Name  string
	Terms []string
}

// Text is one item's text, as plain text (see Prepare).
type Text struct {
	Title string
	Body  string
}

// Span is a byte range [Start, End) in Text.Title (InTitle) or Text.Body.
type Span struct {
	Start, End int
	InTitle    bool
}

// TermHit is one tracked word found in a text.
type TermHit struct {
	Term    string // the alias or topic term as configured
	Topic   string // "" for a company alias
	Company string // the company of an alias or exclude phrase; "" for a topic term
	Exclude bool   // Term is one of Company's exclude phrases
	Spans   []Span // title spans first, then body spans, by offset; at most MaxSpans
	Count   int    // occurrences found (Spans may hold fewer)
}

// InTitle reports whether the word was found in the title.
func (h TermHit) InTitle() bool {
	for _, s := range h.Spans {
		if s.InTitle {
			return true
		}
	}
	return false
}

// Hit is one company an item is relevant for, with its reasons. The hits
// of one Match call may share their Topics and Terms slices: treat them as
// read-only.
type Hit struct {
	Company string
	Aliases []TermHit // which aliases (or the name) matched, where, in configuration order
	Topics  []string  // names of topics matched, sorted
	Terms   []TermHit // topic terms that matched, where, by topic then term in configuration order
	InTitle bool      // the company occurs in the title
	Score   float64   // see the package doc
}

// Verdict says whether an item is relevant for one company, and why.
type Verdict struct {
	Hit                // reasons found; Score is 0 when not Relevant
	Relevant bool      // Match would return this Hit
	Reason   string    // why not relevant; "" when Relevant
	Excluded []TermHit // exclude phrases found
}

// Match returns the companies the text is relevant for, best score first.
func (w *Watchlist) Match(t Text) []Hit {
	sc := w.scanners.Get().(*scanner)
	defer w.scanners.Put(sc)
	w.scan(sc, t)
	return w.hits(sc)
}

// hits turns the occurrences found by a scan into the relevant hits.
func (w *Watchlist) hits(sc *scanner) []Hit {
	if len(sc.occs) == 0 {
		return nil
	}
	items := w.itemize(sc)
	if len(items) == 0 || items[0].r.kind != kindAlias {
		return nil
	}
	tt := w.textTerms(sc, items)
	n := 0
	forEachCompany(items, func(int32, []item) { n++ })
	hits := make([]Hit, 0, n)
	order := make([]int32, 0, n)
	forEachCompany(items, func(ci int32, aliases []item) {
		v := w.verdict(sc, tt, ci, aliases, items)
		if v.Relevant {
			hits = append(hits, v.Hit)
			order = append(order, ci)
		}
	})
	if len(hits) == 0 {
		return nil
	}
	sortHits(hits, order)
	return hits
}

// Explain returns one Verdict per company, in the order given to Compile:
// whether the text is relevant for it and, when not, why. It is what
// `newswatch check -item` shows.
func (w *Watchlist) Explain(t Text) []Verdict {
	sc := w.scanners.Get().(*scanner)
	defer w.scanners.Put(sc)
	w.scan(sc, t)
	items := w.itemize(sc)
	out := make([]Verdict, len(w.companies))
	for ci, c := range w.companies {
		out[ci] = Verdict{Hit: Hit{Company: c.Name}, Reason: ReasonNoAlias}
	}
	tt := w.textTerms(sc, items)
	forEachCompany(items, func(ci int32, aliases []item) {
		out[ci] = w.verdict(sc, tt, ci, aliases, items)
	})
	return out
}

// Find returns every alias, exclude phrase and topic term found in the text,
// relevant or not: aliases by company, then exclude phrases, then topic
// terms, each in configuration order.
func (w *Watchlist) Find(t Text) []TermHit {
	sc := w.scanners.Get().(*scanner)
	defer w.scanners.Put(sc)
	w.scan(sc, t)
	items := w.itemize(sc)
	var out []TermHit
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].r == items[i].r {
			j++
		}
		out = append(out, w.termHit(sc, items[i:j], nil, nil))
		i = j
	}
	return out
}

// Reasons a Verdict gives for an item that is not relevant.
const (
	ReasonNoAlias  = "no alias found"
	ReasonExcluded = "excluded"
	ReasonNoTopic  = "no topic term"
	ReasonNotNear  = "no topic term near the company"
)

// forEachCompany calls fn with each company's alias items.
func forEachCompany(items []item, fn func(ci int32, aliases []item)) {
	for i := 0; i < len(items) && items[i].r.kind == kindAlias; {
		j := i + 1
		for j < len(items) && items[j].r.kind == kindAlias && items[j].r.owner == items[i].r.owner {
			j++
		}
		fn(items[i].r.owner, items[i:j])
		i = j
	}
}

// termHit builds the TermHit of one configured term from its items (all
// with the same ref); keep, when not nil, selects the occurrences. With buf,
// the spans are appended to *buf, which must have room for them.
func (w *Watchlist) termHit(sc *scanner, items []item, keep func(o *occ) bool, buf *[]Span) TermHit {
	r := items[0].r
	var th TermHit
	switch r.kind {
	case kindAlias, kindExclude:
		c := w.companies[r.owner]
		th.Company = c.Name
		if r.kind == kindExclude {
			th.Exclude = true
			th.Term = c.Exclude[r.index]
		} else if r.index == 0 {
			th.Term = c.Name
		} else {
			th.Term = c.Aliases[r.index-1]
		}
	case kindTerm:
		tp := w.topics[r.owner]
		th.Topic = tp.Name
		th.Term = tp.Terms[r.index]
	}
	var spans []Span
	if buf != nil {
		spans = (*buf)[len(*buf):len(*buf):cap(*buf)]
	}
	for _, it := range items {
		o := &sc.occs[it.o]
		if keep != nil && !keep(o) {
			continue
		}
		sp := Span{Start: o.start, End: o.end, InTitle: o.title}
		if n := len(spans); n > 0 && spans[n-1] == sp {
			continue
		}
		th.Count++
		if len(spans) < MaxSpans {
			spans = append(spans, sp)
		}
	}
	if buf != nil {
		*buf = (*buf)[:len(*buf)+len(spans)]
		spans = spans[:len(spans):len(spans)]
	}
	th.Spans = spans
	return th
}
