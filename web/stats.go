package web

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode"

	"newswatch/config"
	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// Precision is, per alias and per topic term, how many stored items it
// made relevant lately and how many of the items marked not relevant it
// made relevant; and per company an exclude phrase to suggest.
type Precision struct {
	matches map[string]int // key company NUL alias, or NUL term
	marked  map[string]int
	suggest map[string]string
}

// Alias returns the recent relevant matches of a company's alias (or its
// name) and the marked items it matched.
func (p *Precision) Alias(company, alias string) (matches, marked int) {
	return p.matches[company+"\x00"+alias], p.marked[company+"\x00"+alias]
}

// Term returns the recent relevant matches of a topic term and the marked
// items it matched.
func (p *Precision) Term(term string) (matches, marked int) {
	return p.matches["\x00"+term], p.marked["\x00"+term]
}

// Suggest returns a phrase that the items marked not relevant for the
// company share and its relevant items lack, to add to its exclude list;
// "" when there is none.
func (p *Precision) Suggest(company string) string { return p.suggest[company] }

// MeasurePrecision counts the watchlist's relevant matches on the items
// stored since then, and every mark, whenever made.
func MeasurePrecision(ctx context.Context, db *store.Store, cfg *config.Config, wl *match.Watchlist, since time.Time) (*Precision, error) {
	st := &state{cfg: cfg, wl: wl}
	out := &Precision{matches: map[string]int{}, marked: map[string]int{}, suggest: map[string]string{}}
	var all []string
	for _, c := range st.cfg.Companies {
		all = append(all, c.Name)
		all = append(all, c.Aliases...)
	}
	if len(all) == 0 {
		return out, nil
	}
	// The phrases that follow an alias in relevant, unmarked items: an
	// exclude phrase drawn from the marked ones must not be one of them.
	kept := map[string]bool{}
	byCompany, err := db.Marks(ctx)
	if err != nil {
		return nil, err
	}
	marks := marksByItem(byCompany, cfg)
	q := store.SearchQuery{AnyOf: [][]string{all}, Since: since}
	err = db.SearchEach(ctx, q, func(it model.Item) (bool, error) {
		f := weigh(st, nil, it, marks[it.ID])
		for _, h := range f.Hits {
			for _, a := range h.Aliases {
				out.matches[h.Company+"\x00"+a.Term]++
				for _, p := range following(f.Text.Title+"\n"+f.Text.Body, a.Term) {
					kept[h.Company+"\x00"+p] = true
				}
			}
			for _, t := range h.Terms {
				out.matches["\x00"+t.Term]++
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	marked, err := markedItems(ctx, db, marks)
	if err != nil {
		return nil, err
	}
	for _, c := range st.cfg.Companies {
		ids := byCompany[c.Name]
		if len(ids) == 0 {
			continue
		}
		items := make([]model.Item, 0, len(ids))
		for _, id := range ids {
			if it, ok := marked[id]; ok {
				items = append(items, it)
			}
		}
		phrases := map[string]int{}
		for _, it := range items {
			f := weigh(st, nil, it, nil)
			for _, v := range f.Verdicts {
				if v.Company != c.Name || !v.Relevant {
					continue
				}
				for _, a := range v.Aliases {
					out.marked[c.Name+"\x00"+a.Term]++
					for _, p := range following(f.Text.Title+"\n"+f.Text.Body, a.Term) {
						if !kept[c.Name+"\x00"+p] {
							phrases[p]++
						}
					}
				}
				for _, t := range v.Terms {
					out.marked["\x00"+t.Term]++
				}
			}
		}
		out.suggest[c.Name] = best(phrases)
	}
	return out, nil
}

// following returns, for each place the alias occurs in text (ignoring
// case), the alias with the word after it: "Alibaba Pictures". Positions
// are found in the lower-cased text; when lower-casing changed the text's
// length (Ⱥ, İ), the phrases come from the lower-cased text too, whose
// positions they are.
func following(text, alias string) []string {
	var out []string
	lower, la := strings.ToLower(text), strings.ToLower(alias)
	src := text
	if len(lower) != len(text) {
		src = lower
	}
	notWord := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for at := 0; ; {
		i := strings.Index(lower[at:], la)
		if i < 0 {
			return out
		}
		start := at + i
		end := start + len(la)
		at = end
		rest := src[end:]
		if !strings.HasPrefix(rest, " ") {
			continue
		}
		rest = strings.TrimLeft(rest, " ")
		n := strings.IndexFunc(rest, notWord)
		if n < 0 {
			n = len(rest)
		}
		if n == 0 {
			continue
		}
		out = append(out, src[start:end]+" "+rest[:n])
	}
}

// best is the phrase seen most often (alphabetically first of equals).
func best(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// markedItems reads the items of marks at once, by ID.
func markedItems(ctx context.Context, db *store.Store, marks map[int64][]string) (map[int64]model.Item, error) {
	ids := make([]int64, 0, len(marks))
	for id := range marks {
		ids = append(ids, id)
	}
	items, err := db.ItemsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]model.Item, len(items))
	for _, it := range items {
		out[it.ID] = it
	}
	return out, nil
}
