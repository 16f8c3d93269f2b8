//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"context"
	"fmt"
	"newswatch/model"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	benchSources = 1000
	benchItems   = 50
)

// benchBatch is one source's batch of realistic items: about 1.5 KB of text each.
func benchBatch(round, source int) []model.Item {
	prose := strings.Repeat("Officials said the logistics company had shared customer data with partners. ", 20)
	items := make([]model.Item, benchItems)
	for i := range items {
		key := fmt.Sprintf("https://news%d.example.org/2026/03/%d/story-%d", source, round, i)
		items[i] = model.Item{Key: key, Link: key, GUID: key, Title: fmt.Sprintf("Story %d of source %d", i, source),
			Summary: prose[:200], Content: prose, Published: t0.Add(-time.Duration(i) * time.Minute)}
	}
	return items
}

// BenchmarkSaveRun stores what a fetch of 1,000 sources × 50 items hands the
// store; one iteration is the whole fetch. cold: every item is new, and
// indexed for search at the end as a fetch does (IndexItems); known: a
// re-fetch of feeds without validators (every item already stored);
// not_modified: every source answered 304; cold_parallel: cold, saved by
// eight callers at once, as the fetch workers do (saves then commit in
// groups). Each runs on SQLite and on PostgreSQL (skipped without a
// server).
func BenchmarkSaveRun(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, benchmarkSaveRun)
	}
}

func benchmarkSaveRun(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, s *Store, status string, batch func(source int) []model.Item) {
		for src := range benchSources {
			items := batch(src)
			r := model.Run{Source: fmt.Sprintf("source %d", src), Status: status, Items: len(items), ETag: `"e"`,
				Duration: time.Millisecond}
			if _, err := s.SaveRun(ctx, r, items); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The store's cost is CPU as much as wall time: the fetch it serves
	// shares two cores with downloading and parsing.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var cpu0 time.Duration
	report := func(b *testing.B) {
		per := float64(b.N * benchSources)
		b.ReportMetric(float64(b.Elapsed().Microseconds())/per, "µs/source")
		b.ReportMetric(float64((cpu()-cpu0).Microseconds())/per, "cpu-µs/source")
		b.ReportMetric(0, "ns/op")
	}

	b.Run("cold", func(b *testing.B) {
		s := open(b)
		round := 0
		cpu0 = cpu()
		for b.Loop() {
			round++
			run(b, s, model.StatusOK, func(src int) []model.Item { return benchBatch(round, src) })
			if err := s.IndexItems(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("cold_parallel", func(b *testing.B) {
		s := open(b)
		round := 0
		cpu0 = cpu()
		for b.Loop() {
			round++
			parallel(func(src int) {
				items := benchBatch(round, src)
				r := model.Run{Source: fmt.Sprintf("source %d", src), Status: model.StatusOK, Items: len(items), ETag: `"e"`}
				if _, err := s.SaveRun(ctx, r, items); err != nil {
					b.Error(err)
				}
			})
		}
		report(b)
	})
	b.Run("known", func(b *testing.B) {
		s := open(b)
		batches := make([][]model.Item, benchSources)
		for src := range batches {
			batches[src] = benchBatch(0, src)
		}
		run(b, s, model.StatusOK, func(src int) []model.Item { return batches[src] })
		cpu0 = cpu()
		for b.Loop() {
			run(b, s, model.StatusOK, func(src int) []model.Item { return batches[src] })
		}
		report(b)
	})
	b.Run("not_modified", func(b *testing.B) {
		s := open(b)
		cpu0 = cpu()
		for b.Loop() {
			run(b, s, model.StatusNotModified, func(int) []model.Item { return nil })
		}
		report(b)
	})
}

// parallel calls save for every source, from eight goroutines.
func parallel(save func(src int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for src := range next {
				save(src)
			}
		})
	}
	for src := range benchSources {
		next <- src
	}
	close(next)
	wg.Wait()
}
