package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/internal/safetext"
	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// searchParams are a search's filters, from the API's or the page's query.
type searchParams struct {
	Q, Company, Topic, Source string
	Since, Until              time.Time
	Matched                   bool
	Limit                     int
}

// found is one item of a search with what the watchlist makes of it.
type found struct {
	model.Item
	Text      match.Text
	Hits      []match.Hit // relevant companies, less those marked not relevant
	Marked    []string    // companies it was marked not relevant for
	Verdicts  []match.Verdict
	Snippet   string
	Marks     []match.Span // in Snippet
	TitleMark []match.Span // in Text.Title
}

// Companies returns the names of the relevant companies.
func (f found) Companies() []string {
	out := []string{}
	for _, h := range f.Hits {
		out = append(out, h.Company)
	}
	return out
}

// Topics returns the topics of the relevant companies' hits.
func (f found) Topics() []string {
	out := []string{}
	for _, h := range f.Hits {
		for _, t := range h.Topics {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// Terms returns the aliases and terms that made it relevant.
func (f found) Terms() []string {
	out := []string{}
	for _, h := range f.Hits {
		for _, th := range append(slices.Clone(h.Aliases), h.Terms...) {
			if !slices.Contains(out, th.Term) {
				out = append(out, th.Term)
			}
		}
	}
	return out
}

// earliest and latest bound the dates a search passes to the store;
// outside them a date means "no bound" or "nothing".
var (
	earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// snippetSize is the length of a search result's snippet, in bytes.
const snippetSize = 280

// search runs p: full text through the store; the company, topic and
// matched filters through the match engine, as digests and check use it,
// on the items the text index lets through.
func (s *Server) search(ctx context.Context, st *state, p searchParams) (total int, about bool, list []found, err error) {
	// Past these a bound excludes every item, or none.
	if !p.Since.IsZero() && p.Since.After(latest) || !p.Until.IsZero() && p.Until.Before(earliest) ||
		!p.Since.IsZero() && !p.Until.IsZero() && !p.Until.After(p.Since) {
		return 0, false, nil, nil
	}
	if p.Since.Before(earliest) {
		p.Since = time.Time{}
	}
	if p.Until.After(latest) {
		p.Until = time.Time{}
	}
	q := store.SearchQuery{Text: p.Q, Source: p.Source, Since: p.Since, Until: p.Until, Limit: p.Limit}
	var companies []string
	switch {
	case p.Company != "":
		for _, c := range st.cfg.Companies {
			if sameName(c.Name, p.Company) {
				q.AnyOf = append(q.AnyOf, append([]string{c.Name}, c.Aliases...))
				companies = []string{c.Name}
				p.Company = c.Name // as configured: the filters below compare names
			}
		}
		if companies == nil {
			return 0, false, nil, fmt.Errorf("%w: company %q", errUnknown, p.Company)
		}
	case p.Matched || p.Topic != "":
		var all []string
		for _, c := range st.cfg.Companies {
			all = append(all, c.Name)
			all = append(all, c.Aliases...)
		}
		q.AnyOf = append(q.AnyOf, all)
	}
	if p.Topic != "" {
		i := slices.IndexFunc(st.cfg.Topics, func(t config.Topic) bool { return sameName(t.Name, p.Topic) })
		if i < 0 {
			return 0, false, nil, fmt.Errorf("%w: topic %q", errUnknown, p.Topic)
		}
		p.Topic = st.cfg.Topics[i].Name
		q.AnyOf = append(q.AnyOf, st.cfg.Topics[i].Terms)
	}
	words := queryWatchlist(p.Q)
	if len(q.AnyOf) == 0 {
		res, err := s.opts.Store.Search(ctx, q)
		if err != nil {
			return 0, false, nil, err
		}
		out, err := s.describe(ctx, st, words, res.Items)
		return res.Total, res.Estimated, out, err
	}
	var out []found
	marks, err := allMarks(ctx, s.opts.Store, st.cfg)
	if err != nil {
		return 0, false, nil, err
	}
	ids, err := s.opts.Store.SearchIDs(ctx, q)
	if err != nil {
		return 0, false, nil, err
	}
	checked := 0
	for start := 0; start < len(ids) && (len(out) < p.Limit || checked < exactUpTo); start += weighBatch {
		items, err := s.opts.Store.ItemsByIDs(ctx, ids[start:min(start+weighBatch, len(ids))])
		if err != nil {
			return 0, false, nil, err
		}
		for _, it := range items {
			checked++
			f := weigh(st, words, it, marks[it.ID])
			keep := len(f.Hits) > 0
			if p.Company != "" {
				keep = slices.Contains(f.Companies(), p.Company)
			}
			if keep && p.Topic != "" {
				keep = slices.Contains(f.Topics(), p.Topic)
			}
			if keep {
				total++
				if len(out) < p.Limit {
					out = append(out, f)
				}
			}
		}
	}
	if checked < len(ids) {
		// The rest is estimated from the share of the items weighed.
		return total + (len(ids)-checked)*total/checked, true, out, nil
	}
	return total, false, out, nil
}

// exactUpTo is how many items the text index lets through that a company,
// topic or "matched" filter weighs for its total; past it, once the page
// is full, the total is estimated from the share of those that matched.
var exactUpTo = 1000

// weighBatch is how many items such a filter reads at once.
const weighBatch = 250

// allMarks returns the companies of cfg each item was marked not relevant
// for, in the watchlist's order.
func allMarks(ctx context.Context, st *store.Store, cfg *config.Config) (map[int64][]string, error) {
	byCompany, err := st.Marks(ctx)
	if err != nil {
		return nil, err
	}
	return marksByItem(byCompany, cfg), nil
}

// marksByItem turns marks by company into the companies of cfg each item
// was marked for, in the watchlist's order.
func marksByItem(byCompany map[string][]int64, cfg *config.Config) map[int64][]string {
	marks := map[int64][]string{}
	for _, c := range cfg.Companies {
		for _, id := range byCompany[c.Name] {
			marks[id] = append(marks[id], c.Name)
		}
	}
	return marks
}

// describe weighs the items of one page of results.
func (s *Server) describe(ctx context.Context, st *state, words *match.Watchlist, items []model.Item) ([]found, error) {
	out := make([]found, len(items))
	for i, it := range items {
		out[i] = weigh(st, words, it, nil)
	}
	return s.withMarks(ctx, st, words, out)
}

// withMarks takes the companies an item was marked not relevant for out
// of its hits.
func (s *Server) withMarks(ctx context.Context, st *state, words *match.Watchlist, list []found) ([]found, error) {
	ids := make([]int64, len(list))
	for i, f := range list {
		ids[i] = f.ID
	}
	marks, err := s.opts.Store.NotRelevant(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, f := range list {
		if m := marks[f.ID]; len(m) > 0 {
			list[i] = weigh(st, words, f.Item, m)
		}
	}
	return list, nil
}

// weigh matches one item and cuts its snippet around the words found.
func weigh(st *state, words *match.Watchlist, it model.Item, marked []string) found {
	f := found{Item: it, Text: match.ItemText(it.Title, it.Summary, it.Content, it.Body), Marked: marked}
	f.Verdicts = st.wl.Explain(f.Text)
	var spans []match.Span
	for _, v := range f.Verdicts {
		if !v.Relevant {
			continue
		}
		if !slices.Contains(marked, v.Company) {
			f.Hits = append(f.Hits, v.Hit)
		}
		for _, th := range append(slices.Clone(v.Aliases), v.Terms...) {
			spans = append(spans, th.Spans...)
		}
	}
	if words != nil {
		for _, th := range words.Find(f.Text) {
			spans = append(spans, th.Spans...)
		}
	}
	var body []match.Span
	for _, sp := range spans {
		if sp.InTitle {
			f.TitleMark = append(f.TitleMark, sp)
		} else {
			body = append(body, sp)
		}
	}
	slices.SortFunc(body, func(a, b match.Span) int { return a.Start - b.Start })
	f.Snippet, f.Marks = match.Snippet(f.Text.Body, body, snippetSize)
	if len(body) == 0 && len(f.Text.Body) > snippetSize {
		f.Snippet, f.Marks = match.Snippet(f.Text.Body, []match.Span{{Start: 0, End: 1}}, snippetSize)
		f.Marks = nil
	}
	f.TitleMark = merge(f.TitleMark)
	// Shown as digests show it; marks past the cut are dropped when drawn.
	f.Text.Title = safetext.Short(f.Text.Title, maxTitle)
	return f
}

// maxTitle is the most of a title a page shows, in characters, as in
// digests: a feed can send a megabyte of title.
const maxTitle = 300

// merge sorts spans and joins those that overlap.
func merge(spans []match.Span) []match.Span {
	slices.SortFunc(spans, func(a, b match.Span) int { return a.Start - b.Start })
	var out []match.Span
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.Start <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, sp.End)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// queryWatchlist compiles the searched words and phrases, to mark them in
// snippets; nil when there are none.
func queryWatchlist(q string) *match.Watchlist {
	terms := store.ParseTerms(q).Include
	var keep []string
	for _, t := range terms {
		// The match engine takes a word in capitals as case-sensitive;
		// a search is not.
		keep = append(keep, strings.ToLower(t))
	}
	if len(keep) == 0 {
		return nil
	}
	wl, err := match.Compile(nil, []match.Topic{{Name: "search", Terms: keep}})
	if err != nil {
		return nil
	}
	return wl
}
