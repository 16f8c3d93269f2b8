package story

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"newswatch/match"
)

// productWatchlists turn the sample into digests as users get them: only
// items that match a tracked company (all_news) reach a digest, and each
// carries the companies it matched. "business", read from
// testdata/newsagg/watchlist.toml, is the watchlist of cmd/storyeval
// (tuning); "people" tracks the entertainment stories' names and is only
// checked.
var productWatchlists = map[string][]match.Company{
	"people": {
		{Name: "The Bachelor", Aliases: []string{"Juan Pablo", "Bachelor"}},
		{Name: "Justin Bieber", Aliases: []string{"Bieber"}},
		{Name: "Selena Gomez"},
		{Name: "Lena Dunham"},
		{Name: "True Detective"},
		{Name: "Lindsay Lohan", Aliases: []string{"Lohan"}},
		{Name: "Stacy Keibler"},
		{Name: "Game of Thrones"},
		{Name: "Miley Cyrus", Aliases: []string{"Miley"}},
		{Name: "Shailene Woodley"},
		{Name: "Zac Efron"},
		{Name: "The Flash", Aliases: []string{"Grant Gustin"}},
		{Name: "Cosmos", Aliases: []string{"deGrasse Tyson"}},
		{Name: "SXSW", Aliases: []string{"South by Southwest"}},
		{Name: "Taylor Swift"},
		{Name: "The Voice"},
		{Name: "Prince Harry"},
		{Name: "George Zimmerman", Aliases: []string{"Zimmerman"}},
		{Name: "Mindy Kaling"},
		{Name: "Jon Favreau", Aliases: []string{"Chef"}},
		{Name: "Genghis Khan"},
	},
}

// evalWatchlist reads testdata/newsagg/watchlist.toml, the sample's
// evaluation watchlist cmd/storyeval reports its figures on.
func evalWatchlist(t testing.TB) []match.Company {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "newsagg", "watchlist.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Companies []struct {
			Name    string   `toml:"name"`
			Aliases []string `toml:"aliases"`
		} `toml:"companies"`
	}
	if err := toml.Unmarshal(b, &w); err != nil {
		t.Fatalf("watchlist.toml: %v", err)
	}
	var companies []match.Company
	for _, c := range w.Companies {
		companies = append(companies, match.Company{Name: c.Name, Aliases: c.Aliases})
	}
	if len(companies) == 0 {
		t.Fatal("watchlist.toml: no [[companies]]")
	}
	return companies
}

// productDigest is the sample as the digest of a watchlist: the matched
// items with their companies and score, their labels, and the headlines
// of the items it does not match (the store's history).
func productDigest(t testing.TB, items []aggItem, companies []match.Company) ([]Candidate, []string, []string) {
	t.Helper()
	for i := range companies {
		companies[i].AllNews = true
	}
	wl, err := match.Compile(companies, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cs []Candidate
	var labels, history []string
	for _, it := range items {
		hits := wl.Match(match.ItemText(it.Title, "", "", ""))
		if len(hits) == 0 {
			history = append(history, it.Title)
			continue
		}
		c := it.Candidate
		c.Score = hits[0].Score
		for _, h := range hits {
			c.Companies = append(c.Companies, h.Company)
		}
		cs = append(cs, c)
		labels = append(labels, it.story)
	}
	return cs, labels, history
}

// productBars are the least precision and recall each set must keep.
var productBars = map[string][2]float64{"business": {0.95, 0.78}, "people": {0.93, 0.80}, "written": {0.80, 0.27}}

// TestStoriesProduct measures grouping on the items a company watchlist
// lets into a digest, as cmd/storyeval does through the binary (the
// sample's other headlines, fetched but not matched, are the stored
// history that weighs words), and on this package's written
// reports as headlines alone (testdata/stories, a security watchlist's
// day: several events of one company). NEWSWATCH_STORY_SWEEP=1 sweeps the
// headline threshold; NEWSWATCH_STORY_ERRORS=1 shows a sample of errors.
func TestStoriesProduct(t *testing.T) {
	items := loadNewsAgg(t)
	for _, name := range []string{"business", "people", "written"} {
		var cs []Candidate
		var labels, history []string
		if name == "written" {
			cs, labels = loadLabelled(t)
			for i := range cs {
				cs[i].Text = ""
			}
		} else {
			companies := productWatchlists[name]
			if name == "business" {
				companies = evalWatchlist(t)
			}
			cs, labels, history = productDigest(t, items, companies)
		}
		got := mustGroupWith(t, cs, history, defaults)
		tp, fp, fn, w, m := pairCounts(got, labels)
		one := pr{tp, fp, fn}
		t.Logf("%s: %d items: %v", name, len(cs), one)
		// Below the measured figures, so that a change that loses either
		// shows.
		if want := productBars[name]; one.precision() < want[0] || one.recall() < want[1] {
			t.Errorf("%s: %v; want precision >= %.2f, recall >= %.2f", name, one, want[0], want[1])
		}
		if os.Getenv("NEWSWATCH_STORY_SWEEP") != "" {
			var line strings.Builder
			for _, th := range productSweep {
				p := defaults
				p.short = th
				tp, fp, fn, _, _ := pairCounts(mustGroupWith(t, cs, history, p), labels)
				one := pr{tp, fp, fn}
				fmt.Fprintf(&line, " %.2f:%.2f/%.2f", th, one.precision(), one.recall())
			}
			t.Logf("%s threshold sweep (precision/recall):%s", name, line.String())
		}
		if os.Getenv("NEWSWATCH_STORY_ERRORS") != "" {
			var b strings.Builder
			for k, p := range w {
				if k%max(1, len(w)/15) == 0 {
					fmt.Fprintf(&b, "\n  wrong: %q + %q", cs[p[0]].Title, cs[p[1]].Title)
				}
			}
			for k, p := range m {
				if k%max(1, len(m)/15) == 0 {
					fmt.Fprintf(&b, "\n  missed: %q + %q", cs[p[0]].Title, cs[p[1]].Title)
				}
			}
			t.Log(b.String())
		}
	}
}

// productSweep are the headline thresholds NEWSWATCH_STORY_SWEEP tries.
var productSweep = []float64{0.03, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.19, 0.22}
