package digest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

// report is one file of testdata/seeds: a header, a blank line, the text.
type report struct {
	source string
	item   model.Item
}

func loadReport(t *testing.T, name string) report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(b), "\n\n")
	if !ok {
		t.Fatalf("%s: no blank line after the header", name)
	}
	var r report
	for line := range strings.SplitSeq(head, "\n") {
		key, val, _ := strings.Cut(line, ": ")
		switch key {
		case "Source":
			r.source = val
		case "Link":
			r.item.Key, r.item.Link = val, val
		case "Title":
			r.item.Title = val
		case "Published":
			if r.item.Published, err = time.Parse(time.RFC3339, val); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	r.item.Content = strings.TrimSpace(body)
	if r.source == "" || r.item.Key == "" || r.item.Title == "" || r.item.Published.IsZero() {
		t.Fatalf("%s: Source, Link, Title and Published are required", name)
	}
	return r
}

// seedComposer is a Composer over an empty store, tracking Alibaba for
// espionage and military ties.
func seedComposer(t *testing.T) (*Composer, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wl, err := match.Compile(
		[]match.Company{{Name: "Alibaba", Aliases: []string{"Alibaba Group", "Alibaba Cloud", "Cainiao"}}},
		[]match.Topic{
			{Name: "Espionage", Terms: []string{"espionage", "spying", "intelligence service", "State Security"}},
			{Name: "Military ties", Terms: []string{"PLA", "People's Liberation Army", "military"}},
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

func saveReports(t *testing.T, st *store.Store, at time.Time, names ...string) {
	t.Helper()
	for _, name := range names {
		r := loadReport(t, name)
		if _, err := st.SaveRun(context.Background(), model.Run{Source: r.source, Started: at, Status: model.StatusOK, Items: 1}, []model.Item{r.item}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestComposeSeeds composes one digest from three outlets' reports of each
// of two events, all on one day: it shows two stories, each with the
// other two outlets as "also reported by".
func TestComposeSeeds(t *testing.T) {
	c, st := seedComposer(t)
	saveReports(t, st, time.Now(), "a1-scmp.txt", "a2-reuters.txt", "a3-register.txt",
		"b1-euronews.txt", "b2-politico.txt", "b3-brusselstimes.txt")
	now := time.Date(2025, 11, 16, 18, 0, 0, 0, time.UTC)
	d, err := c.Compose(context.Background(), Spec{Name: "Morning", Location: time.UTC}, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.View.Count != 2 {
		t.Fatalf("%d stories, want 2:\n%s", d.View.Count, d.Message.Text)
	}
	for _, sv := range d.View.Sections[0].Stories {
		if len(sv.Also) != 2 {
			t.Errorf("story %q: also reported by %d outlets, want 2:\n%s", sv.Title, len(sv.Also), d.Message.Text)
		}
	}
}

// TestComposeUpdates delivers a digest, then composes the next day's: a
// new report of a delivered story is shown as an update of it, and a
// report that only restates one is folded into one line.
func TestComposeUpdates(t *testing.T) {
	ctx := context.Background()
	c, st := seedComposer(t)
	spec := Spec{Name: "Morning", To: []string{"analyst@example.org"}, Location: time.UTC}

	saveReports(t, st, time.Now(), "a1-scmp.txt", "a2-reuters.txt", "b1-euronews.txt")
	day1 := time.Date(2025, 11, 16, 10, 0, 0, 0, time.UTC)
	d, err := c.Compose(ctx, spec, day1, day1)
	if err != nil {
		t.Fatal(err)
	}
	if d.View.Count != 2 {
		t.Fatalf("day 1: %d stories, want 2:\n%s", d.View.Count, d.Message.Text)
	}
	if err := c.Record(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSent(ctx, d.Message.ID, day1); err != nil {
		t.Fatal(err)
	}

	saveReports(t, st, time.Now(), "a4-bloomberg.txt", "b4-yahoo-syndicated.txt")
	day2 := time.Date(2025, 11, 17, 10, 0, 0, 0, time.UTC)
	d, err = c.Compose(ctx, spec, day2, day2)
	if err != nil {
		t.Fatal(err)
	}
	if d.View.Count != 2 {
		t.Fatalf("day 2: %d stories, want 2:\n%s", d.View.Count, d.Message.Text)
	}
	var update, folded *StoryView
	for i, sv := range d.View.Sections[0].Stories {
		if sv.Folded {
			folded = &d.View.Sections[0].Stories[i]
		} else {
			update = &d.View.Sections[0].Stories[i]
		}
	}
	if update == nil || folded == nil {
		t.Fatalf("want one update and one folded story:\n%s", d.Message.Text)
	}
	if want := "first reported Sun by South China Morning Post · 3 outlets so far"; update.Update != want {
		t.Errorf("update line %q, want %q", update.Update, want)
	}
	if !strings.Contains(update.Title, "Alibaba Shares Slide") {
		t.Errorf("update led by %q, want the new report", update.Title)
	}
	if want := "Belgium monitoring China's Alibaba over spying concerns · update · first reported Sun by Euronews · 2 outlets so far · now also Yahoo News [2]"; folded.Line != want {
		t.Errorf("folded line\n%q, want\n%q", folded.Line, want)
	}
	for _, want := range []string{"update · first reported Sun by South China Morning Post", "~ Belgium monitoring"} {
		if !strings.Contains(d.Message.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, d.Message.Text)
		}
	}
	if !strings.Contains(d.Message.HTML, "now also") {
		t.Errorf("HTML part lacks the folded story")
	}
	doc := NewDocument(d.View, d.Message)
	var updates, folds int
	for _, s := range doc.Stories {
		if s.Update != "" {
			updates++
		}
		if s.Folded {
			folds++
		}
	}
	if updates != 2 || folds != 1 {
		t.Errorf("document: %d updates, %d folded; want 2 and 1", updates, folds)
	}
}

// TestComposeManyOutlets checks that a story every outlet carries names
// ten of them in the mail and counts the others, while the JSON document
// lists every report.
func TestComposeManyOutlets(t *testing.T) {
	c, st := seedComposer(t)
	r := loadReport(t, "a2-reuters.txt")
	for i := range 15 {
		it := r.item
		it.Key = fmt.Sprintf("%s?copy=%d", it.Link, i)
		it.Link = it.Key
		if _, err := st.SaveRun(context.Background(), model.Run{Source: fmt.Sprintf("Outlet %d", i), Started: time.Now(), Status: model.StatusOK, Items: 1}, []model.Item{it}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2025, 11, 16, 18, 0, 0, 0, time.UTC)
	d, err := c.Compose(context.Background(), Spec{Name: "Morning", Location: time.UTC}, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.View.Count != 1 {
		t.Fatalf("%d stories, want 1:\n%s", d.View.Count, d.Message.Text)
	}
	sv := d.View.Sections[0].Stories[0]
	named := 0
	for _, l := range sv.Lines {
		named += len(l.Outlets)
	}
	if named != 10 || sv.MoreOutlets != 4 || !strings.Contains(d.Message.Text, "and 4 more outlets") {
		t.Errorf("mail names %d outlets, %d more; want 10 and 4 more:\n%s", named, sv.MoreOutlets, d.Message.Text)
	}
	doc := NewDocument(d.View, d.Message)
	if got := len(doc.Stories[0].Also); got != 14 {
		t.Errorf("the JSON document lists %d other reports, want all 14", got)
	}
}

// TestFooterNamesOwnFailures: a digest's footer reports its own failed
// mail, not another digest's (whose readers, recipients and errors are not
// this digest's readers' business).
func TestFooterNamesOwnFailures(t *testing.T) {
	ctx := context.Background()
	c, st := seedComposer(t)
	day1 := time.Date(2025, 11, 16, 10, 0, 0, 0, time.UTC)
	for _, name := range []string{"Board", "Morning"} {
		m := model.Message{Digest: name, Slot: day1, Created: day1, MessageID: "<" + name + "@x>", To: []string{"a@example.org"}}
		if err := st.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkFailed(ctx, m.ID, "550 5.1.1 <"+name+"-chair@board.example>: no such user"); err != nil {
			t.Fatal(err)
		}
	}
	saveReports(t, st, time.Now(), "a1-scmp.txt")
	day2 := day1.Add(24 * time.Hour)
	d, err := c.Compose(ctx, Spec{Name: "Morning", Location: time.UTC}, day2, day2)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.Message.Text, "Board") {
		t.Errorf("the Morning digest reports the Board digest's failure:\n%s", d.Message.Text)
	}
	if !strings.Contains(d.Message.Text, "Morning-chair@board.example") {
		t.Errorf("the Morning digest does not report its own failure:\n%s", d.Message.Text)
	}
}
