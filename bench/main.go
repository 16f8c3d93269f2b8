// Command bench measures `newswatch fetch` against a farm of generated feeds
// served on 127.0.0.1, next to the "physical limit" of the same work: a plain
// concurrent downloader and a gofeed parse-only loop over the same bytes.
//
//	go run ./bench                          # N = 100, 1000, 5000; cold, warm, 5 % changed; best of 3
//	go run ./bench -n 1000 -reps 1          # one size, one repetition
//	go run ./bench -profile bench/results   # in-process CPU and heap profile of the 1,000-feed cold run
//
// See bench/README.md for what is measured and how to read the table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command-line settings.
type options struct {
	sizes         []int
	reps          int
	concurrency   int
	terms         int
	latency       time.Duration
	latencyN      int
	matchN        int
	console       bool
	postgres      bool
	bin           string
	keep          bool
	out           string
	profile       string
	profileN      int
	profileWarm   int
	serve         int
	configDir     string
	daemons       bool
	daemonLatency time.Duration
	daemonCases   string
	pg            string
	rss2email     string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	sizes := fs.String("n", "100,1000,5000", "comma-separated farm sizes (feeds) to measure")
	fs.IntVar(&o.reps, "reps", 3, "repetitions of every measurement; the table shows the best")
	fs.IntVar(&o.concurrency, "concurrency", 8, "http.concurrency of newswatch and workers of the downloader")
	fs.IntVar(&o.terms, "terms", 1000, "watchlist size (company names, aliases and topic terms)")
	fs.DurationVar(&o.latency, "latency", 50*time.Millisecond, "per-request latency of the latency run")
	fs.IntVar(&o.latencyN, "latency-n", 1000, "feeds in the latency run (0: skip it)")
	fs.BoolVar(&o.console, "console", false, "give the configuration a [web] table (a console), so that every fetch also brings the search index up to date")
	fs.IntVar(&o.matchN, "match-n", 1000, "feeds in the cold run repeated with a 2-term watchlist (0: skip it)")
	fs.StringVar(&o.bin, "bin", "", "newswatch binary to measure (default: go build ./cmd/newswatch, CGO_ENABLED=0)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work folder (configs, databases)")
	fs.StringVar(&o.out, "o", "", "also write the report (Markdown) to this file (-daemons too)")
	fs.StringVar(&o.profile, "profile", "", "profile mode: run the cold fetch in-process under pprof, write cpu.prof and heap.prof into this folder")
	fs.IntVar(&o.profileN, "profile-n", 1000, "feeds in the profile run")
	fs.IntVar(&o.profileWarm, "profile-warm", 10, "warm runs (start-up included) profiled after the cold one")
	fs.IntVar(&o.serve, "serve", 0, "serve a farm of this many feeds and print its address until stdin closes (used by -profile)")
	fs.StringVar(&o.configDir, "config-dir", "", "with -serve: also write a newswatch.toml for the farm into this folder")
	fs.BoolVar(&o.daemons, "daemons", false, "daemon mode: `newswatch run` fetching one slot, one daemon on SQLite, one and three on PostgreSQL (-pg)")
	fs.DurationVar(&o.daemonLatency, "daemon-latency", 0, "with -daemons: delay before every response of the farm, as real servers answer")
	fs.StringVar(&o.daemonCases, "daemon-cases", "sqlite1,pg1,pg3", "with -daemons: the runs, each a database (sqlite, pg) and a number of daemons")
	fs.StringVar(&o.pg, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "with -daemons or -postgres: a PostgreSQL database to create the runs' databases from")
	fs.StringVar(&o.rss2email, "rss2email", "", "a skx/rss2email binary to run beside newswatch: the same farm, feeds and phases, its own state (see bench/README.md)")
	fs.BoolVar(&o.postgres, "postgres", false, "fetch into a fresh PostgreSQL database (created from -pg, dropped after) instead of SQLite")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		s = strings.TrimSpace(strings.ReplaceAll(s, "_", ""))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n: %q is not a positive number of feeds", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.reps < 1 || o.concurrency < 1 || o.profileWarm < 1 {
		return nil, errors.New("-reps, -concurrency and -profile-warm must be at least 1")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) >= 3 && args[0] == "-measure-child" {
		return measureChild(args[1], args[2:])
	}
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if o.serve > 0 {
		err = serve(ctx, o, stdout)
	} else if o.daemons {
		err = daemons(ctx, o, stdout, stderr)
	} else if o.profile != "" {
		err = profile(ctx, o, stdout, stderr)
	} else {
		err = measure(ctx, o, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// phase names.
const (
	cold    = "cold"
	warm    = "warm"
	changed = "5% changed"
)

// cell collects the repetitions of one measurement.
type cell struct {
	feeds    int
	phase    string
	terms    int
	latency  time.Duration
	runs     []procResult
	dl       []time.Duration
	parse1   []time.Duration // one goroutine
	parseN   []time.Duration // GOMAXPROCS goroutines
	parseCPU []time.Duration // CPU time of the one-goroutine parse
	curl     []time.Duration // curl, conditional, same concurrency (absent without curl)
	peer     []procResult    // skx/rss2email on the same feeds (absent without -rss2email)
	parsed   int             // feeds parsed by the parse-only loop
}

func (c *cell) best() procResult {
	return slices.MinFunc(c.runs, func(a, b procResult) int { return int(a.Wall - b.Wall) })
}

func (c *cell) worst() procResult {
	return slices.MaxFunc(c.runs, func(a, b procResult) int { return int(a.Wall - b.Wall) })
}

// minCPU is the least CPU time of the repetitions: CPU time varies less
// than wall time with the machine's load, but it varies.
func (c *cell) minCPU() time.Duration {
	return slices.MinFunc(c.runs, func(a, b procResult) int { return int(a.CPU - b.CPU) }).CPU
}

// medianCPU is the median CPU time of the repetitions.
func (c *cell) medianCPU() time.Duration {
	cpu := make([]time.Duration, len(c.runs))
	for i, r := range c.runs {
		cpu[i] = r.CPU
	}
	slices.Sort(cpu)
	return cpu[len(cpu)/2]
}

// maxRSS is the largest peak RSS of the repetitions (a ceiling is the target).
func (c *cell) maxRSS() int64 {
	return slices.MaxFunc(c.runs, func(a, b procResult) int { return int(a.MaxRSS - b.MaxRSS) }).MaxRSS
}

// maxRSSParts is maxRSS with the file-backed and anonymous parts of that
// run's largest sampled RSS (rssParts).
func (c *cell) maxRSSParts() string {
	return rssParts(slices.MaxFunc(c.runs, func(a, b procResult) int { return int(a.MaxRSS - b.MaxRSS) }))
}

// rssParts is r's peak RSS, then, where /proc was sampled, the file-backed
// part (the binary's pages, mostly) and the anonymous part of the largest
// RSS sampled: "48.2 MB (21.7 + 26.5)".
func rssParts(r procResult) string {
	if r.PeakFile+r.PeakAnon == 0 {
		return mb(r.MaxRSS)
	}
	return fmt.Sprintf("%s (%.1f + %.1f)", mb(r.MaxRSS), float64(r.PeakFile)/(1<<20), float64(r.PeakAnon)/(1<<20))
}

func minDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Min(ds)
}

// bench is one measuring session.
type bench struct {
	o      *options
	farm   *Farm
	bin    string
	work   string
	log    io.Writer
	cells  []*cell
	byName map[string]*cell
}

func (b *bench) cell(feeds int, phase string, terms int, latency time.Duration) *cell {
	key := fmt.Sprint(feeds, phase, terms, latency)
	if c := b.byName[key]; c != nil {
		return c
	}
	c := &cell{feeds: feeds, phase: phase, terms: terms, latency: latency}
	b.byName[key] = c
	b.cells = append(b.cells, c)
	return c
}

// newBench makes the work folder and builds newswatch (unless -bin);
// done removes the folder (unless -keep).
func newBench(ctx context.Context, o *options, stderr io.Writer) (b *bench, done func(), err error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, nil, err
	}
	work, err := os.MkdirTemp("", "newswatch-bench-")
	if err != nil {
		return nil, nil, err
	}
	done = func() { os.RemoveAll(work) }
	if o.keep {
		fmt.Fprintln(stderr, "work folder:", work)
		done = func() {}
	}
	b = &bench{o: o, work: work, log: stderr, byName: map[string]*cell{}}
	b.bin = o.bin
	if b.bin == "" {
		fmt.Fprintln(stderr, "building newswatch (CGO_ENABLED=0)…")
		if b.bin, err = buildNewswatch(ctx, root, work); err != nil {
			done()
			return nil, nil, err
		}
	}
	return b, done, nil
}

func measure(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	b, done, err := newBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer done()
	maxN := slices.Max(append(slices.Clone(o.sizes), o.latencyN, o.matchN))
	start := time.Now()
	b.farm = NewFarm(maxN, start)
	plain, gz := b.farm.Size(maxN)
	fmt.Fprintf(stderr, "generated %d feeds (%s, %s gzipped) in %s\n", maxN, mb(plain), mb(gz), time.Since(start).Round(time.Millisecond))
	if err := b.farm.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer b.farm.Close()
	mach := machine()
	for rep := range o.reps {
		for _, n := range o.sizes {
			if err := b.sequence(ctx, n, rep, o.terms, 0, []string{cold, warm, changed}); err != nil {
				return err
			}
		}
		if o.matchN > 0 {
			if err := b.sequence(ctx, o.matchN, rep, 2, 0, []string{cold}); err != nil {
				return err
			}
		}
		if o.latencyN > 0 && o.latency > 0 {
			b.farm.SetLatency(o.latency)
			err := b.sequence(ctx, o.latencyN, rep, o.terms, o.latency, []string{cold, warm})
			b.farm.SetLatency(0)
			if err != nil {
				return err
			}
		}
	}
	mach.loadAfter = loadAvg()
	var rep strings.Builder
	b.report(&rep, mach, args(o))
	fmt.Fprint(stdout, rep.String())
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(rep.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// args reconstructs the command line for the report.
func args(o *options) string {
	var s []string
	for _, n := range o.sizes {
		s = append(s, strconv.Itoa(n))
	}
	cmd := fmt.Sprintf("go run ./bench -n %s -reps %d -concurrency %d -terms %d -latency %s -latency-n %d -match-n %d",
		strings.Join(s, ","), o.reps, o.concurrency, o.terms, o.latency, o.latencyN, o.matchN)
	if o.console {
		cmd += " -console"
	}
	if o.postgres {
		cmd += " -postgres"
	}
	if o.rss2email != "" {
		cmd += " -rss2email " + filepath.Base(o.rss2email)
	}
	return cmd
}

// sequence runs, on a fresh database, the given phases in order for the
// first n feeds, each followed by the downloader and the parse-only loop.
func (b *bench) sequence(ctx context.Context, n, rep, terms int, latency time.Duration, phases []string) error {
	dir := filepath.Join(b.work, fmt.Sprintf("n%d-t%d-l%s-r%d", n, terms, latency, rep))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var database string
	if b.o.postgres {
		url, drop, err := pgDatabase(ctx, b.o.pg)
		if err != nil {
			return err
		}
		defer drop()
		database = url
	}
	cfg, err := writeConfig(dir, b.farm.Addr(), configOptions{Feeds: n, Concurrency: b.o.concurrency, Terms: terms, Console: b.o.console, Database: database})
	if err != nil {
		return err
	}
	b.farm.Restore()
	defer b.farm.Restore()
	urls := make([]string, n)
	all := make([]int, n)
	for i := range n {
		urls[i], all[i] = b.farm.URL(i), i
	}
	v := newValidators()
	peerHome := filepath.Join(dir, "rss2email")
	if b.o.rss2email != "" {
		if err := writeRSS2EmailFeeds(peerHome, urls); err != nil {
			return err
		}
	}
	for _, ph := range phases {
		if err := ctx.Err(); err != nil {
			return err
		}
		parse := all
		switch ph {
		case warm:
			parse = nil
		case changed:
			parse = b.farm.Change(n)
		}
		c := b.cell(n, ph, terms, latency)
		res, err := runFetch(ctx, b.bin, cfg, b.farm)
		if err != nil {
			return fmt.Errorf("%d feeds, %s: %w", n, ph, err)
		}
		want := map[string]int{cold: n * itemsPerFeed, warm: 0, changed: len(parse) * newItemsPerChange}[ph]
		if res.NewItems != want {
			fmt.Fprintf(b.log, "warning: %d feeds, %s: newswatch stored %d new items, the farm served %d\n", n, ph, res.NewItems, want)
		}
		c.runs = append(c.runs, res)
		if b.o.rss2email != "" {
			pr, err := runRSS2Email(ctx, b.o.rss2email, peerHome, b.farm)
			if err != nil {
				return fmt.Errorf("%d feeds, %s: %w", n, ph, err)
			}
			c.peer = append(c.peer, pr)
			fmt.Fprintf(b.log, "rep %d  %5d feeds  %-10s rss2email %7s cpu %7s rss %s  req %d (304: %d)\n",
				rep+1, n, ph, pr.Wall.Round(time.Millisecond), pr.CPU.Round(time.Millisecond), rssParts(pr), pr.Stats.Requests, pr.Stats.NotModified)
		}
		b.farm.Reset()
		// curl first: the downloader updates the validators both use.
		if cu, err := curlRun(ctx, urls, b.o.concurrency, v, b.work); err == nil {
			c.curl = append(c.curl, cu)
		} else if !errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("%d feeds, %s: curl: %w", n, ph, err)
		}
		dl, err := download(ctx, urls, b.o.concurrency, v)
		if err != nil {
			return fmt.Errorf("%d feeds, %s: downloader: %w", n, ph, err)
		}
		c.dl = append(c.dl, dl)
		bodies := b.farm.Bodies(parse)
		cpu0 := processCPU()
		p1, items, err := parseAll(bodies, 1)
		if err != nil {
			return err
		}
		c.parseCPU = append(c.parseCPU, processCPU()-cpu0)
		pn, _, err := parseAll(bodies, runtime.GOMAXPROCS(0))
		if err != nil {
			return err
		}
		c.parse1, c.parseN, c.parsed = append(c.parse1, p1), append(c.parseN, pn), len(bodies)
		fmt.Fprintf(b.log, "rep %d  %5d feeds  %-10s terms %-4d lat %-5s  newswatch %7s cpu %7s rss %s  req %d (304: %d) conns %d wire %s  |  download %7s  parse %7s (%d items)\n",
			rep+1, n, ph, terms, latency, res.Wall.Round(time.Millisecond), res.CPU.Round(time.Millisecond), rssParts(res),
			res.Stats.Requests, res.Stats.NotModified, res.Stats.Conns, mb(res.Stats.Wire()), dl.Round(time.Millisecond), p1.Round(time.Millisecond), items)
	}
	return nil
}

func mb(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
