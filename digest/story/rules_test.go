package story

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStoriesCleanTitle: the wire-service labels of a headline go, at the
// start (several in a row) and a trailing version mark.
func TestStoriesCleanTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"UPDATE 2-Alibaba denies PLA report", "Alibaba denies PLA report"},
		{"EXCLUSIVE-Alibaba denies PLA report", "Alibaba denies PLA report"},
		{"[UPDATED] Alibaba denies PLA report", "Alibaba denies PLA report"},
		{"BREAKING: Alibaba denies PLA report", "Alibaba denies PLA report"},
		{"(Updated) Alibaba denies PLA report", "Alibaba denies PLA report"},
		{"REFILE-UPDATE 1-Alibaba denies PLA report", "Alibaba denies PLA report"},
		{"Alibaba denies PLA report (2)", "Alibaba denies PLA report"},
		{"UPDATE 3-Alibaba denies PLA report (3)", "Alibaba denies PLA report"},
		{"Alibaba denies PLA report (2025)", "Alibaba denies PLA report (2025)"},
		{"Update on Alibaba's PLA report", "Update on Alibaba's PLA report"},
	}
	for _, tt := range tests {
		if got := cleanTitle(tt.in); got != tt.want {
			t.Errorf("cleanTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStoriesRoundupHeadline: a headline names several events when it
// carries a roundup label or joins two clauses of three words or more
// with a semicolon.
func TestStoriesRoundupHeadline(t *testing.T) {
	tests := []struct {
		title string
		want  bool
	}{
		{"Roundup: Alibaba, Huawei and ZTE", true},
		{"Morning briefing - what happened overnight", true},
		{"What you need to know: chips, tariffs", true},
		{"Alibaba denies PLA report; Huawei suppliers face new curbs", true},
		{"Alibaba denies; Huawei suppliers face new curbs", false},
		{"Alibaba denies PLA report", false},
		{"Briefings on Alibaba resume", false},
	}
	for _, tt := range tests {
		if got := roundup(tt.title); got != tt.want {
			t.Errorf("roundup(%q) = %v, want %v", tt.title, got, tt.want)
		}
	}
}

// TestStoriesGroupRules checks the rules of the package doc that keep
// reports apart, or order a story, whatever their likeness.
func TestStoriesGroupRules(t *testing.T) {
	base := time.Date(2025, 11, 15, 9, 0, 0, 0, time.UTC)
	denial := "Alibaba on Saturday denied a Financial Times report, based on a White House memo, " +
		"that it gave the People's Liberation Army access to customer data and zero-day vulnerabilities."
	chips := "The Bureau of Industry and Security put 27 more Chinese firms on its entity list, " +
		"mostly toolmakers in Shenzhen that it says feed Huawei's Ascend accelerators."
	item := func(source, title, text string, score float64) Candidate {
		return Candidate{Key: source + "/" + title, Source: source, Title: title, Text: text,
			Published: base, Score: score}
	}
	tests := []struct {
		name string
		in   []Candidate
		want [][]int
	}{
		{"a roundup does not lead, however it scores", []Candidate{
			item("FT", "Alibaba denies PLA report", denial, 1),
			item("Reuters", "Roundup: Alibaba denies PLA report", denial, 5),
		}, [][]int{{0, 1}}},
		{"a roundup joins one story, not two", []Candidate{
			item("FT", "Alibaba denies PLA report", denial, 3),
			item("The Verge", "US tightens the screws on Huawei's chip suppliers", chips, 2),
			item("Reuters", "Alibaba denies PLA report; US tightens the screws on Huawei's chip suppliers", denial+" "+chips, 1),
		}, [][]int{{0}, {1, 2}}},
		{"affirming and denying stay apart", []Candidate{
			item("FT", "Alibaba denies data breach affecting cloud customers", denial, 2),
			item("Reuters", "Alibaba confirms data breach affecting cloud customers", denial, 1),
		}, [][]int{{0}, {1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustGroup(t, tt.in); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Group = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStoriesRestatesShare: a report restates earlier ones when at least
// 70% of the distinct words of its headline and first sentence are in
// their headlines and openings; the rest of a long text is not read.
func TestStoriesRestatesShare(t *testing.T) {
	// Ten words; the earlier headline holds the first n of them.
	words := strings.Fields("belgium monitoring alibaba logistics hub liège espionage intelligence service concerns")
	c := Candidate{Title: strings.Join(words, " ")}
	for n, want := range map[int]bool{6: false, 7: true} {
		earlier := []Candidate{{Title: strings.Join(words[:n], " ")}}
		if got := Restates(earlier, c); got != want {
			t.Errorf("%d of 10 words known: Restates = %v, want %v", n, got, want)
		}
	}

	filler := strings.Repeat("Lorem ipsum dolor sit amet. ", 40) // over 1,000 bytes
	earlier := []Candidate{{Title: "Belgium monitoring Alibaba hub", Text: filler + "Espionage concerns grow."}}
	if c := (Candidate{Title: "Belgium monitoring Alibaba hub over espionage concerns"}); Restates(earlier, c) {
		t.Errorf("words past the opening of an earlier text count as known")
	}

	// A first sentence is read up to 300 bytes: what follows does not count.
	known := []Candidate{{Title: "Belgium monitoring Alibaba hub over espionage concerns"}}
	long := Candidate{
		Title: "Belgium monitoring Alibaba hub over espionage concerns",
		Text:  strings.Repeat("Belgium monitoring Alibaba ", 12) + strings.Repeat(" ", 300) + "lorem ipsum dolor amet consectetur adipiscing elit sed",
	}
	if !Restates(known, long) {
		t.Errorf("words past 300 bytes of the first sentence count")
	}
}

// TestStoriesSameReportBothWays: two reports are the same only when each
// restates the other; a headline that adds much to another is not it.
func TestStoriesSameReportBothWays(t *testing.T) {
	short := Candidate{Title: "Alibaba denies data breach"}
	long := Candidate{Title: "Alibaba denies data breach affecting cloud customers in Europe and Asia"}
	if SameReport(short, long) || SameReport(long, short) {
		t.Errorf("%q and %q are the same report", short.Title, long.Title)
	}
}
