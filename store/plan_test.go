package store

import (
	"database/sql"
	"testing"
	"time"

	"newswatch/model"
)

// TestPlanCopies: one case per rule of copy merging, on the pure plan: no
// database, the stored state given.
func TestPlanCopies(t *testing.T) {
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	earlier := now.Add(-24 * time.Hour)
	date := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const (
		outlet     = "https://outlet.example/feed"     // the link's own site
		aggregator = "https://aggregator.example/feed" // another site
		link       = "https://outlet.example/a"
	)
	copyOf := func(title, summary string, published time.Time) model.Item {
		return model.Item{Key: link, Link: link, Title: title, Summary: summary, Published: published}
	}
	storedAs := func(it model.Item, site string, published sql.NullInt64) known {
		return known{id: 7, rank: rankOf(it, site), article: rankOf(it, site).own || it.Body != "", published: published, firstSeen: earlier.UnixNano()}
	}
	short := copyOf("Title", "short", time.Time{})
	long := copyOf("Title", "a much longer summary of the article", time.Time{})
	dated := nullTime(date)

	for _, tt := range []struct {
		name     string
		site     string // the batch's source
		batch    []model.Item
		stored   map[string]known
		texts    map[int64]model.Item
		inserted map[string]int64
		check    func(t *testing.T, p copyPlan)
	}{{
		name: "a new key is inserted and reported new", site: aggregator,
		batch: []model.Item{short}, inserted: map[string]int64{link: 9},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 0 || len(p.added) != 1 || p.added[0].ID != 9 || p.added[0].Richer || !p.added[0].FirstSeen.Equal(now) {
				t.Errorf("plan %+v: want item 9 reported new, first seen now, no write", p)
			}
			if len(p.link) != 1 || p.link[0] != 9 {
				t.Errorf("links %v, want [9]", p.link)
			}
		},
	}, {
		name: "each copy of a batch is ranked by its own text", site: aggregator,
		batch:  []model.Item{{Key: "https://outlet.example/b", Link: "https://outlet.example/b", Title: "B"}, long},
		stored: map[string]known{link: storedAs(short, aggregator, sql.NullInt64{})}, inserted: map[string]int64{"https://outlet.example/b": 9},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 1 || !p.writes[0].take || p.writes[0].id != 7 || p.writes[0].it.Summary != long.Summary {
				t.Errorf("writes %+v: want the long copy of item 7 taken", p.writes)
			}
		},
	}, {
		name: "a fuller copy replaces the stored one and is reported richer", site: aggregator,
		batch: []model.Item{long}, stored: map[string]known{link: storedAs(short, aggregator, sql.NullInt64{})},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 1 || !p.writes[0].take || p.writes[0].it.Summary != long.Summary {
				t.Fatalf("writes %+v: want the long copy taken", p.writes)
			}
			if len(p.added) != 1 || !p.added[0].Richer || !p.added[0].FirstSeen.Equal(earlier) {
				t.Errorf("added %+v: want the item reported richer, first seen when stored", p.added)
			}
		},
	}, {
		name: "a shorter copy changes nothing", site: aggregator,
		batch: []model.Item{short}, stored: map[string]known{link: storedAs(long, aggregator, dated)},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 0 || len(p.added) != 0 {
				t.Errorf("plan %+v: want no write, nothing reported", p)
			}
		},
	}, {
		name: "the link's own site beats a fuller copy from elsewhere", site: outlet,
		batch: []model.Item{short}, stored: map[string]known{link: storedAs(long, aggregator, sql.NullInt64{})},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 1 || !p.writes[0].take || !p.writes[0].rank.own || !p.writes[0].article {
				t.Errorf("writes %+v: want the outlet's copy taken, marked its own article", p.writes)
			}
		},
	}, {
		name: "a fuller copy from elsewhere does not beat the link's own site", site: aggregator,
		batch: []model.Item{long}, stored: map[string]known{link: storedAs(short, outlet, dated)},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 0 {
				t.Errorf("writes %+v: want none", p.writes)
			}
		},
	}, {
		name: "a copy's date fills a best copy that has none", site: aggregator,
		batch: []model.Item{copyOf("Title", "short", date)}, stored: map[string]known{link: storedAs(long, aggregator, sql.NullInt64{})},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 1 || p.writes[0].take || p.writes[0].published != dated {
				t.Errorf("writes %+v: want the stored copy kept and its date filled from this one", p.writes)
			}
		},
	}, {
		name: "a copy's date does not replace the best copy's", site: aggregator,
		batch: []model.Item{copyOf("Title", "short", date.Add(time.Hour))}, stored: map[string]known{link: storedAs(long, aggregator, dated)},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 0 {
				t.Errorf("writes %+v: want none", p.writes)
			}
		},
	}, {
		name: "a taken copy without a date keeps the stored date", site: aggregator,
		batch: []model.Item{long}, stored: map[string]known{link: storedAs(short, aggregator, dated)},
		check: func(t *testing.T, p copyPlan) {
			if len(p.added) != 1 || !p.added[0].Published.Equal(date) {
				t.Errorf("added %+v: want the stored date kept", p.added)
			}
		},
	}, {
		name: "a copy with the page's body marks the item an article", site: aggregator,
		batch:  []model.Item{{Key: link, Link: link, Title: "Title", Body: "x"}},
		stored: map[string]known{link: storedAs(long, aggregator, dated)},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 1 || p.writes[0].take || !p.writes[0].article {
				t.Errorf("writes %+v: want the article flag filled, the copy not taken", p.writes)
			}
		},
	}, {
		name: "copies of equal rank: the greater text wins, in any order", site: aggregator,
		batch:  []model.Item{copyOf("Title B", "short", time.Time{})},
		stored: map[string]known{link: storedAs(copyOf("Title A", "short", time.Time{}), aggregator, sql.NullInt64{})},
		texts:  map[int64]model.Item{7: copyOf("Title A", "short", time.Time{})},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 1 || !p.writes[0].take || p.writes[0].it.Title != "Title B" {
				t.Errorf("writes %+v: want Title B taken", p.writes)
			}
		},
	}, {
		name: "equal rank, lesser text: kept", site: aggregator,
		batch:  []model.Item{copyOf("Title A", "short", time.Time{})},
		stored: map[string]known{link: storedAs(copyOf("Title B", "short", time.Time{}), aggregator, sql.NullInt64{})},
		texts:  map[int64]model.Item{7: copyOf("Title B", "short", time.Time{})},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 0 {
				t.Errorf("writes %+v: want none", p.writes)
			}
		},
	}, {
		name: "a pruned item takes no copy", site: outlet,
		batch: []model.Item{long}, stored: map[string]known{link: func() known { k := storedAs(short, aggregator, sql.NullInt64{}); k.pruned = true; return k }()},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 0 || len(p.added) != 0 || len(p.link) != 1 {
				t.Errorf("plan %+v: want nothing but the link", p)
			}
		},
	}, {
		name: "an item the source carried already is not linked again", site: aggregator,
		batch: []model.Item{short}, stored: map[string]known{link: func() known { k := storedAs(long, aggregator, dated); k.linked = true; return k }()},
		check: func(t *testing.T, p copyPlan) {
			if len(p.link) != 0 {
				t.Errorf("links %v, want none", p.link)
			}
		},
	}, {
		name: "a key twice in a new batch: reported once, new, with the better copy", site: aggregator,
		batch: []model.Item{short, long}, inserted: map[string]int64{link: 9},
		check: func(t *testing.T, p copyPlan) {
			if len(p.added) != 1 || p.added[0].Richer || p.added[0].Summary != long.Summary || len(p.link) != 1 {
				t.Errorf("plan %+v: want one new item with the long copy, linked once", p)
			}
		},
	}, {
		name: "a stored key twice, both better: reported once, richer, with the best copy", site: aggregator,
		batch:  []model.Item{copyOf("Title", "a bit longer", time.Time{}), long},
		stored: map[string]known{link: storedAs(short, aggregator, sql.NullInt64{})},
		check: func(t *testing.T, p copyPlan) {
			if len(p.writes) != 2 || len(p.added) != 1 || !p.added[0].Richer || p.added[0].Summary != long.Summary {
				t.Errorf("plan %+v: want two takes, one richer item with the long copy", p)
			}
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planCopies(tt.batch, ranksOf(tt.batch, tt.site), "Src", tt.stored, tt.inserted, tt.texts, now)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

// TestPlanCopiesPure: planning changes none of its inputs.
func TestPlanCopiesPure(t *testing.T) {
	link := "https://outlet.example/a"
	stored := map[string]known{link: {id: 7, rank: copyRank{size: 1}}}
	texts := map[int64]model.Item{}
	batch := []model.Item{{Key: link, Link: link, Summary: "longer"}}
	if _, err := planCopies(batch, ranksOf(batch, "https://other.example/"), "Src", stored, nil, texts, time.Now()); err != nil {
		t.Fatal(err)
	}
	if k := stored[link]; k.rank.size != 1 || k.linked || len(texts) != 0 {
		t.Errorf("planCopies changed its inputs: %+v, %v", k, texts)
	}
}
