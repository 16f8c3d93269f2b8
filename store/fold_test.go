package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"newswatch/model"
)

// foldBlocks are the Unicode blocks PostgreSQL's search_fold covers:
// Latin-1 Supplement, Latin Extended-A and -B, the combining diacritical
// marks and Latin Extended Additional.
var foldBlocks = [][2]rune{{0x00a0, 0x00ff}, {0x0100, 0x017f}, {0x0180, 0x024f}, {0x0300, 0x036f}, {0x1e00, 0x1eff}}

// foldRunes are the runes of foldBlocks whose fate in a word the tests
// compare: the letters and the combining marks.
func foldRunes() []rune {
	var rs []rune
	for _, b := range foldBlocks {
		for r := b[0]; r <= b[1]; r++ {
			if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
				rs = append(rs, r)
			}
		}
	}
	return rs
}

// probe is the title of the item that shows what an index makes of r
// inside a word.
func probe(r rune) string { return "q" + string(r) + "z" }

// indexWords indexes an item titled probe(r) for every r of rs in s and
// returns, per rune, the words its index holds for that title, sorted:
// SQLite's FTS5 index read through fts5vocab, PostgreSQL's item_search.
func indexWords(t *testing.T, s *Store, rs []rune) map[rune][]string {
	t.Helper()
	ctx := context.Background()
	var items []model.Item
	for _, r := range rs {
		items = append(items, model.Item{Key: fmt.Sprintf("%04X", r), Link: "https://example.org/", Title: probe(r)})
	}
	save(t, s, "Feed", items...)
	if err := s.IndexItems(ctx); err != nil {
		t.Fatal(err)
	}
	q := `SELECT i.key, x.lexeme FROM items AS i JOIN item_search AS s ON s.item_id = i.id, unnest(s.tsv) AS x`
	db := s.r
	if _, pg := s.d.(postgres); !pg {
		db = s.w // the temporary table is the connection's
		if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_words USING fts5vocab(main, items_fts, 'instance')`); err != nil {
			t.Fatal(err)
		}
		q = `SELECT i.key, w.term FROM temp.fts_words AS w JOIN items AS i ON i.id = w.doc WHERE w.col = 'title'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	words := map[rune][]string{}
	for rows.Next() {
		var (
			key, word string
			r         rune
		)
		if err := rows.Scan(&key, &word); err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscanf(key, "%X", &r); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(words[r], word) {
			words[r] = append(words[r], word)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, ws := range words {
		slices.Sort(ws)
	}
	return words
}

// sqliteFold returns what SQLite's tokenizer (unicode61, remove_diacritics
// 2) makes of each rune of rs inside a word, where that is not the rune
// itself: another letter (its lower case, its letter without accents), ""
// for a mark it drops, " " for one that ends a word.
func sqliteFold(t *testing.T, rs []rune) map[rune]string {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "fold.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fold := map[rune]string{}
	for r, ws := range indexWords(t, s, rs) {
		switch {
		case reflect.DeepEqual(ws, []string{"q", "z"}):
			fold[r] = " "
		case len(ws) != 1 || !strings.HasPrefix(ws[0], "q") || !strings.HasSuffix(ws[0], "z"):
			t.Fatalf("SQLite indexes %q as %q", probe(r), ws)
		default:
			if f := strings.TrimSuffix(strings.TrimPrefix(ws[0], "q"), "z"); f != string(r) {
				fold[r] = f
			}
		}
	}
	return fold
}

// foldSQL is search_fold's translate() table for fold, as SQL: the
// characters replaced, their replacements, and a bracket expression that
// matches every character replaced (and others). Characters that stay
// come first, the most frequent first, since translate() looks each
// character of the text up in the list from its start: an ASCII
// letter is found in a few steps rather than after every accented one.
// Then the letters replaced, the most used blocks first, and last the
// marks dropped, which have no replacement.
func foldSQL(fold map[rune]string) (from, to, class string) {
	const kept = " etaoinsrhldcumfpgwybvkxjqzETAOINSRHLDCUMFPGWYBVKXJQZ0123456789.,-'’\"“”‘:;()/–—…!?&%$#@*+=<>[]_{}|~`^«»·•"
	var rs, dropped []rune
	for r, f := range fold {
		if f == "" {
			dropped = append(dropped, r)
		} else {
			rs = append(rs, r)
		}
	}
	rank := func(r rune) int { // Latin-1 lower case, upper case, other letters, marks
		switch {
		case r >= 0xe0 && r <= 0xff:
			return 0
		case r < 0x100:
			return 1
		case unicode.Is(unicode.Mn, r):
			return 3
		}
		return 2
	}
	slices.SortFunc(rs, func(a, b rune) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return int(a - b)
	})
	slices.Sort(dropped)
	quote := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r >= 0x300 && r <= 0x36f { // a combining mark would sit on the quote before it
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
		return "E'" + strings.NewReplacer(`'`, `\'`).Replace(b.String()) + "'"
	}
	lines := func(parts []string) string { return strings.Join(parts, " ||\n        ") }
	var fromParts, toParts []string
	fromParts, toParts = append(fromParts, quote(kept)), append(toParts, quote(kept))
	for i := 0; i < len(rs); {
		n := 1 // up to 64 letters, or the marks that end a word
		for i+n < len(rs) && n < 64 && (fold[rs[i+n]] == " ") == (fold[rs[i]] == " ") {
			n++
		}
		var f, r strings.Builder
		for _, c := range rs[i : i+n] {
			f.WriteRune(c)
			r.WriteString(fold[c])
		}
		fromParts, toParts = append(fromParts, quote(f.String())), append(toParts, quote(r.String()))
		i += n
	}
	fromParts = append(fromParts, quote(string(dropped)))
	// Every character of the table, block by block, for a regular
	// expression that tells a text with none apart without translating it.
	var ranges strings.Builder
	for _, b := range foldBlocks {
		lo, hi := rune(-1), rune(-1)
		for r := range fold {
			if r >= b[0] && r <= b[1] {
				if lo < 0 || r < lo {
					lo = r
				}
				hi = max(hi, r)
			}
		}
		switch {
		case lo < 0:
		case lo == hi:
			fmt.Fprintf(&ranges, `\u%04x`, lo)
		default:
			fmt.Fprintf(&ranges, `\u%04x-\u%04x`, lo, hi)
		}
	}
	return lines(fromParts), lines(toParts), "E'[" + ranges.String() + "]'"
}

// TestSearchFoldLikeSQLite: PostgreSQL's search index holds the same word
// as SQLite's for a word holding any letter or combining mark of the
// blocks search_fold covers: accents removed, case folded, a dropped mark
// gone, a mark that ends a word ending it, and nothing folded that SQLite
// keeps (ø, æ, ß, ǿ). On a difference it prints the translate() table made
// from SQLite's tokenizer, for a new migration.
func TestSearchFoldLikeSQLite(t *testing.T) {
	rs := foldRunes()
	want := sqliteFold(t, rs)
	from, to, class := foldSQL(want)
	table := fmt.Sprintf("SELECT CASE WHEN t ~ %s THEN translate(t,\n        %s,\n        %s)\nELSE t END", class, from, to)
	t.Run("postgres", func(t *testing.T) {
		got := indexWords(t, open(t), rs)
		bad := 0
		for _, r := range rs {
			w := []string{"q" + string(r) + "z"}
			switch f, ok := want[r]; {
			case f == " ":
				w = []string{"q", "z"}
			case ok:
				w = []string{"q" + f + "z"}
			}
			if !reflect.DeepEqual(got[r], w) {
				t.Errorf("U+%04X %q: PostgreSQL indexes %q, SQLite %q", r, probe(r), got[r], w)
				bad++
			}
		}
		if bad > 0 {
			t.Logf("the table from SQLite's tokenizer:\n%s", table)
		}
	})
}
