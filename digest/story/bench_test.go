package story

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// headlines10k is 10,000 headlines: the News Aggregator sample three
// times over, each copy from other outlets and a day later.
func headlines10k(t testing.TB) []Candidate {
	items := loadNewsAgg(t)
	base := make([]Candidate, len(items))
	for i, it := range items {
		base[i] = it.Candidate
	}
	return repeated(base, 10000, 24*time.Hour)
}

// repeated is n candidates: base over and over, each round's copies from
// other outlets and every later by step.
func repeated(base []Candidate, n int, step time.Duration) []Candidate {
	cs := make([]Candidate, 0, n)
	for i := 0; len(cs) < n; i++ {
		c := base[i%len(base)]
		rep := i / len(base)
		c.Key = fmt.Sprintf("%s/%d", c.Key, rep)
		c.Source = fmt.Sprintf("%s %d", c.Source, rep)
		c.Published = c.Published.Add(time.Duration(rep) * step)
		cs = append(cs, c)
	}
	return cs
}

// fullText10k is 10,000 full-text items: the labelled set over and over,
// each copy from other outlets and six hours later.
func fullText10k(t testing.TB) []Candidate {
	raw, err := os.ReadFile(filepath.Join("testdata", "stories", "items.json"))
	if err != nil {
		t.Fatal(err)
	}
	var items []labelled
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatal(err)
	}
	base := make([]Candidate, len(items))
	for i, it := range items {
		base[i] = it.Candidate
	}
	return repeated(base, 10000, 6*time.Hour)
}

// nearIdentical is n copies of one report from n outlets within an hour,
// told apart only by a wire-service label and the reporter's name: the
// worst case for comparing everything with everything.
func nearIdentical(n int) []Candidate {
	base := time.Date(2025, 11, 15, 9, 0, 0, 0, time.UTC)
	labels := []string{"", "UPDATE 1-", "UPDATE 2-", "EXCLUSIVE-", "[UPDATED] "}
	cs := make([]Candidate, n)
	for i := range cs {
		cs[i] = Candidate{
			Key:    fmt.Sprintf("copy/%d", i),
			Source: fmt.Sprintf("Outlet %d", i),
			Title:  labels[i%len(labels)] + "Alibaba denies report it helped China's military",
			Text: "Alibaba on Saturday denied a Financial Times report, based on a White House memo, " +
				"that it gave the People's Liberation Army access to customer data and zero-day vulnerabilities. " +
				fmt.Sprintf("(Reporting by Reporter%d; editing by Editor%d)", i%50, i%13),
			Companies: []string{"Alibaba"},
			Published: base.Add(time.Duration(i%3600) * time.Second),
			Score:     1,
		}
	}
	return cs
}

func benchGroup(b *testing.B, cs []Candidate) {
	b.ReportAllocs()
	var stories int
	for b.Loop() {
		got, err := Group(context.Background(), cs, nil)
		if err != nil {
			b.Fatal(err)
		}
		stories = len(got)
	}
	b.ReportMetric(float64(stories), "stories")
}

// BenchmarkGroupHeadlines10k groups 10,000 headline-only items.
func BenchmarkGroupHeadlines10k(b *testing.B) { benchGroup(b, headlines10k(b)) }

// BenchmarkGroupFullText10k groups 10,000 full-text items.
func BenchmarkGroupFullText10k(b *testing.B) { benchGroup(b, fullText10k(b)) }

// BenchmarkGroupNearIdentical30k groups 30,000 near-identical items.
func BenchmarkGroupNearIdentical30k(b *testing.B) { benchGroup(b, nearIdentical(30000)) }

// TestStoriesCancel checks that grouping stops with the context's error,
// whether the context ended before or while it runs.
func TestStoriesCancel(t *testing.T) {
	cs := nearIdentical(3000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Group(ctx, cs, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Group with a cancelled context: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	stories, err := Group(ctx, nearIdentical(30000), nil)
	if err == nil {
		// The machine was fast enough: the result must then be whole.
		n := 0
		for _, s := range stories {
			n += len(s)
		}
		if n != 30000 {
			t.Fatalf("Group returned %d items of 30000 and no error", n)
		}
		return
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Group past its deadline: %v, want context.DeadlineExceeded", err)
	}
}

// TestStoriesNearIdentical checks that copies of one report from many
// outlets form one story.
func TestStoriesNearIdentical(t *testing.T) {
	stories := mustGroup(t, nearIdentical(500))
	if len(stories) != 1 {
		t.Errorf("500 copies of one report: %d stories, want 1", len(stories))
	}
}
