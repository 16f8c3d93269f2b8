package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"newswatch/model"
)

func TestParseTerms(t *testing.T) {
	for q, want := range map[string]Terms{
		``:                          {},
		`alibaba cloud`:             {Include: []string{"alibaba", "cloud"}},
		`"alibaba cloud" -pictures`: {Include: []string{"alibaba cloud"}, Exclude: []string{"pictures"}},
		`-"alibaba pictures" spy`:   {Include: []string{"spy"}, Exclude: []string{"alibaba pictures"}},
		`"unclosed phrase`:          {Include: []string{"unclosed phrase"}},
		`- -- "" !!! a-b`:           {Include: []string{"a-b"}},
		`  "  spaced   out "  `:     {Include: []string{"spaced out"}},
		`阿里巴巴 -"x"`:                 {Include: []string{"阿里巴巴"}, Exclude: []string{"x"}},
	} {
		if got := ParseTerms(q); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseTerms(%q) = %#v, want %#v", q, got, want)
		}
	}
}

func TestSearch(t *testing.T) {
	both(t, func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		day := func(d int) time.Time { return time.Date(2026, 2, d, 12, 0, 0, 0, time.UTC) }
		it := func(key, title, body string, published time.Time) model.Item {
			return model.Item{Key: key, Link: "https://example.org/" + key, Title: title, Body: body, Published: published}
		}
		save(t, s, "Feed A",
			it("spy", "Cainiao accused of spying", "The logistics arm of Alibaba Group was named.", day(1)),
			it("cloud", "Alibaba Cloud outage", "Customers of the cloud lost data.", day(2)),
			it("pictures", "Alibaba Pictures film", "A film about nothing in particular.", day(3)),
		)
		save(t, s, "Feed B",
			it("han", "阿里巴巴集团发布财报", "公司业绩", day(4)),
			it("other", "Weather today", "Rain, then spies in the cloud.", day(5)),
		)
		search := func(q SearchQuery) []string {
			t.Helper()
			res, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total < len(res.Items) {
				t.Errorf("%+v: total %d < %d items", q, res.Total, len(res.Items))
			}
			return keys(res.Items)
		}
		cases := map[string]struct {
			q    SearchQuery
			want []string
		}{
			"all":             {SearchQuery{}, []string{"other", "han", "pictures", "cloud", "spy"}},
			"word":            {SearchQuery{Text: "alibaba"}, []string{"pictures", "cloud", "spy"}},
			"case and body":   {SearchQuery{Text: "LOGISTICS"}, []string{"spy"}},
			"two words":       {SearchQuery{Text: "alibaba cloud"}, []string{"cloud"}},
			"phrase":          {SearchQuery{Text: `"alibaba group"`}, []string{"spy"}},
			"phrase in order": {SearchQuery{Text: `"group alibaba"`}, []string{}},
			"excluded":        {SearchQuery{Text: "alibaba -pictures"}, []string{"cloud", "spy"}},
			"excluded only":   {SearchQuery{Text: `-alibaba -"weather today"`}, []string{"han"}},
			"unspaced":        {SearchQuery{Text: "阿里巴巴"}, []string{"han"}},
			"source":          {SearchQuery{Text: "cloud", Source: "Feed B"}, []string{"other"}},
			"since until":     {SearchQuery{Since: day(2), Until: day(4)}, []string{"pictures", "cloud"}},
			"any of":          {SearchQuery{AnyOf: [][]string{{"cainiao", "alibaba cloud"}}}, []string{"cloud", "spy"}},
			"any of unspaced": {SearchQuery{AnyOf: [][]string{{"阿里巴巴", "alibaba"}}, Limit: 2}, []string{"other", "han"}},
			"limit":           {SearchQuery{Limit: 1}, []string{"other"}},
		}
		// Both ways of finding a page: the matches sorted by date, and
		// (SQLite, many matches) the items walked by date.
		// PostgreSQL: the exact count, and the estimate past countUpTo.
		savedAbove, savedUpTo := byDateAbove, countUpTo
		for _, above := range []int{byDateAbove, 0} {
			byDateAbove = above
			if above == 0 {
				countUpTo = 1
			}
			for name, tc := range cases {
				if got := search(tc.q); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s (walk by date above %d matches): %+v found %q, want %q", name, above, tc.q, got, tc.want)
				}
			}
		}
		byDateAbove, countUpTo = savedAbove, savedUpTo
		res, err := s.Search(ctx, SearchQuery{Text: "alibaba", Limit: 1})
		if err != nil || res.Total != 3 || len(res.Items) != 1 {
			t.Errorf("limit 1: %d of %d, %v; want 1 of 3", len(res.Items), res.Total, err)
		}

		// A richer copy's words are found, the words it replaced are not.
		richer := it("cloud", "Alibaba Cloud outage", "Customers of the cloud lost data; regulators in Singapore opened an inquiry into the outage.", day(2))
		save(t, s, "Feed C", richer)
		if got := search(SearchQuery{Text: "singapore"}); !reflect.DeepEqual(got, []string{"cloud"}) {
			t.Errorf("after a richer copy: singapore found %q", got)
		}
		// Pruned text is no longer found; titles are.
		if _, err := s.Prune(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := search(SearchQuery{Text: "logistics"}); len(got) != 0 {
			t.Errorf("after pruning: logistics found %q", got)
		}
		if got := search(SearchQuery{Text: "cainiao"}); !reflect.DeepEqual(got, []string{"spy"}) {
			t.Errorf("after pruning: title word cainiao found %q", got)
		}

		var seen []string
		err = s.SearchEach(ctx, SearchQuery{Text: "alibaba", Limit: 1}, func(it model.Item) (bool, error) {
			seen = append(seen, it.Key)
			return len(seen) < 2, nil
		})
		if err != nil || !reflect.DeepEqual(seen, []string{"pictures", "cloud"}) {
			t.Errorf("SearchEach stopped after two: %q, %v", seen, err)
		}
		seen = nil
		failed := errors.New("failed")
		err = s.SearchEach(ctx, SearchQuery{Text: "alibaba"}, func(it model.Item) (bool, error) {
			seen = append(seen, it.Key)
			return true, failed
		})
		if err != failed || len(seen) != 1 {
			t.Errorf("SearchEach after its function's error: %q, %v; want one item and that error", seen, err)
		}
	})
}

func TestFeedback(t *testing.T) {
	both(t, func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		added := save(t, s, "Feed", item("a"), item("b"))
		a, b := added[0].ID, added[1].ID
		for range 2 { // twice: no change the second time
			if err := s.MarkNotRelevant(ctx, a, "Alibaba"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkNotRelevant(ctx, a, "Tencent"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNotRelevant(ctx, 999999, "Alibaba"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown item: %v, want ErrNotFound", err)
		}
		got, err := s.NotRelevant(ctx, []int64{a, b})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int64][]string{a: {"Alibaba", "Tencent"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("NotRelevant = %v, want %v", got, want)
		}
		marks, err := s.Marks(ctx)
		if want := map[string][]int64{"Alibaba": {a}, "Tencent": {a}}; err != nil || !reflect.DeepEqual(marks, want) {
			t.Errorf("Marks = %v, %v, want %v", marks, err, want)
		}
		for range 2 { // twice: nothing to remove the second time
			if err := s.UnmarkNotRelevant(ctx, a, "Alibaba"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.UnmarkNotRelevant(ctx, 999999, "Alibaba"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unmark an unknown item: %v, want ErrNotFound", err)
		}
		if got, _ := s.NotRelevant(ctx, []int64{a, b}); !reflect.DeepEqual(got, map[int64][]string{a: {"Tencent"}}) {
			t.Errorf("after unmark: %v", got)
		}
	})
}

// TestSearchFoldsAccents: on both databases a search finds a word whatever
// its accents and case, written precomposed or with separate marks, in
// the item or in the search; letters SQLite's tokenizer keeps (ø, ł, ß)
// stay letters of their own; and both databases find the same items.
func TestSearchFoldsAccents(t *testing.T) {
	items := []model.Item{
		{Key: "sg", Title: "Société Générale cuts jobs"},
		{Key: "sg-plain", Title: "Societe Generale shares fall"},
		{Key: "marks", Title: "Socie\u0301te\u0301 anonyme"},
		{Key: "cafe", Body: "A new café opened on the square."},
		{Key: "cafe-plain", Body: "The cafe closed."},
		{Key: "stefan", Title: "Ștefan cel Mare"},
		{Key: "zurich", Title: "ZÜRICH TALKS"},
		{Key: "orsted", Title: "Ørsted wind farm"},
		{Key: "lodz", Title: "Łódź mayor"},
		{Key: "strasse", Title: "Straße gesperrt"},
	}
	cases := map[string]struct {
		q    SearchQuery
		want []string
	}{
		"unaccented":          {SearchQuery{Text: "Societe Generale"}, []string{"sg", "sg-plain"}},
		"accented":            {SearchQuery{Text: "société générale"}, []string{"sg", "sg-plain"}},
		"capitals":            {SearchQuery{Text: "SOCIÉTÉ"}, []string{"marks", "sg", "sg-plain"}},
		"separate marks":      {SearchQuery{Text: "socie\u0301te\u0301"}, []string{"marks", "sg", "sg-plain"}},
		"phrase":              {SearchQuery{Text: `"societe generale"`}, []string{"sg", "sg-plain"}},
		"excluded":            {SearchQuery{Text: "societe -générale"}, []string{"marks"}},
		"excluded unaccented": {SearchQuery{Text: "societe -generale"}, []string{"marks"}},
		"café":                {SearchQuery{Text: "café"}, []string{"cafe", "cafe-plain"}},
		"cafe":                {SearchQuery{Text: "cafe"}, []string{"cafe", "cafe-plain"}},
		"cedilla for comma":   {SearchQuery{Text: "Ştefan"}, []string{"stefan"}},
		"stefan":              {SearchQuery{Text: "stefan"}, []string{"stefan"}},
		"zurich":              {SearchQuery{Text: "zurich"}, []string{"zurich"}},
		"any of":              {SearchQuery{AnyOf: [][]string{{"Zurich", "Ørsted"}}}, []string{"orsted", "zurich"}},
		"ø is a letter":       {SearchQuery{Text: "orsted"}, []string{}},
		"ø":                   {SearchQuery{Text: "ØRSTED"}, []string{"orsted"}},
		"ł is a letter":       {SearchQuery{Text: "lodz"}, []string{}},
		"ł":                   {SearchQuery{Text: "ŁÓDŹ"}, []string{"lodz"}},
		"ß is a letter":       {SearchQuery{Text: "strasse"}, []string{}},
		"ß":                   {SearchQuery{Text: "STRAẞE"}, []string{"strasse"}},
	}
	found := map[string]map[string][]string{} // database, case: keys found
	both(t, func(t *testing.T) {
		s := open(t)
		save(t, s, "Feed", items...)
		db := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		found[db] = map[string][]string{}
		for name, tc := range cases {
			res, err := s.Search(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := keys(res.Items)
			slices.Sort(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %+v found %q, want %q", name, tc.q, got, tc.want)
			}
			found[db][name] = got
		}
	})
	if lite, pg := found["sqlite"], found["postgres"]; lite != nil && pg != nil && !reflect.DeepEqual(lite, pg) {
		t.Errorf("the databases found different items:\nSQLite     %q\nPostgreSQL %q", lite, pg)
	}
}
