package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

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
	// terms). The index compares words case-insensitively, so this selects
	// at least the items the match engine would.
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
}

// Search finds stored items by full text (title, summary, content and
// body; SQLite FTS5 or PostgreSQL's tsvector) and filters, newest first
// as Items orders them. Words in scripts written without spaces (Han,
// Kana, Hangul) are looked for as substrings, without the index.
func (s *Store) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	from, where, args := s.searchSQL(q)
	var res SearchResult
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT count(*) `+from+where), args...).Scan(&res.Total); err != nil {
		return res, fmt.Errorf("store: search: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	ids, err := s.searchIDs(ctx, from, where, args, limit)
	if err != nil {
		return res, err
	}
	if res.Items, err = s.ItemsByIDs(ctx, ids); err != nil {
		return res, fmt.Errorf("store: search: %w", err)
	}
	return res, nil
}

// searchBatch is how many items SearchEach reads at once.
const searchBatch = 256

// SearchEach calls fn with every item q selects, newest first, ignoring
// q.Limit, until fn returns false or an error.
func (s *Store) SearchEach(ctx context.Context, q SearchQuery, fn func(model.Item) (bool, error)) error {
	from, where, args := s.searchSQL(q)
	ids, err := s.searchIDs(ctx, from, where, args, 0)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), searchBatch)
		items, err := s.ItemsByIDs(ctx, ids[:n])
		if err != nil {
			return fmt.Errorf("store: search: %w", err)
		}
		ids = ids[n:]
		for _, it := range items {
			more, err := fn(it)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

func (s *Store) searchIDs(ctx context.Context, from, where string, args []any, limit int) ([]int64, error) {
	var b strings.Builder
	b.WriteString(`SELECT i.id ` + from + where)
	args = newestFirst(&b, args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(b.String()), args...)
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

// searchSQL returns the FROM clause, the WHERE clause (with its leading
// " WHERE ", or "") and the arguments of q.
func (s *Store) searchSQL(q SearchQuery) (from, where string, args []any) {
	_, pg := s.d.(postgres)
	terms := ParseTerms(q.Text)
	var (
		conds    []string
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
	from = `FROM items AS i`
	if len(indexed) > 0 {
		if pg {
			expr, a := tsquery(indexed)
			from = `FROM item_search AS fts JOIN items AS i ON i.id = fts.item_id`
			conds = append(conds, `fts.tsv @@ `+expr)
			args = append(args, a...)
		} else {
			// CROSS JOIN: SQLite reads the index's matches first, then
			// their items, rather than every item.
			from = `FROM items_fts AS fts CROSS JOIN items AS i ON i.id = fts.rowid`
			conds = append(conds, `items_fts MATCH ?`)
			args = append(args, ftsQuery(indexed))
		}
	}
	if len(terms.Exclude) > 0 {
		groups := [][]string{terms.Exclude}
		if pg {
			expr, a := tsquery(groups)
			conds = append(conds, `NOT EXISTS (SELECT 1 FROM item_search AS x WHERE x.item_id = i.id AND x.tsv @@ `+expr+`)`)
			args = append(args, a...)
		} else {
			conds = append(conds, `i.id NOT IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)`)
			args = append(args, ftsQuery(groups))
		}
	}
	for _, t := range unspaced {
		like := "%" + likeEscaper.Replace(t) + "%"
		conds = append(conds, `(i.title LIKE ? ESCAPE '\' OR i.summary LIKE ? ESCAPE '\' OR i.content LIKE ? ESCAPE '\' OR i.body LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	if q.Source != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM item_sources AS src WHERE src.item_id = i.id AND src.source = ?)`)
		args = append(args, q.Source)
	}
	if t := nullTime(q.Since); t.Valid {
		conds = append(conds, `coalesce(i.published, i.first_seen) >= ?`)
		args = append(args, t)
	}
	if t := nullTime(q.Until); t.Valid {
		conds = append(conds, `coalesce(i.published, i.first_seen) < ?`)
		args = append(args, t)
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return from + " ", where, args
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
// ftsQuery, with its arguments.
func tsquery(groups [][]string) (string, []any) {
	var (
		parts []string
		args  []any
	)
	for _, g := range groups {
		alts := make([]string, len(g))
		for j, p := range g {
			alts[j] = `phraseto_tsquery('simple', ?)`
			args = append(args, p)
		}
		parts = append(parts, "("+strings.Join(alts, " || ")+")")
	}
	return "(" + strings.Join(parts, " && ") + ")", args
}

// hasUnspaced reports whether s holds a letter of a script written
// without spaces between words, which the index cannot split into words.
func hasUnspaced(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai)
	})
}
