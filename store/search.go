package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"newswatch/model"
)

// Terms is a search text taken apart: words and "quoted phrases" an item
// must contain, and -excluded ones (-word, -"a phrase") it must not.
type Terms struct {
	Include []string
	Exclude []string
}

// ParseTerms reads the search syntax: words, "quoted phrases" and
// -excluded words or phrases, case-insensitive. A term without a letter or
// digit is dropped; an unclosed quote runs to the end.
func ParseTerms(q string) Terms {
	var t Terms
	rs := []rune(q)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		neg := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			neg = true
			i++
		}
		var term string
		if rs[i] == '"' {
			end := i + 1
			for end < len(rs) && rs[end] != '"' {
				end++
			}
			term = string(rs[i+1 : end])
			i = end + 1
		} else {
			end := i
			for end < len(rs) && !unicode.IsSpace(rs[end]) {
				end++
			}
			term = string(rs[i:end])
			i = end
		}
		term = strings.Join(strings.Fields(term), " ")
		if !strings.ContainsFunc(term, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			continue
		}
		if neg {
			t.Exclude = append(t.Exclude, term)
		} else {
			t.Include = append(t.Include, term)
		}
	}
	return t
}

// SearchQuery selects stored items for the console.
type SearchQuery struct {
	Text string // in the ParseTerms syntax; "" = every item
	// AnyOf narrows the search before a caller's own test: the item holds
	// at least one phrase of each list (a company's aliases, a topic's
	// terms). The index compares words regardless of case and accents, so
	// this selects at least the items the match engine would.
	AnyOf  [][]string
	Source string    // one of the item's sources; "" = any
	Since  time.Time // published (first seen when unknown) at or after; zero: no bound
	Until  time.Time // published (first seen when unknown) before; zero: no bound
	Limit  int       // Search: at most this many items (0: 50)
}

// SearchResult is one page of a search.
type SearchResult struct {
	Total int          // every item the query selects
	Items []model.Item // the first Limit of them, newest first
	// Estimated: Total is PostgreSQL's estimate of a large number of
	// matches, not a count.
	Estimated bool
}

// Search finds stored items by full text (title, summary, content and
// body; SQLite FTS5 or PostgreSQL's tsvector) and filters, newest first
// as Items orders them. Words in scripts written without spaces (Han,
// Kana, Hangul) are looked for as substrings, without the index.
func (s *Store) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	var res SearchResult
	if err := s.IndexItems(ctx); err != nil {
		return res, err
	}
	p := s.plan(q)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	inIndex := -1 // SQLite: how many items the text index alone selects
	if p.fts != "" {
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM items_fts WHERE items_fts MATCH ?`, p.fts).Scan(&inIndex); err != nil {
			return res, fmt.Errorf("store: search: %w", err)
		}
	}
	switch {
	case p.ts != "":
		if err := s.pgTotal(ctx, p, &res); err != nil {
			return res, err
		}
		p.many = res.Estimated
	case inIndex >= 0 && len(p.conds) == 0 && len(p.idConds) == 0:
		res.Total = inIndex
	case inIndex >= 0 && len(p.conds) == 0:
		// Conditions on the item's ID alone: no item need be read.
		q := `SELECT count(*) FROM items_fts AS fts WHERE items_fts MATCH ?`
		for _, c := range p.idConds {
			q += " AND " + fmt.Sprintf(c, "+fts.rowid")
		}
		if err := s.r.QueryRowContext(ctx, q, append([]any{p.fts}, p.idArgs...)...).Scan(&res.Total); err != nil {
			return res, fmt.Errorf("store: search: %w", err)
		}
	default:
		from, where, args := p.sql(false)
		if err := s.r.QueryRowContext(ctx, s.q(`SELECT count(*) `+from+where), args...).Scan(&res.Total); err != nil {
			return res, fmt.Errorf("store: search: %w", err)
		}
	}
	// Many matches: walk the items newest first and keep the matching ones
	// until the page is full, rather than sort every match by date.
	// A filter on the items' rows (dates, unspaced words) makes every text
	// match cost a read, whatever the total: walk by date then too.
	byDate := inIndex >= 0 && (res.Total > byDateAbove || len(p.conds) > 0 && inIndex > byDateAbove)
	from, where, args := p.sql(byDate)
	ids, err := s.searchIDs(ctx, p, from+where, args, limit)
	if err != nil {
		return res, err
	}
	if res.Items, err = s.ItemsByIDs(ctx, ids); err != nil {
		return res, fmt.Errorf("store: search: %w", err)
	}
	return res, nil
}

// countUpTo is how many matches PostgreSQL counts; past it, the total
// is its planner's estimate.
var countUpTo = 1000

// pgTotal sets the total of a PostgreSQL search. Counting reads the row of
// every match, which for tens of thousands of matches takes longer than
// the search: up to countUpTo the count is exact, past it the total is the
// planner's estimate (never less than countUpTo), and Estimated is set.
func (s *Store) pgTotal(ctx context.Context, p searchPlan, res *SearchResult) error {
	from, where, args := p.sql(false)
	inner := `SELECT 1 ` + from + where
	q, done, err := s.searchReader(ctx, p, false)
	if err != nil {
		return err
	}
	defer done()
	if err := q.QueryRowContext(ctx, s.q(`SELECT count(*) FROM (`+inner+` LIMIT ?) AS m`), append(args, countUpTo+1)...).Scan(&res.Total); err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	if res.Total <= countUpTo {
		return nil
	}
	var plan string
	if err := s.r.QueryRowContext(ctx, s.q(`EXPLAIN (FORMAT JSON) `+inner), args...).Scan(&plan); err != nil {
		return fmt.Errorf("store: search: %w", err)
	}
	var est []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &est); err != nil || len(est) != 1 {
		return fmt.Errorf("store: search: reading the estimate: %w", err)
	}
	res.Total, res.Estimated = max(int(est[0].Plan.Rows), countUpTo+1), true
	return nil
}

// reader is what a search query runs on: the pool, or a transaction.
type reader interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// searchReader returns where a PostgreSQL search's queries run: without
// bitmap scans when the plan says (a source filter: its few items are
// checked one by one rather than every match of the words read) or
// byDate is set, else the pool. done ends the transaction.
func (s *Store) searchReader(ctx context.Context, p searchPlan, byDate bool) (r reader, done func(), err error) {
	if p.ts == "" || (!byDate && !p.bySource) {
		return s.r, func() {}, nil
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("store: search: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_bitmapscan = off`); err != nil {
		tx.Rollback()
		return nil, nil, fmt.Errorf("store: search: %w", err)
	}
	return tx, func() { tx.Rollback() }, nil
}

// byDateAbove is the number of text matches above which a page of
// results is found by walking the date index (SQLite).
var byDateAbove = 3000

// searchBatch is how many items SearchEach reads at once.
const searchBatch = 256

// SearchEach calls fn with every item q selects, newest first, ignoring
// q.Limit, until fn returns false or an error. Items are read searchBatch
// IDs at a time and handed over as they are read, so that one item's text
// is held at a time: fn runs while a read of the store is open, and must
// not wait for another.
func (s *Store) SearchEach(ctx context.Context, q SearchQuery, fn func(model.Item) (bool, error)) error {
	ids, err := s.SearchIDs(ctx, q)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), searchBatch)
		arr, err := s.d.list(ids[:n])
		if err != nil {
			return fmt.Errorf("store: search: %w", err)
		}
		ids = ids[n:]
		var (
			stop  bool
			fnErr error
		)
		err = s.queryItems(ctx, []string{s.d.in("i.id", "bigint")}, []any{arr}, 0, func(it model.Item) error {
			more, err := fn(it)
			if err != nil || !more {
				stop, fnErr = true, err
				return errEnough
			}
			return nil
		})
		if stop {
			return fnErr
		}
		if err != nil {
			return fmt.Errorf("store: search: %w", err)
		}
	}
	return nil
}

// errEnough ends a read whose caller has what it wanted, or failed.
var errEnough = errors.New("store: enough")

// SearchIDs returns the IDs of every item q selects, newest first,
// ignoring q.Limit; ItemsByIDs reads them.
func (s *Store) SearchIDs(ctx context.Context, q SearchQuery) ([]int64, error) {
	if err := s.IndexItems(ctx); err != nil {
		return nil, err
	}
	p := s.plan(q)
	from, where, args := p.sql(false)
	return s.searchIDs(ctx, p, from+where, args, 0)
}

// searchIDs returns the IDs of the items of a plan's query (FROM and
// WHERE), newest first, at most limit (0: all).
func (s *Store) searchIDs(ctx context.Context, p searchPlan, query string, args []any, limit int) ([]int64, error) {
	var b strings.Builder
	if p.ts != "" {
		b.WriteString(`SELECT fts.item_id ` + query + ` ORDER BY fts.at DESC, fts.item_id DESC`)
		if limit > 0 {
			b.WriteString(" LIMIT ?")
			args = append(args, limit)
		}
	} else {
		b.WriteString(`SELECT i.id ` + query)
		args = newestFirst(&b, args, limit)
	}
	// Many matches: the planner, which misjudges how many words of a
	// phrase or of several words occur together, is told to walk the date
	// index rather than read every match's row.
	q, done, err := s.searchReader(ctx, p, p.many && limit > 0)
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := q.QueryContext(ctx, s.q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: search: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	return ids, nil
}

// searchPlan is a search in SQL.
type searchPlan struct {
	fts    string // SQLite: the FTS5 query the items must match; "" = none
	ts     string // PostgreSQL: the condition on the text index item_search AS fts; "" = none
	tsArgs []any
	// needItems: a condition reads items AS i beside the PostgreSQL text
	// index (which carries the item's ID and date).
	needItems bool
	many      bool     // PostgreSQL: more than countUpTo matches
	bySource  bool     // PostgreSQL: a source filter, checked item by item
	idConds   []string // conditions on an item's ID, written with %[1]s for it
	idArgs    []any
	conds     []string // further conditions on items AS i
	args      []any
}

// sql returns the FROM clause, the WHERE clause (with its leading
// " WHERE ", or "") and the arguments. byDate (SQLite) walks the items by
// date and looks each up in the text index's matches, instead of reading
// the matches first.
func (p searchPlan) sql(byDate bool) (from, where string, args []any) {
	// Conditions on the ID are written on the text index's side of a join
	// with it, so they are checked before the item is read.
	// (The unary + keeps FTS5 from taking an IN list of IDs as that
	// many lookups of the whole query.)
	id := "i.id"
	switch {
	case p.fts != "" && !byDate:
		id = "+fts.rowid"
	case p.ts != "":
		id = "fts.item_id"
	}
	var conds []string
	for _, c := range p.idConds {
		conds = append(conds, fmt.Sprintf(c, id))
	}
	conds = append(conds, p.conds...)
	switch {
	case p.fts != "" && byDate:
		from = `FROM items AS i INDEXED BY items_when`
		conds = append([]string{`i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)`}, conds...)
		args = append(args, p.fts)
	case p.fts != "":
		// CROSS JOIN: SQLite reads the index's matches first, then
		// their items, rather than every item.
		from = `FROM items_fts AS fts CROSS JOIN items AS i ON i.id = fts.rowid`
		conds = append([]string{`items_fts MATCH ?`}, conds...)
		args = append(args, p.fts)
	case p.ts != "":
		// The narrow text index alone, unless a condition reads the item.
		from = `FROM item_search AS fts`
		if p.needItems {
			from += ` JOIN items AS i ON i.id = fts.item_id`
		}
		conds = append([]string{p.ts}, conds...)
		args = append(args, p.tsArgs...)
	default:
		from = `FROM items AS i`
	}
	args = append(args, p.idArgs...)
	args = append(args, p.args...)
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return from + " ", where, args
}

// plan turns q into SQL.
func (s *Store) plan(q SearchQuery) searchPlan {
	_, pg := s.d.(postgres)
	terms := ParseTerms(q.Text)
	var (
		p        searchPlan
		indexed  [][]string // each: phrases of which one must be present
		unspaced []string
	)
	for _, t := range terms.Include {
		if hasUnspaced(t) {
			unspaced = append(unspaced, t)
		} else {
			indexed = append(indexed, []string{t})
		}
	}
	for _, group := range q.AnyOf {
		if len(group) > 0 && !slices.ContainsFunc(group, hasUnspaced) {
			indexed = append(indexed, group)
		}
	}
	if len(indexed) > 0 {
		if pg {
			expr, a := tsquery(indexed)
			p.ts, p.tsArgs = `fts.tsv @@ `+expr, a
		} else {
			p.fts = ftsQuery(indexed)
			if len(terms.Exclude) > 0 {
				p.fts = "(" + p.fts + ") NOT " + ftsQuery([][]string{terms.Exclude})
				terms.Exclude = nil
			}
		}
	}
	if len(terms.Exclude) > 0 {
		groups := [][]string{terms.Exclude}
		switch {
		case p.ts != "":
			expr, a := tsquery(groups)
			p.conds = append(p.conds, `NOT (fts.tsv @@ `+expr+`)`)
			p.args = append(p.args, a...)
		case pg:
			expr, a := tsquery(groups)
			p.conds = append(p.conds, `NOT EXISTS (SELECT 1 FROM item_search AS x WHERE x.item_id = i.id AND x.tsv @@ `+expr+`)`)
			p.args = append(p.args, a...)
		default:
			p.conds = append(p.conds, `i.id NOT IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)`)
			p.args = append(p.args, ftsQuery(groups))
		}
	}
	for _, t := range unspaced {
		like := "%" + likeEscaper.Replace(t) + "%"
		p.conds = append(p.conds, `(i.title LIKE ? ESCAPE '\' OR i.summary LIKE ? ESCAPE '\' OR i.content LIKE ? ESCAPE '\' OR i.body LIKE ? ESCAPE '\')`)
		p.args = append(p.args, like, like, like, like)
		p.needItems = true
	}
	if q.Source != "" {
		p.idConds = append(p.idConds, `%[1]s IN (SELECT src.item_id FROM item_sources AS src WHERE src.source = ?)`)
		p.idArgs = append(p.idArgs, q.Source)
		p.bySource = p.ts != ""
	}
	when := `coalesce(i.published, i.first_seen)`
	if p.ts != "" {
		when = `fts.at`
	}
	if t := nullTime(q.Since); t.Valid {
		p.conds = append(p.conds, when+` >= ?`)
		p.args = append(p.args, t)
	}
	if t := nullTime(q.Until); t.Valid {
		p.conds = append(p.conds, when+` < ?`)
		p.args = append(p.args, t)
	}
	return p
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ftsQuery is an FTS5 query: every group holds, one of its phrases at least.
func ftsQuery(groups [][]string) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		alts := make([]string, len(g))
		for j, p := range g {
			alts[j] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		}
		parts[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	return strings.Join(parts, " AND ")
}

// tsquery is a PostgreSQL tsquery expression of the same meaning as
// ftsQuery, with its arguments. Each phrase is folded by search_fold, as
// the index's text is (migrations/postgres/0018_search_fold.sql), so
// accents and case matter no more than they do to SQLite's tokenizer.
func tsquery(groups [][]string) (string, []any) {
	var (
		parts []string
		args  []any
	)
	for _, g := range groups {
		alts := make([]string, 0, len(g))
		for _, p := range g {
			alts = append(alts, `phraseto_tsquery('simple', search_fold(?))`)
			args = append(args, p)
			// Items indexed before the index folded accents, until
			// IndexAgain reaches them, hold the words as written.
			if !isASCII(p) {
				alts = append(alts, `phraseto_tsquery('simple', ?)`)
				args = append(args, p)
			}
		}
		parts = append(parts, "("+strings.Join(alts, " || ")+")")
	}
	return "(" + strings.Join(parts, " && ") + ")", args
}

// isASCII reports whether s is ASCII only, which search_fold leaves as it
// is but for the case.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasUnspaced reports whether s holds a letter of a script written
// without spaces between words, which the index cannot split into words.
func hasUnspaced(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai)
	})
}
