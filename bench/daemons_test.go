package main

import (
	"testing"
	"time"
)

// TestFetchDone: the daemon's JSON log gives durations in seconds with
// decimals; the first "fetch done" line is the slot's.
func TestFetchDone(t *testing.T) {
	log := `{"time":"2026-12-06T21:00:00Z","level":"INFO","msg":"fetch started"}
{"time":"2026-12-06T21:00:03Z","level":"INFO","msg":"fetch done","sources":64,"failed":0,"duration":3.721}
{"time":"2026-12-06T21:00:06Z","level":"INFO","msg":"fetch done","sources":0,"failed":0,"duration":0.2}
`
	n, d, ok := fetchDone(log)
	if !ok || n != 64 || d != 3721*time.Millisecond {
		t.Fatalf("fetchDone = %d, %s, %v; want 64, 3.721s, true", n, d, ok)
	}
	if _, _, ok := fetchDone(`{"msg":"fetch started"}`); ok {
		t.Error("a log without fetch done was taken as done")
	}
}

func TestParseDaemonCases(t *testing.T) {
	cases, err := parseDaemonCases("sqlite1, pg1,pg3")
	if err != nil || len(cases) != 3 || cases[2] != (daemonCase{"PostgreSQL", 3}) || cases[0] != (daemonCase{"SQLite", 1}) {
		t.Fatalf("parseDaemonCases = %v, %v", cases, err)
	}
	for _, bad := range []string{"sqlite2", "pg0", "mysql1", "pg"} {
		if _, err := parseDaemonCases(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
