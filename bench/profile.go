package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"newswatch/config"
	"newswatch/digest"
	"newswatch/match"
	"newswatch/scraper"
	"newswatch/store"
)

// serve runs a farm of o.serve feeds until stdin closes (or ctx ends): the
// first line on stdout is its address, the last its counters. The profile
// mode runs the farm in this separate process so that the profile holds
// newswatch's work only.
func serve(ctx context.Context, o *options, stdout io.Writer) error {
	farm := NewFarm(o.serve, time.Now())
	if err := farm.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer farm.Close()
	if o.configDir != "" {
		if err := os.MkdirAll(o.configDir, 0o755); err != nil {
			return err
		}
		if _, err := writeConfig(o.configDir, farm.Addr(), configOptions{Feeds: o.serve, Concurrency: o.concurrency, Terms: o.terms}); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, farm.Addr())
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s := farm.Stats()
	fmt.Fprintf(stdout, "%d %d %d %d %d %d\n", s.Requests, s.OK, s.NotModified, s.Gzipped, s.RxBytes, s.TxBytes)
	return nil
}

// profile runs the cold fetch of o.profileN feeds in this process, wired as
// cmd/newswatch/fetch.go wires it, under the CPU profiler, then writes a
// heap profile and prints the top entries of both with `go tool pprof`.
func profile(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	// The default rate (one sample per 512 KB) is too coarse to tell what
	// the few MB that stay live are; much finer, and the stack captures
	// (runtime.pcvalue) show in the CPU profile.
	runtime.MemProfileRate = 64 << 10
	// As cmd/newswatch's main does: GOGC=200 unless the environment says.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(200)
	}
	if err := os.MkdirAll(o.profile, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "newswatch-profile-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "work folder:", work)
	} else {
		defer os.RemoveAll(work)
	}

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	srv := exec.CommandContext(ctx, exe, "-serve", strconv.Itoa(o.profileN))
	srv.Stderr = stderr
	stdin, err := srv.StdinPipe()
	if err != nil {
		return err
	}
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start the farm: %w", err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		stdin.Close()
		srv.Wait()
		return fmt.Errorf("the farm process printed no address")
	}
	addr := lines.Text()
	fmt.Fprintf(stderr, "farm of %d feeds on %s (separate process)\n", o.profileN, addr)

	path, err := writeConfig(work, addr, configOptions{Feeds: o.profileN, Concurrency: o.concurrency, Terms: o.terms})
	if err != nil {
		return err
	}
	cpuPath, heapPath := filepath.Join(o.profile, "cpu.prof"), filepath.Join(o.profile, "heap.prof")
	var cold pipelineSummary
	var p *pipeline
	elapsed, cpuUsed, alloc, gcs, err := profiled(cpuPath, func() error {
		if p, err = newPipeline(ctx, path); err != nil {
			return err
		}
		cold, err = p.fetch(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if err := writeHeap(heapPath); err != nil {
		return err
	}
	rss := selfMaxRSS()
	if err := p.st.Close(); err != nil {
		return err
	}

	// The warm run (every feed answers 304) is short: profile several,
	// each with the start-up a `newswatch fetch` process goes through.
	warmRuns := o.profileWarm
	warmPath := filepath.Join(o.profile, "cpu-warm.prof")
	var warm pipelineSummary
	var wp *pipeline
	var startup time.Duration
	warmElapsed, warmCPU, _, _, err := profiled(warmPath, func() error {
		for range warmRuns {
			t := time.Now()
			if wp, err = newPipeline(ctx, path); err != nil {
				return err
			}
			startup += time.Since(t)
			if warm, err = wp.fetch(ctx); err != nil {
				return err
			}
			if err := wp.st.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	stdin.Close()
	var stats string
	if lines.Scan() {
		stats = lines.Text()
	}
	srv.Wait()

	fmt.Fprintf(stdout, "in-process cold fetch of %d feeds (%d terms, concurrency %d): %s wall, %s CPU (user+sys), peak RSS %s (this process)\n",
		o.profileN, o.terms, o.concurrency, secs(elapsed), secs(cpuUsed), mb(rss))
	fmt.Fprintf(stdout, "  start-up: config.Load %s, match.Compile %s, store.Open %s; Validators ×%d %s; FetchAll %s\n",
		secs(p.load), secs(p.compile), secs(p.open), len(p.cfg.Sources), secs(cold.validators), secs(cold.fetchAll))
	fmt.Fprintf(stdout, "  items %d, new %d, matched %d, failed sources %d; farm counters (requests ok 304 gzipped rx tx): %s\n",
		cold.items, cold.fresh, cold.matched, cold.failed, stats)
	fmt.Fprintf(stdout, "  summed over the %d workers: fetch+parse %s, store.SaveRun %s (waiting for the writer included), digest.ItemText+Match %s\n",
		o.concurrency, secs(cold.fetch), secs(cold.save), secs(cold.match))
	fmt.Fprintf(stdout, "  allocated %s in %d GCs\n", mb(alloc), gcs)
	per := time.Duration(warmRuns)
	fmt.Fprintf(stdout, "in-process warm fetch (all 304), %d runs each with start-up: %s wall per run, %s CPU per run\n",
		warmRuns, secs(warmElapsed/per), secs(warmCPU/per))
	fmt.Fprintf(stdout, "  per run: start-up %s (config.Load %s, match.Compile %s, store.Open %s), Validators ×%d %s, FetchAll %s (%d not modified)\n\n",
		secs(startup/per), secs(wp.load), secs(wp.compile), secs(wp.open), len(wp.cfg.Sources), secs(warm.validators), secs(warm.fetchAll), warm.notModified)

	for _, args := range [][]string{
		{"-top", "-nodecount=25", cpuPath},
		{"-top", "-cum", "-nodecount=45", cpuPath},
		{"-top", "-sample_index=alloc_space", "-nodecount=20", heapPath},
		{"-top", "-sample_index=inuse_space", "-nodecount=15", heapPath},
		{"-top", "-cum", "-nodecount=30", warmPath},
	} {
		fmt.Fprintf(stdout, "$ go tool pprof %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof"}, args...)...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go tool pprof: %w", err)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// profiled runs fn under the CPU profiler writing to path, and returns its
// wall time, the process's CPU time, and the bytes and GCs it allocated.
func profiled(path string, fn func() error) (wall, cpu time.Duration, alloc int64, gcs uint32, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return 0, 0, 0, 0, err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, start := processCPU(), time.Now()
	err = fn()
	wall, cpu = time.Since(start), processCPU()-cpu0
	pprof.StopCPUProfile()
	runtime.ReadMemStats(&after)
	return wall, cpu, int64(after.TotalAlloc - before.TotalAlloc), after.NumGC - before.NumGC, err
}

func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pipeline is newswatch's fetch wired as cmd/newswatch wires it.
type pipeline struct {
	cfg *config.Config
	wl  *match.Watchlist
	st  *store.Store
	f   *scraper.Fetcher

	load, compile, open time.Duration // start-up steps
}

func newPipeline(ctx context.Context, path string) (*pipeline, error) {
	t0 := time.Now()
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	cs := make([]match.Company, len(cfg.Companies))
	for i, c := range cfg.Companies {
		cs[i] = match.Company{Name: c.Name, Aliases: c.Aliases, Exclude: c.Exclude, AllNews: c.AllNews, Near: c.Near}
	}
	ts := make([]match.Topic, len(cfg.Topics))
	for i, t := range cfg.Topics {
		ts[i] = match.Topic{Name: t.Name, Terms: t.Terms}
	}
	wl, err := match.Compile(cs, ts)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	t3 := time.Now()
	f := scraper.New(scraper.Options{
		UserAgent:     cfg.HTTP.UserAgent,
		Timeout:       cfg.HTTP.Timeout,
		MaxBody:       cfg.HTTP.MaxBody,
		Concurrency:   cfg.HTTP.Concurrency,
		PerHostDelay:  cfg.HTTP.PerHostDelay,
		RespectRobots: cfg.HTTP.RespectRobots,
	})
	return &pipeline{cfg: cfg, wl: wl, st: st, f: f, load: t1.Sub(t0), compile: t2.Sub(t1), open: t3.Sub(t2)}, nil
}

// matchedItem is what cmd/newswatch makes of a match as its source
// completes (it then keeps only the printed text).
type matchedItem struct {
	title, link string
	tags        []matchTag
}

type matchTag struct {
	company string
	topics  []string
}

type pipelineSummary struct {
	items, fresh, matched, failed, notModified int
	validators                                 time.Duration // reading every source's validators
	fetchAll                                   time.Duration // wall time of FetchAll
	fetch, save, match                         time.Duration // summed over the workers
}

// healthBatch is cmd/newswatch's number of item-less runs per transaction.
const healthBatch = 256

// fetch mirrors (*app).fetch and (*app).save of cmd/newswatch/fetch.go.
func (p *pipeline) fetch(ctx context.Context) (pipelineSummary, error) {
	sum := pipelineSummary{}
	begin := time.Now()
	validators, err := p.st.AllValidators(ctx)
	if err != nil {
		return sum, err
	}
	in := make([]scraper.Source, 0, len(p.cfg.Sources))
	for _, s := range p.cfg.Sources {
		v := validators[s.Name]
		in = append(in, scraper.Source{Name: s.Name, Feed: s.Feed, Page: s.Page, Links: s.Links, Body: s.Body,
			FullText: s.FullText, ETag: v.ETag, LastModified: v.LastModified})
	}
	sum.validators = time.Since(begin)
	var (
		mu      sync.Mutex
		pending []store.Run
	)
	flush := func() {
		t0 := time.Now()
		if err := p.st.SaveRuns(ctx, pending); err != nil {
			sum.failed += len(pending)
		}
		sum.save += time.Since(t0)
		pending = pending[:0]
	}
	fetchStart := time.Now()
	p.f.FetchAll(ctx, in, func(r scraper.Result) {
		t0 := time.Now()
		run := store.Run{Source: r.Source, Started: time.Now().Add(-r.Duration), Duration: r.Duration, Items: len(r.Items)}
		switch {
		case r.Err != nil:
			run.Status, run.Err = store.StatusError, r.Err.Error()
		case r.NotModified:
			run.Status = store.StatusNotModified
		default:
			run.Status, run.ETag, run.LastModified = store.StatusOK, r.ETag, r.LastModified
		}
		var (
			fresh   []store.Item
			err     error
			matched []matchedItem
		)
		if len(r.Items) > 0 {
			items := make([]store.Item, len(r.Items))
			for i, it := range r.Items {
				items[i] = store.Item{Key: it.Key, Link: it.Link, GUID: it.GUID, Title: it.Title, Summary: it.Summary,
					Content: it.Content, Body: it.Body, Published: it.Published}
			}
			fresh, err = p.st.SaveRun(ctx, run, items)
		}
		t1 := time.Now()
		for _, it := range fresh {
			hits := p.wl.Match(digest.ItemText(it))
			if len(hits) == 0 {
				continue
			}
			m := matchedItem{title: it.Title, link: it.Link, tags: make([]matchTag, len(hits))}
			for i, h := range hits {
				m.tags[i] = matchTag{company: h.Company, topics: slices.Clone(h.Topics)}
			}
			matched = append(matched, m)
		}
		t2 := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if len(r.Items) == 0 {
			pending = append(pending, run)
			if len(pending) >= healthBatch {
				flush()
			}
		}
		sum.items += len(r.Items)
		if r.NotModified {
			sum.notModified++
		}
		sum.fresh += len(fresh)
		sum.matched += len(matched)
		sum.fetch += r.Duration
		sum.save += t1.Sub(t0)
		sum.match += t2.Sub(t1)
		if r.Err != nil || err != nil {
			sum.failed++
		}
	})
	flush()
	sum.fetchAll = time.Since(fetchStart)
	return sum, ctx.Err()
}
