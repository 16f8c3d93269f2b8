package story

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// labelled is one item of testdata/stories/items.json with the event it
// reports.
type labelled struct {
	Event string
	Candidate
}

func loadLabelled(t *testing.T) ([]Candidate, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "stories", "items.json"))
	if err != nil {
		t.Fatal(err)
	}
	var items []labelled
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatalf("items.json: %v", err)
	}
	cs := make([]Candidate, len(items))
	events := make([]string, len(items))
	for i, it := range items {
		if it.Event == "" || it.Key == "" || it.Source == "" || it.Title == "" {
			t.Fatalf("items.json item %d: event, key, source and title are required", i)
		}
		cs[i], events[i] = it.Candidate, it.Event
	}
	return cs, events
}

// pairCounts compares a grouping with the labels pair by pair.
func pairCounts(stories [][]int, events []string) (tp, fp, fn int, wrong, missed [][2]int) {
	story := make([]int, len(events))
	for s, members := range stories {
		for _, i := range members {
			story[i] = s
		}
	}
	for i := range events {
		for j := i + 1; j < len(events); j++ {
			same, together := events[i] == events[j], story[i] == story[j]
			switch {
			case same && together:
				tp++
			case together:
				fp++
				wrong = append(wrong, [2]int{i, j})
			case same:
				fn++
				missed = append(missed, [2]int{i, j})
			}
		}
	}
	return tp, fp, fn, wrong, missed
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestStoriesPrecisionRecall measures pairwise precision and recall of
// Group on the labelled set: a pair of items is a true positive when
// both share a story and an event label. It measures three ways:
//
//   - dated: the set as one digest, with the items' own dates;
//   - undated: every date removed, so the 48 h window cannot separate events
//     and the text alone must;
//   - pairs alone: every pair of items grouped as a digest of two, undated,
//     where IDF knows nothing and average linkage cannot help.
func TestStoriesPrecisionRecall(t *testing.T) {
	cs, events := loadLabelled(t)
	distinct := map[string]bool{}
	for _, e := range events {
		distinct[e] = true
	}
	t.Logf("%d items, %d events, threshold %.2f", len(cs), len(distinct), Threshold)

	undated := slices.Clone(cs)
	for i := range undated {
		undated[i].Published = time.Time{}
	}
	// Feeds mix headline-only items with full text: every other item
	// without its text, then every item.
	mixed, headlines := slices.Clone(cs), slices.Clone(cs)
	for i := range mixed {
		if i%2 == 1 {
			mixed[i].Text = ""
		}
		headlines[i].Text = ""
	}
	// The dated set is what a digest sees; without dates, or a pair at a
	// time with no other items to weigh words, is harder.
	check := func(mode string, tp, fp, fn int) {
		t.Helper()
		precision, recall := ratio(tp, tp+fp), ratio(tp, tp+fn)
		t.Logf("%s: pairs: %d true, %d false, %d missed; precision %.3f recall %.3f",
			mode, tp, fp, fn, precision, recall)
		wantP, wantR := 0.85, 0.75
		switch mode {
		case "dated":
			wantP, wantR = 0.95, 0.85
		case "mixed", "headlines":
			// This set's headlines were written to differ, and most
			// report one of several events of one company: a figure
			// to watch, not a bar.
			wantP, wantR = 0.80, 0
		}
		if precision < wantP || recall < wantR {
			t.Errorf("%s: precision %.3f recall %.3f; want precision >= %.2f and recall >= %.2f",
				mode, precision, recall, wantP, wantR)
		}
	}
	for _, mode := range []struct {
		name string
		cs   []Candidate
	}{{"dated", cs}, {"undated", undated}, {"mixed", mixed}, {"headlines", headlines}} {
		stories := mustGroup(t, mode.cs)
		tp, fp, fn, wrong, missed := pairCounts(stories, events)
		t.Logf("%s: %d stories", mode.name, len(stories))
		for _, p := range wrong {
			t.Logf("  %s: wrongly merged: %q (%s) + %q (%s)", mode.name,
				cs[p[0]].Title, events[p[0]], cs[p[1]].Title, events[p[1]])
		}
		for _, p := range missed {
			t.Logf("  %s: missed: %q + %q (%s)", mode.name, cs[p[0]].Title, cs[p[1]].Title, events[p[0]])
		}
		check(mode.name, tp, fp, fn)
	}

	var tp, fp, fn int
	for i := range undated {
		for j := i + 1; j < len(undated); j++ {
			together := len(mustGroup(t, []Candidate{undated[i], undated[j]})) == 1
			switch same := events[i] == events[j]; {
			case same && together:
				tp++
			case together:
				fp++
				t.Logf("  pairs alone: wrongly merged: %q (%s) + %q (%s)",
					cs[i].Title, events[i], cs[j].Title, events[j])
			case same:
				fn++
			}
		}
	}
	check("pairs alone", tp, fp, fn)

	if testing.Verbose() {
		logMargins(t, undated, events)
		var sweep strings.Builder
		for _, th := range []float64{0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.25, 0.30} {
			p := defaults
			p.long = th
			tp, fp, fn, _, _ := pairCounts(mustGroupWith(t, cs, nil, p), events)
			dated := fmt.Sprintf("P%.2f/R%.2f", ratio(tp, tp+fp), ratio(tp, tp+fn))
			tp, fp, fn, _, _ = pairCounts(mustGroupWith(t, undated, nil, p), events)
			fmt.Fprintf(&sweep, " %.2f→%s (undated P%.2f/R%.2f)", th, dated, ratio(tp, tp+fp), ratio(tp, tp+fn))
		}
		t.Logf("full-text threshold sweep:%s", sweep.String())
	}
}

// logMargins logs the closest pairs of different events and the
// weakest pairs of one event, to show how far the threshold is from both.
func logMargins(t *testing.T, cs []Candidate, events []string) {
	docs, _, err := vectors(context.Background(), cs, nil, defaults)
	if err != nil {
		t.Fatal(err)
	}
	type pair struct {
		i, j int
		sim  float64
	}
	var near, far []pair
	for i := range cs {
		for j := i + 1; j < len(cs); j++ {
			s, ok := pairSim(&docs[i], &docs[j])
			if !ok {
				continue
			}
			if events[i] == events[j] {
				far = append(far, pair{i, j, s})
			} else {
				near = append(near, pair{i, j, s})
			}
		}
	}
	slices.SortFunc(near, func(a, b pair) int { return cmp.Compare(b.sim, a.sim) })
	slices.SortFunc(far, func(a, b pair) int { return cmp.Compare(a.sim, b.sim) })
	for _, p := range near[:min(5, len(near))] {
		t.Logf("  near miss %.3f: %q + %q", p.sim, cs[p.i].Title, cs[p.j].Title)
	}
	for _, p := range far[:min(5, len(far))] {
		t.Logf("  weak match %.3f: %q + %q", p.sim, cs[p.i].Title, cs[p.j].Title)
	}
}

func mustGroup(t testing.TB, cs []Candidate) [][]int {
	t.Helper()
	return mustGroupWith(t, cs, nil, defaults)
}

func mustGroupWith(t testing.TB, cs []Candidate, history []string, p params) [][]int {
	t.Helper()
	stories, err := group(context.Background(), cs, history, p)
	if err != nil {
		t.Fatal(err)
	}
	return stories
}

func TestStoriesGroup(t *testing.T) {
	base := time.Date(2025, 11, 15, 9, 0, 0, 0, time.UTC)
	denial := "Alibaba on Saturday denied a Financial Times report, based on a White House memo, " +
		"that it gave the People's Liberation Army access to customer data and zero-day vulnerabilities."
	item := func(source string, score float64, at time.Duration) Candidate {
		return Candidate{
			Key:       source + "/" + at.String(),
			Source:    source,
			Title:     "Alibaba denies PLA report",
			Text:      denial,
			Companies: []string{"Alibaba"},
			Published: base.Add(at),
			Score:     score,
		}
	}
	other := Candidate{
		Key:       "verge/huawei",
		Source:    "The Verge",
		Title:     "The US is tightening the screws on Huawei's chip suppliers again",
		Text:      "The Bureau of Industry and Security put 27 more Chinese firms on its entity list, mostly toolmakers in Shenzhen that it says feed Huawei's Ascend accelerators.",
		Companies: []string{"Huawei"},
		Published: base,
		Score:     3,
	}
	rephrased := Candidate{
		Key:       "reuters/denial",
		Source:    "Reuters",
		Title:     "Alibaba rejects claim it helped China's military",
		Text:      "China's Alibaba dismissed as completely false a report citing a White House memo that said it handed the People's Liberation Army customer data and zero-day bugs.",
		Companies: []string{"Alibaba"},
		Published: base.Add(time.Hour),
		Score:     4,
	}
	tests := []struct {
		name string
		in   []Candidate
		want [][]int
	}{
		{"empty", nil, nil},
		{"singleton stays alone", []Candidate{other}, [][]int{{0}}},
		{"unrelated items stay apart", []Candidate{item("FT", 2, 0), other}, [][]int{{1}, {0}}},
		{"two outlets, same event", []Candidate{item("FT", 2, 0), rephrased}, [][]int{{1, 0}}},
		{"lead is the best-scored", []Candidate{item("FT", 1, 0), item("Reuters", 5, 0), item("SCMP", 3, 0)}, [][]int{{1, 2, 0}}},
		{"equal scores: newest leads", []Candidate{item("FT", 2, 0), item("Reuters", 2, 2*time.Hour)}, [][]int{{1, 0}}},
		{"stories ordered by lead score", []Candidate{other, item("FT", 1, 0), item("Reuters", 4, 0)}, [][]int{{2, 1}, {0}}},
		{"equal lead scores: newest story first", []Candidate{item("FT", 3, 0), func() Candidate { o := other; o.Published = base.Add(time.Hour); return o }()}, [][]int{{1}, {0}}},
		{"within 48h merges", []Candidate{item("FT", 2, 0), item("Reuters", 1, 47*time.Hour)}, [][]int{{0, 1}}},
		{"48h window splits", []Candidate{item("FT", 2, 0), item("Reuters", 1, 49*time.Hour)}, [][]int{{0}, {1}}},
		{"window bounds a chain", []Candidate{item("FT", 3, 0), item("Reuters", 2, 30*time.Hour), item("SCMP", 1, 60*time.Hour)}, [][]int{{0, 1}, {2}}},
		{"same outlet duplicate merges", []Candidate{item("Reuters", 2, 0), item("Reuters", 1, time.Hour)}, [][]int{{0, 1}}},
		{"same outlet's follow-up of its report merges", []Candidate{item("Reuters", 2, 0), func() Candidate {
			c := item("Reuters", 1, 5*time.Hour)
			c.Title = "Alibaba calls PLA report a malicious PR operation"
			c.Text = denial + " The company said the memo was a malicious public relations operation and that it would consider legal action."
			return c
		}()}, [][]int{{0, 1}}},
		{"same outlet, different text stays apart", []Candidate{item("Reuters", 2, 0), func() Candidate { r := rephrased; r.Score = 1; return r }()}, [][]int{{0}, {1}}},
		{"two companies' shared event merges", []Candidate{item("FT", 2, 0), func() Candidate { c := item("Reuters", 1, 0); c.Companies = []string{"Cainiao"}; return c }()}, [][]int{{0, 1}}},
		{"two companies, loosely alike, stay apart", []Candidate{rephrased, func() Candidate { c := item("Bloomberg", 1, 0); c.Companies = []string{"Cainiao"}; return c }()}, [][]int{{0}, {1}}},
	}
	market := func(source, title string, at time.Duration) Candidate {
		return Candidate{Key: source + title, Source: source, Title: title, Companies: []string{"Stock market"}, Published: base.Add(at), Score: 1}
	}
	tests = append(tests, []struct {
		name string
		in   []Candidate
		want [][]int
	}{
		{"look-alike reports hours apart merge", []Candidate{
			market("AP", "US stocks fall on weak China trade data", 0),
			market("Reuters", "Wall Street stocks fall after weak China data", 3*time.Hour),
		}, [][]int{{1, 0}}},
		{"look-alike reports a day apart stay apart", []Candidate{
			market("AP", "US stocks fall on weak China trade data", 0),
			market("Reuters", "Wall Street stocks fall after weak China data", 26*time.Hour),
		}, [][]int{{1}, {0}}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustGroup(t, tt.in)
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Group = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStoriesDeterministic checks that the grouping does not depend on the
// input order or on map iteration: every shuffle yields the same stories.
func TestStoriesDeterministic(t *testing.T) {
	labelled, _ := loadLabelled(t)
	// Headlines merge into big groups, whose centroids are compared with
	// one another: a sum in map order would differ in its last bits.
	var headlines []Candidate
	for _, it := range aggDraws(loadNewsAgg(t), "", 1)[0] {
		headlines = append(headlines, it.Candidate)
	}
	canon := func(in []Candidate, stories [][]int) []string {
		var out []string
		for _, s := range stories {
			keys := make([]string, len(s))
			for i, x := range s {
				keys[i] = in[x].Key
			}
			out = append(out, strings.Join(keys, " | "))
		}
		return out
	}
	for _, cs := range [][]Candidate{labelled, headlines} {
		want := canon(cs, mustGroup(t, cs))
		for range 5 {
			if again := canon(cs, mustGroup(t, cs)); !slices.Equal(again, want) {
				t.Fatalf("another run differs:\n%v\nwant\n%v", again, want)
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 10 {
			shuffled := slices.Clone(cs)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := canon(shuffled, mustGroup(t, shuffled)); !slices.Equal(got, want) {
				t.Fatalf("shuffled input grouped differently:\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
}

func TestStoriesTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Alibaba's logistics arm", []string{"alibaba", "logist", "arm"}},
		{"Patch CVE-2025-0282 now", []string{"patch", "cve-2025-0282"}},
		{"fined €1,200 million", []string{"fine", "~fine", "1200", "million"}},
		{"fines released", []string{"fine", "~fine", "releas"}},
		{"Twitter goes down", []string{"twitter", "goe", "~outage"}},
		{"Service restored after outage", []string{"servic", "restor", "~outage", "outag", "~outage"}},
		{"Q4 profit beats estimates", []string{"q4", "~result", "profit", "~result", "beat", "~beat", "estim", "~estimate"}},
		{"fourth-quarter revenue misses forecasts", []string{"4", "quarter", "~result", "revenu", "~sales", "miss", "~miss", "forecast", "~estimate"}},
		{"zero-day flaws", []string{"zero", "flaw"}},
		{"UPDATE 2-McDonald's February sales fall", []string{"2", "mcdonald", "februari", "sale", "~sales", "fall", "~fall"}},
		{"2nd quarter, second quarter, 4-day 1st", []string{"2", "quarter", "~result", "2", "quarter", "~result", "4", "1"}},
		{"$3.50 a gallon, 0.41%", []string{"3.5", "gallon", "0.41"}},
		{"Updated: two key senators", []string{"2", "key", "senat"}},
		{"阿里云故障", []string{"阿里", "里云", "云故", "故障"}},
		{"Alibaba 阿里巴巴 said", []string{"alibaba", "阿里", "里巴", "巴巴"}},
		{"#BlackLivesMatter campaign", []string{"black", "live", "matter", "campaign"}},
		{"BlackLivesMatter campaign", []string{"blacklivesmatt", "campaign"}},
		{"Beyoncé and Chávez", []string{"beyonc", "chavez"}},
		{"Москва́ and Zürich", []string{"москва́", "zurich"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range newTokenizer().tokens(tt.in) {
			got = append(got, tok.term)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzStories checks that any text groups without panicking and that every
// item lands in exactly one story.
func FuzzStories(f *testing.F) {
	f.Add("Alibaba's CVE-2025-0282 zero-day", "阿里云故障 11月16日", "Reuters", int64(0))
	f.Add("\xff\xfe-1,2.3-", "- , . 。", "", int64(1<<40))
	f.Fuzz(func(t *testing.T, a, b, source string, at int64) {
		cs := []Candidate{
			{Source: source, Title: a, Text: b, Published: time.Unix(at, 0)},
			{Source: source, Title: b, Text: a},
			{Source: "other", Title: a, Text: a + " " + b, Published: time.Unix(at/2, 0), Companies: []string{a}},
		}
		seen := make([]int, len(cs))
		stories, err := Group(context.Background(), cs, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stories {
			for _, i := range s {
				seen[i]++
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("item %d in %d stories", i, n)
			}
		}
	})
}

func TestStoriesRestates(t *testing.T) {
	earlier := []Candidate{{
		Title: "Belgium monitoring China's Alibaba over spying concerns",
		Text:  "Belgium's intelligence service is monitoring the European logistics hub of Alibaba over concern about possible espionage.",
	}}
	for _, tt := range []struct {
		c    Candidate
		want bool
	}{
		{Candidate{Title: "UPDATE 1-Belgium monitoring China's Alibaba over spying concerns"}, true},
		{Candidate{Title: "Belgian intelligence monitors Alibaba hub over espionage concerns"}, true},
		{Candidate{Title: "Alibaba shares slide most in seven months as investors weigh sanctions risk"}, false},
		// A new number is news, however few new words come with it.
		{Candidate{Title: "Belgium monitoring three Alibaba hubs over spying concerns"}, false},
	} {
		if got := Restates(earlier, tt.c); got != tt.want {
			t.Errorf("Restates(%q) = %v, want %v", tt.c.Title, got, tt.want)
		}
	}
}

// TestStoriesReversal checks that a report affirming what was denied, or
// denying what was affirmed, is news, and that the two are different
// reports, though nearly every word is shared.
func TestStoriesReversal(t *testing.T) {
	for _, tt := range []struct{ before, after string }{
		{"Alibaba denies data breach affecting cloud customers", "Alibaba confirms data breach affecting cloud customers"},
		{"Huawei engineer cleared of espionage charges in Poland", "Huawei engineer charged with espionage in Poland"},
		{"Huawei engineer charged with espionage in Poland", "Huawei engineer cleared of espionage charges in Poland"},
	} {
		before, after := Candidate{Title: tt.before}, Candidate{Title: tt.after}
		if Restates([]Candidate{before}, after) {
			t.Errorf("%q restates %q", tt.after, tt.before)
		}
		if SameReport(before, after) {
			t.Errorf("%q and %q are the same report", tt.after, tt.before)
		}
	}
	a := Candidate{Title: "Alibaba denies data breach affecting cloud customers"}
	b := Candidate{Title: "UPDATE 1-Alibaba denies data breach affecting its cloud customers"}
	if !SameReport(a, b) {
		t.Errorf("%q and %q are not the same report", a.Title, b.Title)
	}
}

// TestStoriesCompanyNames checks that a tracked company's name stays a
// word that weighs by how rare it is in the digest: two items naming it
// share it when other items do not name it, and share nothing by it when
// every item does.
func TestStoriesCompanyNames(t *testing.T) {
	a := Candidate{Title: "American Airlines renews card deal", Companies: []string{"American Airlines"}}
	b := Candidate{Title: "American Airlines cuts routes", Companies: []string{"American Airlines"}}
	others := []Candidate{{Title: "Delta adds flights"}, {Title: "United hires pilots"}}
	shared := func(cs []Candidate) float64 {
		docs, _, err := vectors(context.Background(), cs, nil, defaults)
		if err != nil {
			t.Fatal(err)
		}
		return dot(docs[0].vec, docs[1].vec)
	}
	if s := shared(append([]Candidate{a, b}, others...)); s <= 0 {
		t.Errorf("with other companies' items, the two items share %v; want > 0", s)
	}
	if s := shared([]Candidate{a, b}); s != 0 {
		t.Errorf("when every item names the company, the two items share %v; want 0", s)
	}
}

// TestStoriesClusterDotExact checks that comparing two groups gives the
// same bits every time: floating-point sums depend on their order, and a
// tie at the bar must not go one way on one run and the other on the next.
func TestStoriesClusterDotExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	group := func() *cluster {
		docs := make([]doc, 8)
		for i := range docs {
			for term := range int32(400) {
				if rng.IntN(2) == 0 {
					docs[i].vec = append(docs[i].vec, weight{term, rng.Float64() / 3})
				}
			}
		}
		c := &cluster{members: []int32{0}, norm2: 1}
		for i := 1; i < len(docs); i++ {
			merge(docs, c, &cluster{members: []int32{int32(i)}, norm2: 1}, 0)
		}
		return c
	}
	a, b := group(), group()
	want := clusterDot(nil, a, b)
	for range 100 {
		if got := clusterDot(nil, a, b); got != want {
			t.Fatalf("clusterDot = %v, then %v", want, got)
		}
	}
}
