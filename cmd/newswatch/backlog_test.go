package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"newswatch/app"
	"newswatch/model"
	"newswatch/store"
)

// backlog opens a database at path holding n items fetched without a
// console: none of them is in the search index yet.
func backlog(t *testing.T, path string, n int) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	items := make([]model.Item, n)
	for i := range items {
		items[i] = model.Item{Key: fmt.Sprint("https://example.org/", i), Title: fmt.Sprint("Heron ", i)}
	}
	if _, err := st.SaveRun(t.Context(), model.Run{Source: "Feed", Status: model.StatusOK, Items: n}, items); err != nil {
		t.Fatal(err)
	}
	return st
}

// searchable is how many items a read-only store of path finds for
// "heron": one that indexes nothing itself, so only what a writer indexed.
func searchable(t *testing.T, path string) int {
	t.Helper()
	ro, err := store.OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	res, err := ro.Search(t.Context(), store.SearchQuery{Text: "heron"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// logLines is a logger whose records, as text lines, arrive on the
// channel; it closes when close is called.
func logLines(t *testing.T) (*slog.Logger, <-chan string, func()) {
	pr, pw := io.Pipe()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return slog.New(slog.NewTextHandler(pw, nil)), lines, func() { pw.Close() }
}

// TestIndexBacklog: a console's start indexes what the database holds,
// without a search; stopped at once, it ends cleanly, and what it left is
// indexed by the next search.
func TestIndexBacklog(t *testing.T) {
	t.Run("done", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nw.db")
		st := backlog(t, path, 500)
		defer st.Close()
		if n := searchable(t, path); n != 0 {
			t.Fatalf("%d items searchable before indexing, want 0", n)
		}
		log, lines, closeLog := logLines(t)
		stop := app.IndexBacklog(t.Context(), st, log)
		if line := <-lines; !strings.Contains(line, "search index up to date") {
			t.Errorf("logged %q", line)
		}
		stop()
		closeLog()
		if n := searchable(t, path); n != 500 {
			t.Errorf("%d items searchable, want 500", n)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nw.db")
		st := backlog(t, path, 2500)
		log, lines, closeLog := logLines(t)
		app.IndexBacklog(context.Background(), st, log)()
		closeLog()
		for line := range lines {
			if !strings.Contains(line, "search index up to date") {
				t.Errorf("stopped indexing logged %q", line)
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if res, err := st.Search(t.Context(), store.SearchQuery{Text: "heron"}); err != nil || res.Total != 2500 {
			t.Errorf("search after a stopped indexing: %d items, %v; want 2500", res.Total, err)
		}
	})
}
