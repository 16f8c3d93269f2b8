package main

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// item is one labelled headline.
type item struct {
	id        string
	title     string
	publisher string
	story     string
	link      string
	published time.Time
}

// readItems reads a labelled headline file by its column names.
func readItems(path string) ([]item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[strings.ToUpper(strings.TrimSpace(name))] = i
	}
	for _, name := range []string{"ID", "TITLE", "PUBLISHER", "STORY", "PUBLISHED"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no column %s", path, name)
		}
	}
	var out []item
	for n, r := range rows[1:] {
		ms, err := strconv.ParseInt(r[col["PUBLISHED"]], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: PUBLISHED: %w", path, n+2, err)
		}
		// The links are made up: a real feed's link may be shared by
		// copies, which would test copy merging, not grouping.
		id := r[col["ID"]]
		out = append(out, item{
			id:        id,
			title:     r[col["TITLE"]],
			publisher: strings.TrimSpace(r[col["PUBLISHER"]]),
			story:     r[col["STORY"]],
			link:      "https://newsagg.example/item/" + id,
			published: time.UnixMilli(ms).UTC(),
		})
	}
	return out, nil
}

// company is one tracked company of the evaluation's watchlist.
type company struct {
	Name    string   `toml:"name"`
	Aliases []string `toml:"aliases"`
}

// readWatchlist reads [[companies]] tables from a TOML file.
func readWatchlist(path string) ([]company, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w struct {
		Companies []company `toml:"companies"`
	}
	if err := toml.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(w.Companies) == 0 {
		return nil, fmt.Errorf("%s: no [[companies]]", path)
	}
	return w.Companies, nil
}

// rss is the feed file written for one publisher.
type rss struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string    `xml:"title"`
		Link  string    `xml:"link"`
		Items []rssItem `xml:"item"`
	} `xml:"channel"`
}

type rssItem struct {
	Title   string `xml:"title"`
	Link    string `xml:"link"`
	GUID    string `xml:"guid"`
	PubDate string `xml:"pubDate"`
}

// writeSetup writes one RSS file per publisher and the configuration, and
// returns the configuration's path. Times are shifted together so that
// the newest item is five minutes before now.
func writeSetup(dir string, items []item, companies []company, now time.Time) (string, error) {
	oldest, newest := span(items)
	shift := now.Add(-5 * time.Minute).Sub(newest)
	byPublisher := map[string][]item{}
	for _, it := range items {
		byPublisher[it.publisher] = append(byPublisher[it.publisher], it)
	}
	feeds := filepath.Join(dir, "feeds")
	if err := os.MkdirAll(feeds, 0o755); err != nil {
		return "", err
	}
	type source struct {
		Name string `toml:"name"`
		Feed string `toml:"feed"`
	}
	type watched struct {
		Name    string   `toml:"name"`
		Aliases []string `toml:"aliases"`
		AllNews bool     `toml:"all_news"`
	}
	type digestEntry struct {
		Name       string   `toml:"name"`
		Schedule   string   `toml:"schedule"`
		To         []string `toml:"to"`
		MaxStories int      `toml:"max_stories"`
	}
	cfg := struct {
		Timezone string `toml:"timezone"`
		Database string `toml:"database"`
		MaxAge   string `toml:"max_age"`
		Output   struct {
			Dir string `toml:"dir"`
		} `toml:"output"`
		Sources   []source      `toml:"sources"`
		Companies []watched     `toml:"companies"`
		Digests   []digestEntry `toml:"digests"`
	}{Timezone: "UTC", Database: "newswatch.db"}
	// Every item is inside max_age, with a day to spare.
	cfg.MaxAge = (newest.Sub(oldest) + 24*time.Hour).Round(time.Hour).String()
	cfg.Output.Dir = "digests"
	publishers := make([]string, 0, len(byPublisher))
	for p := range byPublisher {
		publishers = append(publishers, p)
	}
	slices.Sort(publishers)
	for n, p := range publishers {
		path := filepath.Join(feeds, fmt.Sprintf("%04d.xml", n))
		if err := writeFeed(path, p, byPublisher[p], shift); err != nil {
			return "", err
		}
		cfg.Sources = append(cfg.Sources, source{Name: p, Feed: "file://" + path})
	}
	for _, c := range companies {
		cfg.Companies = append(cfg.Companies, watched{Name: c.Name, Aliases: c.Aliases, AllNews: true})
	}
	cfg.Digests = []digestEntry{{Name: "Stories", Schedule: "0 7 * * *", To: []string{"reader@example.org"}, MaxStories: 100000}}
	b, err := toml.Marshal(cfg)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "newswatch.toml")
	return path, os.WriteFile(path, b, 0o644)
}

// span returns the publication times of the oldest and newest of items.
func span(items []item) (oldest, newest time.Time) {
	newest = items[0].published
	oldest = newest
	for _, it := range items {
		if it.published.After(newest) {
			newest = it.published
		}
		if it.published.Before(oldest) {
			oldest = it.published
		}
	}
	return oldest, newest
}

// writeFeed writes publisher's items as an RSS file at path, their times
// moved by shift.
func writeFeed(path, publisher string, items []item, shift time.Duration) error {
	var f rss
	f.Version = "2.0"
	f.Channel.Title = publisher
	f.Channel.Link = "https://newsagg.example/"
	for _, it := range items {
		f.Channel.Items = append(f.Channel.Items, rssItem{
			Title: it.title, Link: it.link, GUID: it.link,
			PubDate: it.published.Add(shift).Format(time.RFC1123Z),
		})
	}
	b, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), b...), 0o644)
}

// countStories counts the labelled stories of the items at idx (nil: all).
func countStories(items []item, idx []int) int {
	seen := map[string]bool{}
	if idx == nil {
		for _, it := range items {
			seen[it.story] = true
		}
	}
	for _, i := range idx {
		seen[items[i].story] = true
	}
	return len(seen)
}
