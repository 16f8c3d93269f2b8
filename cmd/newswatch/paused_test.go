package main

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// pausedConfig writes a config with one enabled and one paused source and
// digest, over a feed server that records the paths asked for.
func pausedConfig(t *testing.T, extra string) (path string, asked func() []string) {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`database = "nw.db"
[http]
per_host_delay = "0s"
[output]
dir = "out"
[[sources]]
name = "On"
feed = "%[1]s/on"
[[sources]]
name = "Off"
feed = "%[1]s/off"
enabled = false
[[companies]]
name = "Alibaba"
all_news = true
[[digests]]
name = "Daily"
schedule = "@daily"
to = ["a@example.org"]
send_empty = true
[[digests]]
name = "Paused"
schedule = "@daily"
to = ["a@example.org"]
send_empty = true
enabled = false
%s`, srv.URL, extra)
	path = filepath.Join(dir, "newswatch.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

func TestPausedSourceAndDigest(t *testing.T) {
	path, asked := pausedConfig(t, "")
	code, out, errOut := runCmd(t, "-config", path, "check")
	if code != exitOK {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "(1 source and 1 digest paused)") {
		t.Errorf("check does not say what is paused:\n%s", out)
	}
	if code, out, errOut := runCmd(t, "-config", path, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := asked(); len(got) != 1 || got[0] != "/on" {
		t.Errorf("feeds asked for %q, want only /on", got)
	}
	if code, out, errOut := runCmd(t, "-config", path, "send"); code != exitOK {
		t.Fatalf("send: exit %d\n%s\n%s", code, out, errOut)
	}
	out1 := filepath.Join(filepath.Dir(path), "out")
	entries, _ := os.ReadDir(out1)
	if len(entries) != 1 {
		t.Errorf("output folders %v, want the Daily digest's only", entries)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fetch", "-source", "Off"}, `source "Off" is paused (enabled = false`},
		{[]string{"send", "Paused"}, `digest "Paused" is paused (enabled = false`},
		{[]string{"fetch", "-source", "Onn"}, `no source named "Onn" in ` + path + ` (did you mean "On"?)`},
		{[]string{"send", "Dialy"}, `(did you mean "Daily"?)`},
	} {
		code, _, errOut := runCmd(t, append([]string{"-config", path}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, exitUsage, tt.want)
		}
	}
	if got := asked(); len(got) != 1 {
		t.Errorf("feeds asked for %q after the refusals, want only the first /on", got)
	}
	code, out, errOut = runCmd(t, "-config", path, "status")
	if code != exitOK {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Off", "Paused"} {
		if !strings.Contains(out, "  "+want+" ") || !strings.Contains(out[strings.Index(out, "  "+want+" "):], "paused (enabled = false)") {
			t.Errorf("status does not show %s as paused:\n%s", want, out)
		}
	}
}

// TestCheckPasswordEnv: a password pasted into password_env is refused and
// not printed; a well-formed name whose variable is unset is a warning.
func TestCheckPasswordEnv(t *testing.T) {
	smtp := "[smtp]\nhost = \"127.0.0.1\"\nsecurity = \"none\"\nusername = \"u\"\nfrom = \"n@example.org\"\npassword_env = %q\n"
	path, _ := pausedConfig(t, fmt.Sprintf(smtp, "s3cr3t!Pa55"))
	code, out, errOut := runCmd(t, "-config", path, "check")
	if code != exitUsage || !strings.Contains(errOut, "smtp.password_env") {
		t.Errorf("check with a pasted password: exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out+errOut, "s3cr3t") {
		t.Errorf("check printed the value of password_env:\n%s%s", out, errOut)
	}
	path, _ = pausedConfig(t, fmt.Sprintf(smtp, "NEWSWATCH_TEST_SURELY_UNSET"))
	code, out, errOut = runCmd(t, "-config", path, "check")
	if code != exitOK || !strings.Contains(out, "warning: ") || !strings.Contains(out, "NEWSWATCH_TEST_SURELY_UNSET") {
		t.Errorf("check with an unset password variable: exit %d, want 0 and a warning naming it\n%s\n%s", code, out, errOut)
	}
}

// TestStandardLogGoesThroughSlog: what net/http prints with the standard
// logger ("Unsolicited response received on idle HTTP channel…") comes out
// as a JSON log record, not as a bare line in the JSON log.
func TestStandardLogGoesThroughSlog(t *testing.T) {
	path, _ := pausedConfig(t, "")
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"-config", path, "-log-format", "json", "check"}, &out, &errb); code != exitOK {
		t.Fatalf("check: exit %d\n%s", code, errb.String())
	}
	log.Printf("Unsolicited response received on idle HTTP channel starting with %q; err=<nil>", "HTTP/1.1 200")
	got := errb.String()
	if !strings.Contains(got, `"level":"WARN"`) || !strings.Contains(got, `"msg":"Unsolicited response received`) {
		t.Errorf("standard log line not a JSON record:\n%s", got)
	}
}
