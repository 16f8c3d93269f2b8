// Command storyeval measures story grouping the way a reader gets it:
// through the built newswatch binary. It turns a labelled headline file
// (the News Aggregator sample's columns: ID, TITLE, PUBLISHER, STORY,
// PUBLISHED in ms, optional URL) into one RSS file per publisher, its
// times shifted so that the newest item is a few minutes old, writes a
// configuration as a user would (the watchlist's companies with their
// aliases and all_news = true, one file: feed per publisher, a digest
// whose max_stories shows every story), runs `newswatch fetch` and
// `newswatch preview -format json`, reads every report of every story
// from the JSON and scores the stories against the STORY labels:
// pairwise precision and recall, B-cubed F1, and how many of the labelled
// stories with several items came out whole. It scores a plain baseline
// (TF-IDF average linkage, see baseline.go) on exactly the same items.
//
// Usage (from the repository root):
//
//	go run ./cmd/storyeval [-data items.csv] [-watchlist companies.toml] [-keep DIR] [-split [-seed N]] [-worst N]
//
// -split also scores two disjoint halves of the labelled stories (every
// item of a story in one half; -seed draws another split), so a change
// tuned on one half is judged on the other. -worst N prints the N worst
// false merges (a digest story joining labelled stories) and split
// stories, with headlines.
//
// Only items the watchlist matches reach a digest, so only they are
// scored. -watchlist names a TOML file of [[companies]] tables (name,
// aliases); the default, chosen for the shared sample's business and
// technology stories, is the one digest/story's tests guard.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "storyeval:", err)
		os.Exit(1)
	}
}

// defaultData is the shared sample, as kept in the repository.
const defaultData = "digest/story/testdata/newsagg/items.csv"

// defaultWatchlist is the shared sample's evaluation watchlist.
const defaultWatchlist = "digest/story/testdata/newsagg/watchlist.toml"

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("storyeval", flag.ContinueOnError)
	data := fs.String("data", defaultData, "labelled headlines (CSV with ID, TITLE, PUBLISHER, STORY, PUBLISHED)")
	wl := fs.String("watchlist", defaultWatchlist, "TOML file of [[companies]] (name, aliases)")
	keep := fs.String("keep", "", "work in this folder and keep it (default: a temporary folder, removed)")
	bin := fs.String("binary", "", "use this newswatch binary rather than building ./cmd/newswatch")
	split := fs.Bool("split", false, "also score each of two disjoint halves of the labelled stories")
	seed := fs.Uint64("seed", 0, "with -split: which split (0: by a hash of the story label)")
	worst := fs.Int("worst", 0, "print the N worst false merges and split stories")
	if err := fs.Parse(args); err != nil {
		return err
	}
	items, err := readItems(*data)
	if err != nil {
		return err
	}
	companies, err := readWatchlist(*wl)
	if err != nil {
		return err
	}
	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "storyeval-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	pred, err := product(ctx, *bin, dir, items, companies)
	if err != nil {
		return err
	}
	// The items scored are those the watchlist matches, found by the
	// product's own matcher: a matched item the digest does not list
	// counts as a story of its own.
	seen := matched(items, companies)
	listed := 0
	for _, s := range pred {
		listed += len(s)
	}
	gold := make([]string, len(items))
	for i, it := range items {
		gold[i] = it.story
	}
	fmt.Fprintf(out, "data: %s: %d items, %d stories; watchlist: %d companies\n", *data, len(items), countStories(items, nil), len(companies))
	fmt.Fprintf(out, "matched: %d items in %d labelled stories (%d with several items); listed in the digest: %d\n",
		len(seen), countStories(items, seen), multiStories(gold, seen), listed)
	fmt.Fprintln(out)
	base := baseline(items, seen, companies)
	table(out, gold, seen, pred, base)
	if *split {
		for n := range 2 {
			idx := splitIdx(gold, seen, *seed, n)
			fmt.Fprintf(out, "\nhalf %d of seed %d: %d items in %d labelled stories (%d with several items)\n",
				n, *seed, len(idx), countStories(items, idx), multiStories(gold, idx))
			table(out, gold, idx, pred, base)
		}
	}
	if *worst > 0 {
		offenders(out, items, seen, pred, *worst)
	}
	return nil
}

// product runs newswatch (bin, else one built into dir) on the sample in
// dir as a user would, fetch then preview, and returns the digest's
// stories as indexes into items.
func product(ctx context.Context, bin, dir string, items []item, companies []company) ([][]int, error) {
	exe := bin
	if exe == "" {
		exe = filepath.Join(dir, "newswatch")
		build := exec.CommandContext(ctx, "go", "build", "-o", exe, "./cmd/newswatch")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build newswatch (run from the repository root): %w", err)
		}
	}
	now := time.Now()
	cfg, err := writeSetup(dir, items, companies, now)
	if err != nil {
		return nil, err
	}
	if _, err := newswatch(ctx, exe, "fetch", "-config", cfg); err != nil {
		return nil, err
	}
	doc, err := newswatch(ctx, exe, "preview", "-config", cfg, "-format", "json")
	if err != nil {
		return nil, err
	}
	return readStories(doc, items)
}

// table prints the product's and the baseline's scores over the items at idx.
func table(out io.Writer, gold []string, idx []int, pred [][]int, base func(float64) [][]int) {
	fmt.Fprintf(out, "%-22s %9s %6s %6s %9s %s\n", "", "precision", "recall", "F1", "B3 F1", "stories kept whole")
	printScore(out, "newswatch", score(gold, idx, pred))
	for _, th := range baselineThresholds {
		printScore(out, fmt.Sprintf("baseline %.2f", th), score(gold, idx, base(th)))
	}
}

// newswatch runs the binary and returns its standard output.
func newswatch(ctx context.Context, exe string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("newswatch %s: %w\n%s", args[0], err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// document is what storyeval reads of `preview -format json`.
type document struct {
	Stories []struct {
		Title  string `json:"title"`
		Link   string `json:"link"`
		Source string `json:"source"`
		Also   []struct {
			Source string `json:"source"`
			Title  string `json:"title"`
			Link   string `json:"link"`
		} `json:"also_reported_by"`
		MoreOutlets int  `json:"more_outlets"`
		Folded      bool `json:"folded"`
	} `json:"stories"`
	More []struct {
		Title string `json:"title"`
	} `json:"more"`
}

// errHidden: the digest did not list every report, so it cannot be scored.
var errHidden = errors.New("the digest hides reports")

// readStories maps each story's reports back to items.
func readStories(b []byte, items []item) ([][]int, error) {
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("preview json: %w", err)
	}
	if len(doc.More) > 0 {
		return nil, fmt.Errorf("%w: %d stories past max_stories", errHidden, len(doc.More))
	}
	byLink := map[string]int{}
	bySourceTitle := map[[2]string]int{}
	for i, it := range items {
		byLink[it.link] = i
		bySourceTitle[[2]string{it.publisher, it.title}] = i
	}
	find := func(source, title, link string) (int, bool) {
		if i, ok := byLink[link]; ok && items[i].publisher == source {
			return i, true
		}
		// Another outlet's copy of the lead's report shares its link.
		i, ok := bySourceTitle[[2]string{source, title}]
		return i, ok
	}
	placed := map[int]bool{}
	var out [][]int
	for _, s := range doc.Stories {
		var st []int
		add := func(source, title, link string) {
			if i, ok := find(source, title, link); ok && !placed[i] {
				placed[i] = true
				st = append(st, i)
			}
		}
		add(s.Source, s.Title, s.Link)
		for _, a := range s.Also {
			add(a.Source, a.Title, a.Link)
		}
		if s.MoreOutlets > 0 {
			fmt.Fprintf(os.Stderr, "storyeval: %q: %d reports not listed (more_outlets): scored as missing\n", s.Title, s.MoreOutlets)
		}
		if len(st) > 0 {
			out = append(out, st)
		}
	}
	return out, nil
}
