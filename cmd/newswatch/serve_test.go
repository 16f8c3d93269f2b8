package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/store"
)

func TestServeRefusesOpenListen(t *testing.T) {
	t.Setenv("NW_TEST_WEB_TOKEN", "")
	for name, tc := range map[string]struct {
		web  string
		args []string
		want string
	}{
		"no auth_token_env":     {"[web]\nlisten = \"0.0.0.0:8080\"\n", nil, "web.listen: \"0.0.0.0:8080\" is not a loopback address"},
		"variable unset":        {"[web]\nlisten = \"0.0.0.0:8080\"\nauth_token_env = \"NW_TEST_WEB_TOKEN\"\n", nil, "NW_TEST_WEB_TOKEN (named by [web] auth_token_env) is unset"},
		"-listen on every host": {"[web]\n", []string{"-listen", ":8080"}, "is not a loopback address and [web] auth_token_env is not set"},
		"no [web] table":        {"", nil, "has no [web] table"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, "http://127.0.0.1:1", tc.web)
			code, _, stderr := runCmd(t, append([]string{"-config", path, "serve"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestServe(t *testing.T) {
	t.Setenv("NW_TEST_WEB_TOKEN", "s3cret")
	path := writeConfig(t, "http://127.0.0.1:1", "[web]\nauth_token_env = \"NW_TEST_WEB_TOKEN\"\n")
	// Nothing fetched yet: serve says so rather than creating a database.
	if code, _, stderr := runCmd(t, "-config", path, "serve", "-listen", "127.0.0.1:0"); code == exitOK ||
		!strings.Contains(stderr, "nothing was fetched with this config") || strings.Count(stderr, "nw.db") != 1 {
		t.Fatalf("serve before any fetch: exit %d, %q; want the database named once and why it is missing", code, stderr)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// Fetched without a console: the console's start indexes the items.
	backlog(t, cfg.Database, 30).Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logr, logw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-config", path, "-v", "-log-format", "text", "serve", "-listen", "127.0.0.1:0"}, pw, logw)
		pw.Close()
		logw.Close()
	}()
	indexed := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(logr)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), "search index up to date") {
				found = true
				indexed <- true
			}
		}
		if !found {
			indexed <- false
		}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	await(t, indexed, "serve indexing the items for search")
	if n := searchable(t, cfg.Database); n != 30 {
		t.Errorf("%d items searchable once serve indexed, want 30", n)
	}
	url := strings.Fields(strings.TrimPrefix(line, "serving the console at "))[0]
	checkToken(t, url+"api/watchlist")
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d", code)
	}
}

func TestCheckShowsMarks(t *testing.T) {
	path := offlineCopy(t)
	if code, out, errOut := runCmd(t, "-config", path, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if strings.Contains(it.Title, "Belgium monitoring") {
			if err := st.MarkNotRelevant(ctx, it.ID, "Alibaba"); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()
	code, out, errOut := runCmd(t, "-config", path, "check", "-days", "3650")
	if code != exitOK || !regexp.MustCompile(`Alibaba: alias "Alibaba" matched 1 items marked not relevant \(\d+ relevant matches`).MatchString(out) {
		t.Errorf("check after a mark: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestRunServesConsole: `run` serves the console on [web] listen beside
// its schedules, with the same token rule as `serve`.
func TestRunServesConsole(t *testing.T) {
	free := freeAddr(t)
	testRunConsole(t, free, free)
}

// TestRunWebListenOverride: a second daemon with the same configuration
// on the same machine serves its console where -web-listen (or
// $NEWSWATCH_WEB_LISTEN) says, not on the [web] listen the first holds.
func TestRunWebListenOverride(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	t.Run("flag", func(t *testing.T) {
		free := freeAddr(t)
		testRunConsole(t, taken.Addr().String(), free, "-web-listen", free)
	})
	t.Run("variable", func(t *testing.T) {
		free := freeAddr(t)
		t.Setenv("NEWSWATCH_WEB_LISTEN", free)
		testRunConsole(t, taken.Addr().String(), free)
	})
}

// testRunConsole runs `run` with [web] listen = configured and args, and
// checks that the console answers on served with the token rule.
func testRunConsole(t *testing.T, configured, free string, args ...string) {
	t.Helper()
	t.Setenv("NW_TEST_WEB_TOKEN", "s3cret")
	path := writeConfig(t, "http://127.0.0.1:1", "[web]\nlisten = \""+configured+"\"\nauth_token_env = \"NW_TEST_WEB_TOKEN\"\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, append([]string{"-config", path, "-log-format", "text", "run"}, args...), io.Discard, pw)
		pw.Close()
	}()
	// The daemon logs each server it starts; the console's is the one on
	// [web] listen. With a console it also brings the search index up to
	// date at start. Logs end (and the scan with them) when run returns.
	serving := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		console, indexed := false, false
		for sc.Scan() {
			done := console && indexed
			console = console || strings.Contains(sc.Text(), "addr="+free)
			indexed = indexed || strings.Contains(sc.Text(), "search index up to date")
			if !done && console && indexed {
				serving <- true
			}
		}
		if !console || !indexed {
			serving <- false
		}
	}()
	await(t, serving, "run serving the console on [web] listen and indexing for search")
	url := "http://" + free + "/"
	checkToken(t, url+"api/digests")
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// await fails the test unless ok receives true: a command's log showed
// what was done; false: the log ended without it.
func await(t *testing.T, ok <-chan bool, what string) {
	t.Helper()
	select {
	case ok := <-ok:
		if !ok {
			t.Fatalf("no %s before the command ended", what)
		}
	case <-time.After(time.Minute): // a guard against a hang, not a wait
		t.Fatalf("no %s within a minute", what)
	}
}

// checkToken checks that the API route at url answers 401 without the
// token and 200 with it.
func checkToken(t *testing.T, url string) {
	t.Helper()
	for auth, want := range map[string]int{"": 401, "Bearer s3cret": 200} {
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s %q: %d, want %d", url, auth, resp.StatusCode, want)
		}
	}
}
