package story

import (
	"fmt"
	"testing"
	"time"
)

// TestStoriesOneEventPerCompany groups twelve outlets' headlines of one
// event for each of three companies, written here in the words outlets
// use for an outage, falling sales and quarterly results ("crashes",
// "goes down", "outage"; "sales fall", "sales tank"): each event is one
// story, or two at most, and no story mixes companies.
func TestStoriesOneEventPerCompany(t *testing.T) {
	sets := map[string][]string{
		"Twitter": {"Twitter down for thousands of users worldwide", "Twitter suffers outage, users unable to tweet", "Twitter crashes for users across the globe",
			"Twitter is back after brief outage", "Twitter outage: site goes down for an hour", "Twitter goes down, frustrating users",
			"Twitter restores service after widespread outage", "Is Twitter down? Users report problems", "Twitter hit by global outage",
			"Twitter blames outage on software bug", "Twitter experiences technical difficulties", "Twitter service disrupted for many users"},
		"McDonald's": {"McDonald's February sales fall", "McDonald's global sales slide in February", "McDonald's US sales tank as weather bites",
			"McDonald's same-store sales drop 0.3% in February", "McDonald's posts weak February sales", "McDonald's sales slump continues",
			"McDonald's sales decline blamed on cold weather", "UPDATE 2-McDonald's February sales fall, misses estimates", "McDonald's comparable sales down in US, Europe",
			"McDonald's shares fall after sales miss", "McDonald's monthly sales disappoint", "McDonald's sees sales dip in February"},
		"Urban Outfitters": {"Urban Outfitters Q4 profit falls", "Urban Outfitters fourth-quarter earnings miss estimates", "Urban Outfitters profit drops 18%",
			"Urban Outfitters shares slide after quarterly results", "Urban Outfitters reports lower fourth quarter profit", "Urban Outfitters Q4 earnings: what to expect",
			"Urban Outfitters' quarterly revenue rises 6%", "Urban Outfitters net income declines", "Urban Outfitters Inc. (URBN) Q4 results",
			"Urban Outfitters misses on earnings", "Urban Outfitters stock falls on weak quarter", "Urban Outfitters posts Q4 profit decline"},
	}
	var cs []Candidate
	var labels []string
	base := time.Date(2014, 3, 10, 12, 0, 0, 0, time.UTC)
	n := 0
	for co, hs := range sets {
		for _, h := range hs {
			n++
			cs = append(cs, Candidate{Key: fmt.Sprint(n), Source: fmt.Sprintf("Outlet %d", n), Title: h, Companies: []string{co}, Published: base.Add(time.Duration(n*37%600) * time.Minute), Score: 1})
			labels = append(labels, co)
		}
	}
	got := mustGroup(t, cs)
	tp, fp, fn, _, _ := pairCounts(got, labels)
	t.Logf("%d stories: %v", len(got), pr{tp, fp, fn})
	if fp > 0 || len(got) > 2*len(sets) {
		t.Errorf("%d stories, %d false pairs; want at most %d stories and none", len(got), fp, 2*len(sets))
	}
}
