package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mmcdole/gofeed"
)

// procResult is one run of `newswatch fetch`.
type procResult struct {
	Wall   time.Duration
	CPU    time.Duration // user + system
	MaxRSS int64         // bytes, from getrusage of the child
	// PeakFile and PeakAnon split the largest RSS /proc showed while the
	// child ran (sampled every 10 ms, so at most MaxRSS): file-backed
	// pages (the binary's code and data, shared with the page cache) and
	// anonymous memory (the Go runtime's, SQLite's). 0 without /proc.
	PeakFile, PeakAnon int64
	Stats              Stats
	Sources            int
	NewItems           int
	Matches            int
	Failed             int
	Summary            string // newswatch's summary line
}

// buildNewswatch builds ./cmd/newswatch of the module at root into dir.
func buildNewswatch(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "newswatch")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/newswatch")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/newswatch: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the folder of the go.mod governing the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the newswatch module: run from the repository")
	}
	return filepath.Dir(mod), nil
}

var summaryRE = regexp.MustCompile(`fetched (\d+) sources? in \S+: (\d+) new items?, (\d+) new match(?:es)?, (\d+) failed`)

// runFetch runs `newswatch -config cfg fetch` and measures it.
//
// The binary is started through this program's -measure-child mode, not
// directly: Go starts children with vfork, and Linux carries the parent's
// peak RSS into the child's ru_maxrss at exec, so a direct child of this
// process (which holds the farm) would report this process's peak. The
// small intermediate process bounds that error by its own ~10 MB, below
// newswatch's floor.
func runFetch(ctx context.Context, bin, cfg string, farm *Farm) (procResult, error) {
	res, out, stderr, err := runMeasured(ctx, farm, "", nil, bin, "-config", cfg, "fetch")
	if m := summaryRE.FindStringSubmatch(out); m != nil {
		res.Sources, _ = strconv.Atoi(m[1])
		res.NewItems, _ = strconv.Atoi(m[2])
		res.Matches, _ = strconv.Atoi(m[3])
		res.Failed, _ = strconv.Atoi(m[4])
		res.Summary = m[0]
	}
	if err != nil {
		return res, fmt.Errorf("%s fetch: %w\nstderr: %s\nstdout tail: %s", bin, err, tail(stderr, 2000), tail(out, 500))
	}
	if res.Summary == "" || res.Wall == 0 {
		return res, fmt.Errorf("%s fetch: no summary line or no measurement: %s", bin, tail(out, 500))
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("%s fetch: %d sources failed: %s", bin, res.Failed, tail(out, 1500))
	}
	return res, nil
}

// runMeasured runs argv in dir ("": this process's working folder), with
// env added to this process's environment, through -measure-child, with the farm's counters reset before it, and
// returns its measurement, the farm's counters, its output and its error.
func runMeasured(ctx context.Context, farm *Farm, dir string, env []string, argv ...string) (res procResult, stdout, stderr string, err error) {
	self, err := os.Executable()
	if err != nil {
		return procResult{}, "", "", err
	}
	ru, err := os.CreateTemp("", "newswatch-rusage-")
	if err != nil {
		return procResult{}, "", "", err
	}
	ru.Close()
	defer os.Remove(ru.Name())
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, self, append([]string{"-measure-child", ru.Name()}, argv...)...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = &out, &errOut, dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	farm.Reset()
	err = cmd.Run()
	res = procResult{Stats: farm.Stats()}
	if b, rerr := os.ReadFile(ru.Name()); rerr == nil {
		var wall, user, sys int64
		if _, serr := fmt.Sscan(string(b), &wall, &user, &sys, &res.MaxRSS, &res.PeakFile, &res.PeakAnon); serr == nil {
			res.Wall, res.CPU = time.Duration(wall), time.Duration(user+sys)
		}
	}
	return res, out.String(), errOut.String(), err
}

// runRSS2Email runs skx/rss2email's `cron` over the feeds listed in
// home/.rss2email/feeds.txt (writeRSS2EmailFeeds), with home as its HOME
// and working folder (it writes rss2email.log there),
// mailing nothing (-send=false: it only records what it has seen), and
// measures it the way runFetch measures newswatch.
func runRSS2Email(ctx context.Context, bin, home string, farm *Farm) (procResult, error) {
	res, out, stderr, err := runMeasured(ctx, farm, home, []string{"HOME=" + home, "LOG_LEVEL=WARN"}, bin, "cron", "-send=false", "bench@example.invalid")
	if err != nil {
		return res, fmt.Errorf("%s cron: %w\nstderr: %s\nstdout tail: %s", bin, err, tail(stderr, 2000), tail(out, 500))
	}
	if res.Wall == 0 {
		return res, fmt.Errorf("%s cron: no measurement", bin)
	}
	return res, nil
}

// writeRSS2EmailFeeds writes rss2email's list of feeds, urls, into
// home/.rss2email/feeds.txt. Each feed gets `sleep:0`: rss2email otherwise
// waits 5 s before each feed on the same host as the one before, and
// every feed of the farm is on 127.0.0.1 (newswatch runs with
// per_host_delay = "0s" for the same reason). And `frequency:0`:
// otherwise it skips, without a request, a feed it fetched in the last
// 15 minutes, so its warm run would measure no fetching at all.
func writeRSS2EmailFeeds(home string, urls []string) error {
	dir := filepath.Join(home, ".rss2email")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	for _, u := range urls {
		fmt.Fprintf(&b, "%s\n - sleep:0\n - frequency:0\n", u)
	}
	return os.WriteFile(filepath.Join(dir, "feeds.txt"), []byte(b.String()), 0o644)
}

// measureChild runs argv with this process's standard streams, then writes
// its wall time, user and system CPU time (ns), peak RSS (bytes) and the
// file-backed and anonymous parts of the largest RSS sampled (bytes) to
// the file out, and returns its exit code.
// SIGTERM and SIGINT are passed on to it (daemons are stopped so).
func measureChild(out string, argv []string) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sigs)
	start := time.Now()
	err := cmd.Start()
	var peak rssSample
	if err == nil {
		go func() {
			for s := range sigs {
				_ = cmd.Process.Signal(s)
			}
		}()
		stop := make(chan struct{})
		sampled := make(chan rssSample)
		go func() { sampled <- samplePeak(cmd.Process.Pid, 10*time.Millisecond, stop) }()
		err = cmd.Wait()
		close(stop)
		peak = <-sampled
	}
	wall := time.Since(start)
	ps := cmd.ProcessState
	if ps == nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	m := fmt.Sprintf("%d %d %d %d %d %d\n", wall, ps.UserTime(), ps.SystemTime(), maxRSS(ps), peak.file, peak.anon)
	if werr := os.WriteFile(out, []byte(m), 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "bench:", werr)
		return 1
	}
	return ps.ExitCode()
}

// rssSample is a process's resident memory as /proc/PID/status gives it,
// in bytes: all of it, and its file-backed and anonymous parts.
type rssSample struct{ rss, file, anon int64 }

// samplePeak reads pid's /proc/PID/status every interval until stop is
// closed, and returns the sample of the largest RSS (zero without /proc).
func samplePeak(pid int, interval time.Duration, stop <-chan struct{}) rssSample {
	path := fmt.Sprintf("/proc/%d/status", pid)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var peak rssSample
	for {
		if b, err := os.ReadFile(path); err == nil {
			if s := parseStatus(b); s.rss > peak.rss {
				peak = s
			}
		}
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

// parseStatus reads VmRSS, RssFile and RssAnon (kB) of /proc/PID/status.
func parseStatus(b []byte) rssSample {
	var s rssSample
	for line := range strings.Lines(string(b)) {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			s.rss = kb << 10
		case "RssFile":
			s.file = kb << 10
		case "RssAnon":
			s.anon = kb << 10
		}
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// validators are what a conditional client remembers of each URL.
type validators struct {
	mu   sync.Mutex
	etag map[string]string
	lm   map[string]string
}

func newValidators() *validators {
	return &validators{etag: map[string]string{}, lm: map[string]string{}}
}

// download GETs urls with conc workers over one keep-alive transport that
// asks for gzip and decodes it, discards the bodies, and remembers the
// validators for the next call: the "physical limit" of fetching.
func download(ctx context.Context, urls []string, conc int, v *validators) (time.Duration, error) {
	tr := &http.Transport{
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        max(conc*4, 64),
		MaxIdleConnsPerHost: max(conc, 2),
		IdleConnTimeout:     90 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, conc)
	start := time.Now()
	for w := range min(conc, len(urls)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(urls) || errs[w] != nil {
					return
				}
				errs[w] = get(ctx, client, urls[i], v)
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

func get(ctx context.Context, client *http.Client, url string, v *validators) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	v.mu.Lock()
	if e := v.etag[url]; e != "" {
		req.Header.Set("If-None-Match", e)
	}
	if lm := v.lm[url]; lm != "" {
		req.Header.Set("If-Modified-Since", lm)
	}
	v.mu.Unlock()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		v.mu.Lock()
		v.etag[url], v.lm[url] = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		v.mu.Unlock()
	case http.StatusNotModified:
	default:
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	return nil
}

// curlRun GETs urls with curl (one process, conc transfers in parallel,
// keep-alive, gzip asked for and decoded, bodies discarded), each with the
// validators the downloader holds: the conditional run of the simplest
// tool. exec.ErrNotFound when curl is not installed.
func curlRun(ctx context.Context, urls []string, conc int, v *validators, dir string) (time.Duration, error) {
	bin, err := exec.LookPath("curl")
	if err != nil {
		return 0, err
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "parallel\nparallel-max = %d\nsilent\nshow-error\nfail\n", conc)
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace
	v.mu.Lock()
	for i, u := range urls {
		if i > 0 {
			cfg.WriteString("next\n")
		}
		fmt.Fprintf(&cfg, "url = \"%s\"\noutput = \"/dev/null\"\ncompressed\n", quote(u))
		if e := v.etag[u]; e != "" {
			fmt.Fprintf(&cfg, "header = \"If-None-Match: %s\"\n", quote(e))
		}
		if lm := v.lm[u]; lm != "" {
			fmt.Fprintf(&cfg, "header = \"If-Modified-Since: %s\"\n", quote(lm))
		}
	}
	v.mu.Unlock()
	path := filepath.Join(dir, "curl.conf")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o644); err != nil {
		return 0, err
	}
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, "-K", path).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, tail(string(out), 400))
	}
	return time.Since(start), nil
}

// newParser is gofeed configured as newswatch's scraper configures it.
func newParser() *gofeed.Parser {
	p := gofeed.NewParser()
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}

// parseAll parses bodies with gofeed in workers goroutines and returns the
// time it took and the number of items found.
func parseAll(bodies [][]byte, workers int) (time.Duration, int, error) {
	var next, items atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			p := newParser()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				f, err := p.Parse(bytes.NewReader(bodies[i]))
				if err != nil {
					errs[w] = fmt.Errorf("parse feed %d: %w", i, err)
					return
				}
				items.Add(int64(len(f.Items)))
			}
		})
	}
	wg.Wait()
	return time.Since(start), int(items.Load()), errors.Join(errs...)
}
