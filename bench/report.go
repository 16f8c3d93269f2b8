package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machineInfo describes where the figures were taken.
type machineInfo struct {
	cpus       int
	model      string
	memory     string
	goVersion  string
	loadBefore string
	loadAfter  string
	revision   string
}

func machine() machineInfo {
	m := machineInfo{cpus: runtime.NumCPU(), goVersion: runtime.Version(), loadBefore: loadAvg()}
	m.model = procField("/proc/cpuinfo", "model name")
	m.revision = revision()
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		var n int64
		fmt.Sscanf(kb, "%d", &n)
		m.memory = fmt.Sprintf("%.1f GiB", float64(n)/(1<<20))
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// revision names the code measured: the commit, and whether the working
// tree differed from it.
func revision() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown revision"
	}
	rev := "commit " + strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += fmt.Sprintf(" with %d modified files", strings.Count(string(st), "\n"))
	}
	return rev
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func secs(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// report writes the Markdown tables and the target check.
func (b *bench) report(w io.Writer, m machineInfo, cmdline string) {
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %s RAM, %s, %s/%s. Load average before %s, after %s. Code: %s.\n\n",
		m.cpus, m.model, m.memory, m.goVersion, runtime.GOOS, runtime.GOARCH, m.loadBefore, m.loadAfter, m.revision)
	fmt.Fprintf(w, "Command: `%s`. Wall times: best of %d, the worst in parentheses; CPU: the least of the %d; peak RSS: the largest; download and parse: the best.\n\n", cmdline, b.o.reps, b.o.reps)

	fmt.Fprintln(w, "| feeds | run | newswatch wall | CPU (user+sys) | CPU/feed | peak RSS (file + anonymous) | requests (304) | on the wire | wire/feed | download | curl | parse 1 goroutine (2) | parse CPU | newswatch ÷ (download + parse) | CPU ÷ parse CPU |")
	fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range b.cells {
		if c.latency != 0 || c.terms != b.o.terms {
			continue
		}
		r, worst := c.best(), c.worst()
		dl, p1, pn := minDur(c.dl), minDur(c.parse1), minDur(c.parseN)
		ratio := "–"
		if dl+p1 > 0 {
			ratio = fmt.Sprintf("%.2f (%.2f)", r.Wall.Seconds()/(dl+p1).Seconds(), r.Wall.Seconds()/(dl+pn).Seconds())
		}
		parse, parseCPU, cpuRatio := "–", "–", "–"
		if c.parsed > 0 {
			pc := minDur(c.parseCPU)
			parse, parseCPU = fmt.Sprintf("%s (%s)", secs(p1), secs(pn)), secs(pc)
			cpuRatio = fmt.Sprintf("%.2f", c.minCPU().Seconds()/pc.Seconds())
		}
		curl := "–"
		if len(c.curl) > 0 {
			curl = secs(minDur(c.curl))
		}
		fmt.Fprintf(w, "| %s | %s | %s (%s) | %s | %.2f ms | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			thousands(c.feeds), c.phase, secs(r.Wall), secs(worst.Wall), secs(c.minCPU()),
			float64(c.minCPU())/float64(time.Millisecond)/float64(c.feeds), c.maxRSSParts(),
			thousands(int(r.Stats.Requests)), thousands(int(r.Stats.NotModified)), mb(r.Stats.Wire()),
			mb(r.Stats.Wire()/int64(c.feeds)), secs(dl), curl, parse, parseCPU, ratio, cpuRatio)
	}
	fmt.Fprintln(w, "\n(2): the ratio against download + parse on GOMAXPROCS goroutines, the tighter limit on this machine. curl: one curl process, the same concurrency and validators (conditional), bodies discarded. parse CPU: the CPU time of the one-goroutine parse. Peak RSS: getrusage's; in parentheses, in MB, the file-backed pages (the binary's code and data, shared with the page cache) and the anonymous memory (the Go runtime's, SQLite's) of the largest RSS /proc showed, sampled every 10 ms.")

	b.peerTable(w)

	if lat := b.latencyCells(); len(lat) > 0 {
		fmt.Fprintln(w, "\n| feeds | run | latency | concurrency | requests | bound = latency × requests ÷ concurrency | newswatch wall | ÷ bound | download | ÷ bound |")
		fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, c := range lat {
			r := c.best()
			bound := time.Duration(int64(c.latency) * r.Stats.Requests / int64(b.o.concurrency))
			dl := minDur(c.dl)
			fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s | %s (%s) | %.2f | %s | %.2f |\n",
				thousands(c.feeds), c.phase, c.latency, b.o.concurrency, thousands(int(r.Stats.Requests)), secs(bound),
				secs(r.Wall), secs(c.worst().Wall), r.Wall.Seconds()/bound.Seconds(), secs(dl), dl.Seconds()/bound.Seconds())
		}
	}

	if small, full := b.find(b.o.matchN, cold, 2, 0), b.find(b.o.matchN, cold, b.o.terms, 0); small != nil && full != nil {
		s, f := small.best(), full.best()
		fmt.Fprintln(w, "\n| feeds | run | watchlist terms | newswatch wall | CPU (user+sys), least (median) | peak RSS |")
		fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: |")
		for _, x := range []struct {
			terms int
			r     procResult
			c     *cell
		}{{2, s, small}, {b.o.terms, f, full}} {
			fmt.Fprintf(w, "| %s | cold | %s | %s (%s) | %s | %s |\n", thousands(x.c.feeds), thousands(x.terms),
				secs(x.r.Wall), secs(x.c.worst().Wall), fmt.Sprintf("%s (%s)", secs(x.c.minCPU()), secs(x.c.medianCPU())), mb(x.c.maxRSS()))
		}
		fmt.Fprintf(w, "\nA %s-term watchlist instead of 2 terms: wall %+.1f %%, median CPU %+.1f %%.\n", thousands(b.o.terms),
			100*(f.Wall.Seconds()/s.Wall.Seconds()-1), 100*(full.medianCPU().Seconds()/small.medianCPU().Seconds()-1))
	}
	for _, c := range b.cells {
		if c.phase == warm && c.latency == 0 {
			if r := c.best(); r.Stats.Sample != "" {
				fmt.Fprintf(w, "\nA conditional request as newswatch sends it (headers as Go's server parsed them; %d bytes per request on the wire on average):\n\n```\n%s```\n",
					r.Stats.RxBytes/max(r.Stats.Requests, 1), strings.ReplaceAll(r.Stats.Sample, "\r\n", "\n"))
				break
			}
		}
	}
	b.targets(w)
}

func (b *bench) latencyCells() []*cell {
	var out []*cell
	for _, c := range b.cells {
		if c.latency != 0 {
			out = append(out, c)
		}
	}
	return out
}

func (b *bench) find(feeds int, phase string, terms int, latency time.Duration) *cell {
	return b.byName[fmt.Sprint(feeds, phase, terms, latency)]
}

// targets checks the fetching targets (see BENCHMARKS.md) against the best runs.
func (b *bench) targets(w io.Writer) {
	fmt.Fprintln(w, "\nTargets:")
	check := func(ok bool, format string, args ...any) {
		mark := "missed"
		if ok {
			mark = "met"
		}
		fmt.Fprintf(w, "- %s: %s\n", fmt.Sprintf(format, args...), mark)
	}
	terms := b.o.terms
	if c := b.find(1000, cold, terms, 0); c != nil {
		r := c.best()
		lim := minDur(c.dl) + minDur(c.parse1)
		pc := minDur(c.parseCPU)
		check(r.Wall.Seconds() <= 1.1*lim.Seconds(), "cold 1,000 within 1.10× of download + parse (%s): %.2f×", secs(lim), r.Wall.Seconds()/lim.Seconds())
		check(c.minCPU().Seconds() <= 2.5*pc.Seconds(), "cold 1,000 CPU ≤ 2.5× the parse alone (%s): %s, %.2f×", secs(pc), secs(c.minCPU()), c.minCPU().Seconds()/pc.Seconds())
		check(c.maxRSS() <= 25<<20, "peak RSS at 1,000 feeds ≤ 25 MB: %s", mb(c.maxRSS()))
		check(r.Stats.Gzipped == r.Stats.OK, "gzip requested on every request: %d of %d responses gzipped", r.Stats.Gzipped, r.Stats.OK)
	}
	if c5 := b.find(5000, cold, terms, 0); c5 != nil {
		check(c5.maxRSS() <= 35<<20, "peak RSS at 5,000 feeds ≤ 35 MB: %s", mb(c5.maxRSS()))
	}
	if c := b.find(1000, warm, terms, 0); c != nil {
		r := c.best()
		if len(c.curl) > 0 {
			cu := minDur(c.curl)
			check(r.Wall.Seconds() <= 0.5*cu.Seconds(), "warm 1,000 feeds (all 304) ≤ 0.5× a conditional curl run (%s): %s, %.2f×", secs(cu), secs(r.Wall), r.Wall.Seconds()/cu.Seconds())
		}
		per := r.Stats.Wire() / 1000
		check(per <= 400, "warm: ≤ 400 bytes on the wire per unchanged feed: %d B (request %d B + response %d B)",
			per, r.Stats.RxBytes/1000, r.Stats.TxBytes/1000)
	}
	if c := b.find(b.o.latencyN, cold, terms, b.o.latency); c != nil {
		r := c.best()
		bound := time.Duration(int64(c.latency) * r.Stats.Requests / int64(b.o.concurrency))
		check(r.Wall.Seconds() <= 1.5*bound.Seconds(), "cold %s feeds with %s latency, concurrency %d, within 1.5× of %s: %.2f×",
			thousands(c.feeds), c.latency, b.o.concurrency, secs(bound), r.Wall.Seconds()/bound.Seconds())
	}
	if small, full := b.find(b.o.matchN, cold, 2, 0), b.find(b.o.matchN, cold, terms, 0); small != nil && full != nil {
		s, f := small.medianCPU(), full.medianCPU()
		check(f.Seconds() < 1.1*s.Seconds(), "a %s-term watchlist costs < 10 %% more CPU (median) than a 2-term one in the cold run (the cost of matching itself, text preparation included, is in the profile): %+.1f %%",
			thousands(terms), 100*(f.Seconds()/s.Seconds()-1))
	}
}

// peerTable writes skx/rss2email's runs beside newswatch's (with -rss2email).
func (b *bench) peerTable(w io.Writer) {
	var cells []*cell
	for _, c := range b.cells {
		if len(c.peer) > 0 {
			cells = append(cells, c)
		}
	}
	if len(cells) == 0 {
		return
	}
	fmt.Fprintln(w, "\n| feeds | run | rss2email wall | CPU (user+sys) | peak RSS (file + anonymous) | requests (304) | newswatch ÷ rss2email: wall | CPU | peak RSS |")
	fmt.Fprintln(w, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range cells {
		p := slices.MinFunc(c.peer, func(a, b procResult) int { return int(a.Wall - b.Wall) })
		pcpu := slices.MinFunc(c.peer, func(a, b procResult) int { return int(a.CPU - b.CPU) }).CPU
		prss := slices.MaxFunc(c.peer, func(a, b procResult) int { return int(a.MaxRSS - b.MaxRSS) })
		r := c.best()
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s (%s) | %.2f | %.2f | %.2f |\n",
			thousands(c.feeds), c.phase, secs(p.Wall), secs(pcpu), rssParts(prss),
			thousands(int(p.Stats.Requests)), thousands(int(p.Stats.NotModified)),
			r.Wall.Seconds()/p.Wall.Seconds(), c.minCPU().Seconds()/pcpu.Seconds(), float64(c.maxRSS())/float64(prss.MaxRSS))
	}
	fmt.Fprintln(w, "\nrss2email: `rss2email cron -send=false` (it fetches one feed after another and mails nothing; `sleep:0` and `frequency:0` on every feed: no per-host delay, as newswatch has none here, and a conditional request on every run instead of none within 15 minutes), on a state of its own, run after newswatch in each phase; best wall, least CPU and largest peak RSS of its repetitions.")
}
