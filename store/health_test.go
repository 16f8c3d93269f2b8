package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"newswatch/model"
)

// TestSaveRunsInOrder: a batch of runs leaves the health that saving its
// runs one by one leaves, a source that comes twice in the batch included
// (its second run meets the health its first left), and error runs are
// logged.
func TestSaveRunsInOrder(t *testing.T) { both(t, testSaveRunsInOrder) }

func testSaveRunsInOrder(t *testing.T) {
	ctx := context.Background()
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	runs := []model.Run{
		{Source: "a", Started: at(0), Status: model.StatusOK, ETag: `"a1"`, LastModified: "Sun, 01 Mar 2026 05:00:00 GMT", Items: 3},
		{Source: "b", Started: at(0), Status: model.StatusError, Err: "HTTP 503", Duration: time.Second},
		{Source: "a", Started: at(1), Status: model.StatusError, Err: "timeout"},
		{Source: "b", Started: at(1), Status: model.StatusError, Err: "HTTP 502"},
		{Source: "c", Started: at(1), Status: model.StatusNotModified, Duration: 2 * time.Millisecond},
		{Source: "a", Started: at(2), Status: model.StatusError},
		{Source: "c", Started: at(2), Status: model.StatusOK, ETag: `"c2"`},
		{Source: "d", Started: at(2), Status: model.StatusNotModified},
	}
	// More sources than a statement holds, each twice, in every status.
	statuses := []string{model.StatusOK, model.StatusError, model.StatusNotModified}
	for i := range 2 * (healthRowsPerStatement + 5) {
		runs = append(runs, model.Run{Source: fmt.Sprintf("s%02d", i%(healthRowsPerStatement+5)), Started: at(3 + i),
			Status: statuses[i%3], Err: fmt.Sprintf("error %d", i), ETag: fmt.Sprintf(`"%d"`, i), Items: i, Duration: time.Duration(i)})
	}

	one, batch := open(t), open(t)
	for _, run := range runs {
		if _, err := one.SaveRun(ctx, run, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.SaveRuns(ctx, runs); err != nil {
		t.Fatal(err)
	}
	read := func(s *Store) ([]Health, map[string]Validator, []string) {
		t.Helper()
		hs, err := s.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, run := range runs {
			names = append(names, run.Source)
		}
		vs, err := s.ValidatorsOf(ctx, names)
		if err != nil {
			t.Fatal(err)
		}
		errs, err := s.SourceErrors(ctx, at(0))
		if err != nil {
			t.Fatal(err)
		}
		var logged []string
		for _, e := range errs {
			logged = append(logged, e.Source+": "+e.Err)
		}
		return hs, vs, logged
	}
	wantH, wantV, wantE := read(one)
	gotH, gotV, gotE := read(batch)
	if !reflect.DeepEqual(gotH, wantH) {
		t.Errorf("health after SaveRuns:\n%+v\nafter SaveRun one by one:\n%+v", gotH, wantH)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("validators after SaveRuns %v, after SaveRun one by one %v", gotV, wantV)
	}
	if !reflect.DeepEqual(gotE, wantE) {
		t.Errorf("errors logged by SaveRuns %q, by SaveRun one by one %q", gotE, wantE)
	}
	// The health itself, so that both ways being wrong alike is seen too.
	failures := map[string]int{}
	for _, h := range gotH {
		if len(h.Source) == 1 {
			failures[h.Source] = h.Failures
		}
	}
	if want := map[string]int{"a": 2, "b": 2, "c": 0, "d": 0}; !reflect.DeepEqual(failures, want) {
		t.Errorf("failure streaks %v, want %v", failures, want)
	}
	if want := (Validator{ETag: `"a1"`, LastModified: "Sun, 01 Mar 2026 05:00:00 GMT"}); gotV["a"] != want {
		t.Errorf("validators of a %v, want %v", gotV["a"], want)
	}
	if want := (Validator{ETag: `"c2"`}); gotV["c"] != want {
		t.Errorf("validators of c %v, want %v", gotV["c"], want)
	}
}

// BenchmarkSaveRunsNotModified: the health of a warm fetch's batch of 256
// sources answering 304, as ingest saves it.
func BenchmarkSaveRunsNotModified(b *testing.B) {
	ctx := context.Background()
	s := open(b)
	runs := make([]model.Run, 256)
	for i := range runs {
		runs[i] = model.Run{Source: fmt.Sprintf("Wire %05d", i), Started: t0, Status: model.StatusOK, ETag: `W/"f9b447636e755345"`, Items: 50}
	}
	if err := s.SaveRuns(ctx, runs); err != nil {
		b.Fatal(err)
	}
	for i := range runs {
		runs[i] = model.Run{Source: runs[i].Source, Started: t0.Add(time.Hour), Duration: time.Millisecond, Status: model.StatusNotModified}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SaveRuns(ctx, runs); err != nil {
			b.Fatal(err)
		}
	}
}
