package app

import (
	"fmt"
	"strings"

	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
)

// Backtest is what the watchlist of a configuration makes of stored
// items: per company and per topic, how many items are relevant and a few
// of their titles with the words that matched, and the aliases and terms
// that matched nothing.
type Backtest struct {
	Companies map[string]*Tally
	Topics    map[string]*Tally
	Unmatched []Unmatched // in the configuration's order
}

// Tally counts relevant items and keeps the first samples.
type Tally struct {
	Count int
	// Samples are titles, each followed by its reasons in parentheses.
	Samples []string
	max     int
}

func (t *Tally) add(sample string) {
	t.Count++
	if len(t.Samples) < t.max {
		t.Samples = append(t.Samples, sample)
	}
}

// Unmatched is an alias (Kind "alias") of a company or a term (Kind
// "term") of a topic, named Of, found in no item.
type Unmatched struct {
	Kind, Term, Of string
}

// RunBacktest matches with wl the items each hands over, keeping up to
// samples titles per company and topic, and returns how many items there
// were.
// each calls its function with one item at a time (as store.EachItem
// does): none is kept, so days of items of thousands of feeds are
// backtested in the memory of one.
func RunBacktest(cfg *config.Config, wl *match.Watchlist, each func(func(model.Item) error) error, samples int) (*Backtest, int, error) {
	r := &Backtest{Companies: map[string]*Tally{}, Topics: map[string]*Tally{}}
	for _, c := range cfg.Companies {
		r.Companies[c.Name] = &Tally{max: samples}
	}
	for _, t := range cfg.Topics {
		r.Topics[t.Name] = &Tally{max: samples}
	}
	seen := map[string]bool{} // aliases and terms found in any item
	total := 0
	err := each(func(it model.Item) error {
		total++
		text := match.ItemText(it.Title, it.Summary, it.Content, it.Body)
		for _, th := range wl.Find(text) {
			seen[th.Term] = true
		}
		topicTerms := map[string][]string{}
		for _, h := range wl.Match(text) {
			var aliases []string
			for _, a := range h.Aliases {
				aliases = append(aliases, a.Term)
			}
			var terms []string
			for _, th := range h.Terms {
				terms = append(terms, th.Term)
				topicTerms[th.Topic] = append(topicTerms[th.Topic], th.Term)
			}
			why := strings.Join(aliases, ", ")
			if len(terms) > 0 {
				why += " + " + strings.Join(terms, ", ")
			}
			r.Companies[h.Company].add(fmt.Sprintf("%s  (%s)", text.Title, why))
		}
		for topic, terms := range topicTerms {
			if t, ok := r.Topics[topic]; ok {
				t.add(fmt.Sprintf("%s  (%s)", text.Title, strings.Join(dedupe(terms), ", ")))
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for _, c := range cfg.Companies {
		for _, a := range append([]string{c.Name}, c.Aliases...) {
			if !seen[a] {
				r.Unmatched = append(r.Unmatched, Unmatched{"alias", a, c.Name})
			}
		}
	}
	for _, t := range cfg.Topics {
		for _, term := range t.Terms {
			if !seen[term] {
				r.Unmatched = append(r.Unmatched, Unmatched{"term", term, t.Name})
			}
		}
	}
	return r, total, nil
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
