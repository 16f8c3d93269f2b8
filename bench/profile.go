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
// package ingest, as cmd/newswatch runs it, under the CPU profiler, then writes a
// heap profile and prints the top entries of both with `go tool pprof`.
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
	fmt.Fprintf(stdout, "  summed over the %d workers: fetch+parse %s, store.SaveRun %s (waiting for the writer included), match.ItemText+Match %s\n",
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

// fetch runs the pipeline over every configured source once.
func (p *pipeline) fetch(ctx context.Context) (pipelineSummary, error) {
	var sum pipelineSummary
	run, err := p.p.Run(ctx, p.cfg.Sources, func(o ingest.Outcome) {
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
