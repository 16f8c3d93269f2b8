package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
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
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		var errb strings.Builder
		done <- run(ctx, []string{"-config", path, "serve", "-listen", "127.0.0.1:0"}, pw, &errb)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.Fields(strings.TrimPrefix(line, "serving the console at "))[0]
	for auth, want := range map[string]int{"": 401, "Bearer s3cret": 200} {
		req, _ := http.NewRequest("GET", url+"api/watchlist", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%q: %d, want %d", auth, resp.StatusCode, want)
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d", code)
	}
}
