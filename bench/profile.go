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
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/internal/gcpolicy"
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

// profile runs the cold fetch of o.profileN feeds in this process through
// package ingest, as cmd/newswatch runs it, under the CPU profiler, writing a
// heap profile halfway and one after it, and prints the top entries with
// `go tool pprof`.
func profile(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	// The default rate (one sample per 512 KB) is too coarse to tell what
	// the few MB that stay live are; much finer, and the stack captures
	// (runtime.pcvalue) show in the CPU profile.
	runtime.MemProfileRate = 64 << 10
	gcpolicy.Apply() // as cmd/newswatch's main does
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
	farm, err := startFarm(ctx, o.profileN, stderr)
	if err != nil {
		return err
	}
	path, err := writeConfig(work, farm.addr, configOptions{Feeds: o.profileN, Concurrency: o.concurrency, Terms: o.terms})
	if err != nil {
		farm.stop()
		return err
	}
	files := profileFiles{
		cpu:     filepath.Join(o.profile, "cpu.prof"),
		heap:    filepath.Join(o.profile, "heap.prof"),
		heapMid: filepath.Join(o.profile, "heap-mid.prof"),
		warm:    filepath.Join(o.profile, "cpu-warm.prof"),
	}
	cold, err := coldFetch(ctx, path, files)
	if err != nil {
		farm.stop()
		return err
	}
	warm, err := warmFetches(ctx, path, files.warm, o.profileWarm)
	stats := farm.stop()
	if err != nil {
		return err
	}
	printProfile(stdout, o, cold, warm, stats)
	return pprofTops(ctx, stdout, stderr, files)
}

// farm is the feed farm run in a separate process (serve).
type farm struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
	addr  string
}

// startFarm starts a farm of n feeds in a child process, this binary run
// with -serve.
func startFarm(ctx context.Context, n int, stderr io.Writer) (*farm, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-serve", strconv.Itoa(n))
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the farm: %w", err)
	}
	f := &farm{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(out)}
	if !f.lines.Scan() {
		f.stop()
		return nil, fmt.Errorf("the farm process printed no address")
	}
	f.addr = f.lines.Text()
	fmt.Fprintf(stderr, "farm of %d feeds on %s (separate process)\n", n, f.addr)
	return f, nil
}

// stop ends the farm and returns its counters (requests ok 304 gzipped rx
// tx), its last line.
func (f *farm) stop() string {
	f.stdin.Close()
	var stats string
	if f.lines.Scan() {
		stats = f.lines.Text()
	}
	f.cmd.Wait()
	return stats
}

// profileFiles are where the profiles go: the cold fetch's CPU and heap
// profiles (halfway and after it), the warm fetches' CPU profile.
type profileFiles struct {
	cpu, heap, heapMid, warm string
}

// coldResult is the cold fetch as profiled.
type coldResult struct {
	p         pipelineSummary
	pipe      *pipeline
	wall, cpu time.Duration
	alloc     int64
	gcs       uint32
	rss       int64
}

// coldFetch profiles one fetch of every feed into a new database: the CPU
// and, after it, the heap profile.
func coldFetch(ctx context.Context, path string, files profileFiles) (coldResult, error) {
	var r coldResult
	var err, midErr error
	r.wall, r.cpu, r.alloc, r.gcs, err = profiled(files.cpu, func() error {
		if r.pipe, err = newPipeline(ctx, path); err != nil {
			return err
		}
		// Halfway, the heap profile as the last collection found it:
		// what a fetch holds while it runs, not what stays after it.
		half := len(r.pipe.cfg.Sources) / 2
		r.p, err = r.pipe.fetch(ctx, func(done int) {
			if done == half && midErr == nil {
				midErr = writeHeapNow(files.heapMid)
			}
		})
		return err
	})
	if err == nil {
		err = midErr
	}
	if err != nil {
		return r, err
	}
	if err := writeHeap(files.heap); err != nil {
		return r, err
	}
	r.rss = selfMaxRSS()
	return r, r.pipe.st.Close()
}

// warmResult is the warm fetches as profiled, per run.
type warmResult struct {
	runs               int
	p                  pipelineSummary
	pipe               *pipeline
	wall, cpu, startup time.Duration // per run
}

// warmFetches profiles runs fetches in which every feed answers 304, each
// with the start-up a `newswatch fetch` process goes through: one is short.
func warmFetches(ctx context.Context, path, cpuPath string, runs int) (warmResult, error) {
	r := warmResult{runs: runs}
	var err error
	wall, cpu, _, _, err := profiled(cpuPath, func() error {
		for range runs {
			t := time.Now()
			if r.pipe, err = newPipeline(ctx, path); err != nil {
				return err
			}
			r.startup += time.Since(t)
			if r.p, err = r.pipe.fetch(ctx, nil); err != nil {
				return err
			}
			if err := r.pipe.st.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	per := time.Duration(max(runs, 1))
	r.wall, r.cpu, r.startup = wall/per, cpu/per, r.startup/per
	return r, err
}

// printProfile writes the figures of the cold and warm fetches.
func printProfile(w io.Writer, o *options, cold coldResult, warm warmResult, stats string) {
	p, c := cold.pipe, cold.p
	fmt.Fprintf(w, "in-process cold fetch of %d feeds (%d terms, concurrency %d): %s wall, %s CPU (user+sys), peak RSS %s (this process)\n",
		o.profileN, o.terms, o.concurrency, secs(cold.wall), secs(cold.cpu), mb(cold.rss))
	fmt.Fprintf(w, "  start-up: config.Load %s, match.Compile %s, store.Open %s; Validators ×%d %s; FetchAll %s\n",
		secs(p.load), secs(p.compile), secs(p.open), len(p.cfg.Sources), secs(c.validators), secs(c.fetchAll))
	fmt.Fprintf(w, "  items %d, new %d, matched %d, failed sources %d; farm counters (requests ok 304 gzipped rx tx): %s\n",
		c.items, c.fresh, c.matched, c.failed, stats)
	fmt.Fprintf(w, "  summed over the %d workers: fetch+parse %s, store.SaveRun %s (waiting for the writer included), match.ItemText+Match %s\n",
		o.concurrency, secs(c.fetch), secs(c.save), secs(c.match))
	fmt.Fprintf(w, "  allocated %s in %d GCs\n", mb(cold.alloc), cold.gcs)
	wp := warm.pipe
	fmt.Fprintf(w, "in-process warm fetch (all 304), %d runs each with start-up: %s wall per run, %s CPU per run\n",
		warm.runs, secs(warm.wall), secs(warm.cpu))
	fmt.Fprintf(w, "  per run: start-up %s (config.Load %s, match.Compile %s, store.Open %s), Validators ×%d %s, FetchAll %s (%d not modified)\n\n",
		secs(warm.startup), secs(wp.load), secs(wp.compile), secs(wp.open), len(wp.cfg.Sources), secs(warm.p.validators), secs(warm.p.fetchAll), warm.p.notModified)
}

// pprofTops prints the tops of the profiles with go tool pprof.
func pprofTops(ctx context.Context, stdout, stderr io.Writer, files profileFiles) error {
	for _, args := range [][]string{
		{"-top", "-nodecount=25", files.cpu},
		{"-top", "-cum", "-nodecount=45", files.cpu},
		{"-top", "-sample_index=alloc_space", "-nodecount=20", files.heap},
		{"-top", "-sample_index=inuse_space", "-nodecount=15", files.heap},
		{"-top", "-sample_index=inuse_space", "-nodecount=25", files.heapMid},
		{"-top", "-cum", "-nodecount=30", files.warm},
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

// writeHeap writes the heap profile after a collection: what stays.
func writeHeap(path string) error {
	runtime.GC()
	return writeHeapNow(path)
}

// writeHeapNow writes the heap profile as the last collection found it.
func writeHeapNow(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pipeline is newswatch's fetch as cmd/newswatch builds it (package
// ingest), with the time each start-up step took.
type pipeline struct {
	cfg *config.Config
	st  *store.Store
	p   *ingest.Pipeline

	load, compile, open time.Duration // start-up steps
}

func newPipeline(ctx context.Context, path string) (*pipeline, error) {
	t0 := time.Now()
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	wl, err := ingest.CompileWatchlist(cfg)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	t3 := time.Now()
	return &pipeline{cfg: cfg, st: st, p: ingest.New(cfg, st, wl), load: t1.Sub(t0), compile: t2.Sub(t1), open: t3.Sub(t2)}, nil
}

type pipelineSummary struct {
	items, fresh, matched, failed, notModified int
	validators                                 time.Duration // reading every source's validators
	fetchAll                                   time.Duration // wall time of fetching, saving and matching
	fetch, save, match                         time.Duration // summed over the workers
}

// fetch runs the pipeline over every configured source once; progress,
// when not nil, is called with the number of sources done after each.
func (p *pipeline) fetch(ctx context.Context, progress func(done int)) (pipelineSummary, error) {
	var sum pipelineSummary
	done := 0
	run, err := p.p.Run(ctx, p.cfg.Sources, func(o ingest.Outcome) {
		if done++; progress != nil {
			progress(done)
		}
		sum.items += o.Items
		if o.NotModified {
			sum.notModified++
		}
		sum.fetch += o.Fetch
		sum.save += o.Save
		sum.match += o.Match
	})
	sum.fresh, sum.matched, sum.failed = run.New, run.Matches, run.Failed
	sum.validators, sum.fetchAll = run.State, run.Elapsed-run.State
	sum.save += run.HealthSave
	return sum, err
}
