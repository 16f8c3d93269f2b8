package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"newswatch/internal/testutil"
)

// The daemon runs (-daemons) measure `newswatch run` fetching the farm for
// one fetch slot: one daemon on SQLite, one on PostgreSQL, and three
// sharing one PostgreSQL database. Each daemon logs "fetch done" with the
// slot's duration once every source of the slot was fetched (by it or, on
// PostgreSQL, by another); the wall time of a run is the longest of them.

// daemonCase is one configuration of the daemon runs.
type daemonCase struct {
	database string // "SQLite" or "PostgreSQL"
	daemons  int
}

// daemonResult is one daemon run.
type daemonResult struct {
	wall     time.Duration // the first slot, from the first daemon's tick to the last one's "fetch done"
	cpu      time.Duration // all daemons, user + system, start-up included
	rss      []int64       // peak RSS of each daemon
	pgCPU    time.Duration // the PostgreSQL backends of the run's database, user + system (Linux)
	sources  []int         // fetched by each daemon
	requests int64         // answered 200: the slot's cold fetches (a next slot's fetches are 304s)
}

// fetchDone finds the first "fetch done" line of a daemon's JSON log.
func fetchDone(log string) (sources int, d time.Duration, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg      string          `json:"msg"`
			Sources  int             `json:"sources"`
			Duration json.RawMessage `json:"duration"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Msg != "fetch done" {
			continue
		}
		// Seconds with decimals, as newswatch logs durations in JSON.
		var sec float64
		if json.Unmarshal(l.Duration, &sec) == nil {
			return l.Sources, time.Duration(sec * float64(time.Second)), true
		}
		var s string
		if json.Unmarshal(l.Duration, &s) == nil {
			if d, err := time.ParseDuration(s); err == nil {
				return l.Sources, d, true
			}
		}
	}
	return 0, 0, false
}

// pgDatabase creates a database on the server of admin (a URL) and returns
// its URL and a function that drops it.
func pgDatabase(ctx context.Context, admin string) (string, func(), error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "newswatch_bench_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database (-pg): %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		db.Close()
	}, nil
}

// daemonRun starts c.daemons daemons on a fresh database for the first n
// feeds and measures their first fetch slot.
func (b *bench) daemonRun(ctx context.Context, n int, c daemonCase) (daemonResult, error) {
	var res daemonResult
	dir, err := os.MkdirTemp(b.work, "daemons-")
	if err != nil {
		return res, err
	}
	database := filepath.Join(dir, "newswatch.db")
	if c.database == "PostgreSQL" {
		u, drop, err := pgDatabase(ctx, b.o.pg)
		if err != nil {
			return res, err
		}
		defer drop()
		database = u
	}
	cfg, err := writeConfig(dir, b.farm.Addr(), configOptions{Feeds: n, Concurrency: b.o.concurrency, Terms: b.o.terms,
		Database: database, FetchSchedule: "@every 3s", FetchTimeout: "1h", Console: b.o.console})
	if err != nil {
		return res, err
	}
	b.farm.Reset()
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	var (
		cmds []*exec.Cmd
		logs []*testutil.LockedBuffer
		rus  []string
	)
	pgName := ""
	if c.database == "PostgreSQL" {
		if u, err := url.Parse(database); err == nil {
			pgName = strings.TrimPrefix(u.Path, "/")
		}
	}
	stop := func() {
		res.pgCPU = postgresCPU(pgName) // the daemons' backends, before they end
		for _, cmd := range cmds {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
		for i, cmd := range cmds {
			_ = cmd.Wait()
			// Measured through -measure-child, which started the daemon:
			// this process's own peak is not folded into the daemon's.
			if m, err := os.ReadFile(rus[i]); err == nil {
				var wall, user, sys, rss int64
				if _, err := fmt.Sscan(string(m), &wall, &user, &sys, &rss); err == nil {
					res.cpu += time.Duration(user + sys)
					res.rss = append(res.rss, rss)
				}
			}
		}
	}
	for i := range c.daemons {
		log := &testutil.LockedBuffer{}
		ru := filepath.Join(dir, fmt.Sprintf("rusage-%d", i))
		cmd := exec.CommandContext(ctx, self, "-measure-child", ru, b.bin, "-config", cfg, "-log-format", "json", "run")
		rus = append(rus, ru)
		cmd.Stdout, cmd.Stderr = io.Discard, log
		// -console: each daemon serves its console on a port of its own.
		cmd.Env = append(os.Environ(), "NEWSWATCH_WEB_LISTEN=127.0.0.1:0")
		if err := cmd.Start(); err != nil {
			stop()
			return res, err
		}
		cmds, logs = append(cmds, cmd), append(logs, log)
	}
	deadline := time.Now().Add(time.Hour)
	for {
		res.sources, res.wall = res.sources[:0], 0
		done := 0
		for _, l := range logs {
			if n, d, ok := fetchDone(l.String()); ok {
				done++
				res.sources = append(res.sources, n)
				res.wall = max(res.wall, d)
			}
		}
		if done == len(logs) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return res, fmt.Errorf("%d %s daemons: no fetch done after an hour: %s", c.daemons, c.database, tail(logs[0].String(), 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	res.requests = b.farm.Stats().OK
	stop()
	return res, nil
}

// daemons runs the daemon comparison for each size and prints its table.
func daemons(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	b, done, err := newBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer done()
	maxN := slices.Max(o.sizes)
	b.farm = NewFarm(maxN, time.Now())
	if err := b.farm.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer b.farm.Close()
	cases, err := parseDaemonCases(o.daemonCases)
	if err != nil {
		return err
	}
	b.farm.SetLatency(o.daemonLatency)
	var out strings.Builder
	fmt.Fprintf(&out, "Farm latency %s, concurrency %d per daemon.\n\n", o.daemonLatency, o.concurrency)
	fmt.Fprintf(&out, "| feeds | database | daemons | first slot, wall (best of %d) | sources fetched by each | CPU, all daemons | peak RSS of each | PostgreSQL CPU | items stored per second | 200 responses |\n", o.reps)
	out.WriteString("|---:|---|---:|---:|---|---:|---|---:|---:|---:|\n")
	for _, n := range o.sizes {
		for _, c := range cases {
			var best daemonResult
			for rep := range o.reps {
				r, err := b.daemonRun(ctx, n, c)
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "%d feeds, %s, %d daemons, rep %d: %s (sources %v, CPU %s, %d requests)\n",
					n, c.database, c.daemons, rep+1, r.wall.Round(time.Millisecond), r.sources, r.cpu.Round(time.Millisecond), r.requests)
				if best.wall == 0 || r.wall < best.wall {
					best = r
				}
			}
			split := make([]string, len(best.sources))
			for i, s := range best.sources {
				split[i] = fmt.Sprint(s)
			}
			rss := make([]string, len(best.rss))
			for i, r := range best.rss {
				rss[i] = mb(r)
			}
			pg := "–"
			if best.pgCPU > 0 {
				pg = best.pgCPU.Round(10 * time.Millisecond).String()
			}
			fmt.Fprintf(&out, "| %d | %s | %d | %s | %s | %s | %s | %s | %.0f | %d |\n", n, c.database, c.daemons,
				best.wall.Round(10*time.Millisecond), strings.Join(split, " + "), best.cpu.Round(10*time.Millisecond),
				strings.Join(rss, ", "), pg, float64(n*itemsPerFeed)/best.wall.Seconds(), best.requests)
		}
	}
	fmt.Fprint(stdout, out.String())
	if o.out != "" {
		return os.WriteFile(o.out, []byte(out.String()), 0o644)
	}
	return nil
}

// parseDaemonCases reads -daemon-cases: "sqlite1,pg1,pg3".
func parseDaemonCases(list string) ([]daemonCase, error) {
	var cases []daemonCase
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		db, n := "", ""
		switch {
		case strings.HasPrefix(f, "sqlite"):
			db, n = "SQLite", strings.TrimPrefix(f, "sqlite")
		case strings.HasPrefix(f, "pg"):
			db, n = "PostgreSQL", strings.TrimPrefix(f, "pg")
		default:
			return nil, fmt.Errorf("-daemon-cases: %q: want sqlite or pg and a number of daemons, as pg3", f)
		}
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 || db == "SQLite" && d != 1 {
			return nil, fmt.Errorf("-daemon-cases: %q: want sqlite1, or pg and a number of daemons, as pg3", f)
		}
		cases = append(cases, daemonCase{db, d})
	}
	return cases, nil
}

// postgresCPU is the user and system CPU time so far of the PostgreSQL
// backends serving database name on this machine (other databases' work on
// a shared server is left out). Zero where /proc cannot tell, or for "".
func postgresCPU(name string) time.Duration {
	if name == "" {
		return 0
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, d := range dirs {
		// A backend's title: "postgres: 15/main: user database host(port) state".
		title, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.HasPrefix(string(title), "postgres:") || !slices.Contains(strings.Fields(string(title)), name) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime(14) stime(15)
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		for _, k := range []int{11, 12} { // fields 14 and 15, counted from the state (field 3)
			v, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += v
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
