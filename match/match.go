// Package match finds tracked companies and topics in news text (SPEC §3).
package match

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
	Term  string // the alias or topic term as configured
	Topic string // "" for a company alias
	Spans []Span
}

// Hit is one company an item is relevant for, with its reasons.
type Hit struct {
	Company string
	Aliases []TermHit // which aliases (or the name) matched, where
	Topics  []string  // names of topics matched, sorted
	Terms   []TermHit // topic terms that matched, where
	InTitle bool      // the company occurs in the title
	Score   float64
}

// Watchlist is a compiled set of companies and topics, safe for concurrent use.
type Watchlist struct{}

// Compile builds a Watchlist.
func Compile(companies []Company, topics []Topic) (*Watchlist, error) { panic("unimplemented") }

// Match returns the companies the text is relevant for, best score first.
func (w *Watchlist) Match(t Text) []Hit { panic("unimplemented") }

// Prepare turns feed HTML or text into plain text: tags removed (script and
// style dropped with their content), entities decoded (twice-escaped too),
// whitespace collapsed.
func Prepare(s string) string { panic("unimplemented") }
