package digest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// The cases below are what a new user tracking Alibaba, Huawei and
// TikTok saw with their own feeds, and what a red team found with feeds
// of its own: each is a rule of what a reader must see.

// caseDay is the morning the case digests are composed.
var caseDay = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

// caseComposer is a Composer over an empty store, tracking three
// companies (every mention counts) and a few topics.
func caseComposer(t *testing.T) (*Composer, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wl, err := match.Compile(
		[]match.Company{
			{Name: "Alibaba", Aliases: []string{"Alibaba Cloud", "Cainiao"}, AllNews: true},
			{Name: "Huawei", AllNews: true},
			{Name: "TikTok", Aliases: []string{"ByteDance"}, AllNews: true},
		},
		[]match.Topic{
			{Name: "Espionage", Terms: []string{"espionage", "spied", "spying"}},
			{Name: "Data breach", Terms: []string{"data breach", "data leak"}},
			{Name: "Outage", Terms: []string{"outage"}},
		})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	return &Composer{Store: st, Watchlist: wl, Templates: tmpl, MaxAge: 72 * time.Hour, Domain: "example.org"}, st
}

// caseItem is one outlet's headline, published ago before caseDay.
type caseItem struct {
	source, title string
	ago           time.Duration
}

func saveCase(t *testing.T, st *store.Store, items ...caseItem) {
	t.Helper()
	for i, it := range items {
		link := fmt.Sprintf("https://%s.example/%d-%d", strings.ToLower(strings.Fields(it.source)[0]), i, it.ago/time.Minute)
		m := model.Item{Key: link, Link: link, Title: it.title, Published: caseDay.Add(-it.ago)}
		if _, err := st.SaveRun(context.Background(), model.Run{Source: it.source, Started: time.Now(), Status: model.StatusOK, Items: 1}, []model.Item{m}); err != nil {
			t.Fatal(err)
		}
	}
}

// composeCase composes the digest at now; with deliver, it records it as
// sent, so the next digest sees its items as delivered.
func composeCase(t *testing.T, c *Composer, now time.Time, deliver bool) Draft {
	t.Helper()
	ctx := context.Background()
	d, err := c.Compose(ctx, Spec{Name: "Morning", To: []string{"a@example.org"}, Location: time.UTC}, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if deliver {
		if err := c.Record(ctx, &d); err != nil {
			t.Fatal(err)
		}
		if err := c.Store.MarkSent(ctx, d.Message.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func allStories(v View) []StoryView {
	var out []StoryView
	for _, s := range v.Sections {
		out = append(out, s.Stories...)
	}
	return out
}

// storyLed returns the story whose lead title holds s.
func storyLed(t *testing.T, d Draft, s string) StoryView {
	t.Helper()
	for _, sv := range allStories(d.View) {
		if strings.Contains(sv.Title, s) {
			return sv
		}
	}
	t.Fatalf("no story led by %q:\n%s", s, d.Message.Text)
	return StoryView{}
}

// A new development of a delivered story ("expels two") leads the
// update, not only as an outlet name under a rehash of what was delivered.
func TestCaseNewDevelopmentLeads(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"Euronews", "Belgium monitoring China's Alibaba Cainiao hub over espionage concerns", 30 * time.Hour},
		caseItem{"The Record", "Belgian intelligence watches Alibaba Cainiao hub over espionage", 29 * time.Hour})
	composeCase(t, c, caseDay.Add(-24*time.Hour), true)
	saveCase(t, st,
		caseItem{"Wire Daily", "UPDATE 1-Belgium monitoring China's Alibaba Cainiao hub over espionage and spying concerns", 3 * time.Hour},
		caseItem{"Global Wire — World", "Belgium expels two Chinese nationals linked to Cainiao hub espionage probe", 2 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	sv := storyLed(t, d, "expels two")
	if sv.Folded {
		t.Errorf("the new development is folded:\n%s", d.Message.Text)
	}
}

// Other outlets' headlines appear under the lead in the text and HTML
// parts, not only their names.
func TestCaseOtherHeadlinesShown(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"TechDesk", "Huawei unveils Mate 80 with in-house Kirin 9030 chip", 3 * time.Hour},
		caseItem{"Global Wire — World", "Huawei's new Mate 80 phone runs on its own Kirin 9030 processor, teardown shows", 2 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	if d.View.Count != 1 {
		t.Fatalf("%d stories, want 1:\n%s", d.View.Count, d.Message.Text)
	}
	for _, headline := range []string{"with in-house Kirin 9030 chip", "teardown shows"} {
		if !strings.Contains(d.Message.Text, headline) || !strings.Contains(d.Message.HTML, headline) {
			t.Errorf("the headline %q is not shown in both parts:\n%s", headline, d.Message.Text)
		}
	}
}

// An affirming and a denying report are two developments: they never
// become one story, and each keeps its topic.
func TestCaseConfirmAndDenyStayApart(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"SecBeat", "ByteDance confirms employees spied on journalists via TikTok data leak", 4 * time.Hour},
		caseItem{"SecBeat", "TikTok data leak rumours denied by ByteDance", 2 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	if d.View.Count != 2 {
		t.Fatalf("%d stories, want 2:\n%s", d.View.Count, d.Message.Text)
	}
	denied := storyLed(t, d, "rumours denied")
	if !slices.Contains(denied.Topics, "Data breach") {
		t.Errorf("the denial lost its topic: %v", denied.Topics)
	}
}

// A merged story keeps every topic its items matched, and never lists
// the lead's own outlet as another report.
func TestCaseMergedStoryKeepsTopicsNotOwnOutlet(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"SecBeat", "ByteDance admits TikTok employees spied on journalists", 5 * time.Hour},
		caseItem{"TechDesk", "ByteDance admits TikTok staff tracked journalists in data leak", 4 * time.Hour},
		caseItem{"SecBeat", "TikTok employees spied on journalists, ByteDance admits", 3 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	if d.View.Count != 1 {
		t.Fatalf("%d stories, want 1:\n%s", d.View.Count, d.Message.Text)
	}
	sv := allStories(d.View)[0]
	for _, topic := range []string{"Espionage", "Data breach"} {
		if !slices.Contains(sv.Topics, topic) {
			t.Errorf("the story's topics %v lack %s", sv.Topics, topic)
		}
	}
	for _, l := range sv.Lines {
		for _, o := range l.Outlets {
			if o.Source == sv.Source {
				t.Errorf("the lead's own outlet %s is listed as another report:\n%s", o.Source, d.Message.Text)
			}
		}
	}
}

// Each outlet is named once per story.
func TestCaseOutletOnce(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"TechDesk", "Alibaba Cloud outage knocks Hong Kong apps offline", 6 * time.Hour},
		caseItem{"Global Wire — World", "Alibaba Cloud outage hits Hong Kong apps and exchanges", 5 * time.Hour},
		caseItem{"Briefings", "Alibaba Cloud suffers Hong Kong outage, apps offline", 4 * time.Hour},
		caseItem{"Global Wire — World", "Alibaba Cloud restores Hong Kong zone after outage took apps offline", 3 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	if d.View.Count != 1 {
		t.Fatalf("%d stories, want 1:\n%s", d.View.Count, d.Message.Text)
	}
	sv := allStories(d.View)[0]
	names := map[string]int{sv.Source: 1}
	for _, l := range sv.Lines {
		for _, o := range l.Outlets {
			names[o.Source]++
		}
	}
	for name, n := range names {
		if n > 1 {
			t.Errorf("%s named %d times in one story:\n%s", name, n, d.Message.Text)
		}
	}
	// The outlet's other report says something else: it stays visible.
	if !strings.Contains(d.Message.Text, "hits Hong Kong apps and exchanges") || !strings.Contains(d.Message.Text, "restores Hong Kong zone") {
		t.Errorf("the outlet's follow-up is hidden:\n%s", d.Message.Text)
	}
}

// Within a section, a story more outlets carry comes before one outlet's
// item, and today's story before one of yesterday.
func TestCaseOrderByOutletsAndRecency(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"TechDesk", "Huawei Cloud wins Saudi government contract", 1 * time.Hour},
		caseItem{"TechDesk", "Huawei opens Paris research centre for mathematics", 26 * time.Hour},
		caseItem{"Global Wire — World", "Huawei sanctions widened to 20 more chip suppliers", 5 * time.Hour},
		caseItem{"Briefings", "US widens Huawei sanctions to 20 more chip suppliers", 4 * time.Hour},
		caseItem{"Daily Ledger", "Washington adds 20 Huawei chip suppliers to sanctions list", 6 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	var titles []string
	for _, sv := range allStories(d.View) {
		titles = append(titles, sv.Title)
	}
	if len(titles) != 3 || !strings.Contains(titles[0], "sanctions") || !strings.Contains(titles[1], "Saudi") {
		t.Errorf("order %q; want the three-outlet story, then today's, then yesterday's", titles)
	}
}

// A report that reverses a delivered one ("confirms" after "denies",
// "charged" after "cleared") is news: it stands with its own headline,
// never folded as "now also" under the delivered one.
func TestCaseReversalIsNews(t *testing.T) {
	for _, tt := range []struct{ before, after string }{
		{"Alibaba denies data breach affecting cloud customers", "Alibaba confirms data breach affecting cloud customers"},
		{"Huawei engineer cleared of espionage charges in Poland", "Huawei engineer charged with espionage in Poland"},
	} {
		t.Run(tt.after, func(t *testing.T) {
			c, st := caseComposer(t)
			saveCase(t, st, caseItem{"SecBeat", tt.before, 30 * time.Hour})
			composeCase(t, c, caseDay.Add(-24*time.Hour), true)
			saveCase(t, st, caseItem{"Reuters", tt.after, 2 * time.Hour})
			d := composeCase(t, c, caseDay, false)
			sv := storyLed(t, d, tt.after)
			if sv.Folded {
				t.Errorf("the reversal is folded under the delivered report:\n%s", d.Message.Text)
			}
			doc := NewDocument(d.View, d.Message)
			for _, s := range doc.Stories {
				for _, a := range s.Also {
					if a.Source == "Reuters" && a.Title != tt.after {
						t.Errorf("the document pairs Reuters with %q", a.Title)
					}
				}
			}
		})
	}
}

// A roundup naming two events joins at most one of their stories, and
// never leads one.
func TestCaseRoundupJoinsOne(t *testing.T) {
	c, st := caseComposer(t)
	saveCase(t, st,
		caseItem{"TechDesk", "Alibaba Cloud outage takes Hong Kong apps offline", 6 * time.Hour},
		caseItem{"Global Wire — World", "Hong Kong apps offline after Alibaba Cloud outage", 5 * time.Hour},
		caseItem{"Briefings", "Alibaba fined 4 million euros in Germany over price rules", 6 * time.Hour},
		caseItem{"Daily Ledger", "German regulator fines Alibaba 4 million euros over price rules", 5 * time.Hour},
		caseItem{"Morning Feed", "Roundup: Alibaba Cloud outage takes Hong Kong apps offline; Alibaba fined 4 million euros in Germany", 4 * time.Hour})
	d := composeCase(t, c, caseDay, false)
	if d.View.Count != 2 {
		t.Fatalf("%d stories, want 2:\n%s", d.View.Count, d.Message.Text)
	}
	for _, sv := range allStories(d.View) {
		if strings.HasPrefix(sv.Title, "Roundup") {
			t.Errorf("the roundup leads a story:\n%s", d.Message.Text)
		}
	}
}
