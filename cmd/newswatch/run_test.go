package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"newswatch/daemon"
	"newswatch/internal/testutil"
)

// TestMain lets a test run the real binary's main as a subprocess: the test
// binary re-executes itself with NEWSWATCH_BE_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("NEWSWATCH_BE_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestRunCommand runs `newswatch run` as the binary does: NEWSWATCH_LISTEN
// puts /healthz where the config does not, a second `run` on the database
// exits 1 naming the first while `send` works beside it, SIGTERM exits 0
// within the shutdown deadline, and -listen is the daemon's address.
func TestRunCommand(t *testing.T) {
	cfg := writeConfig(t, feedServer(t).URL, "")
	addr := freeAddr(t)
	stderr := &testutil.LockedBuffer{}
	cmd := exec.Command(os.Args[0], "-config", cfg, "-log-format", "text", "run")
	cmd.Env = append(os.Environ(), "NEWSWATCH_BE_MAIN=1", "NEWSWATCH_LISTEN="+addr)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", stderr.String())
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz on NEWSWATCH_LISTEN=%s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if code, _, errOut := runCmd(t, "-config", cfg, "run"); code != exitFailure || !strings.Contains(errOut, "another newswatch run") {
		t.Errorf("second run: exit %d, stderr %q; want exit 1 naming the other run", code, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", cfg, "send"); code != exitOK {
		t.Errorf("send beside the daemon: exit %d\n%s%s", code, out, errOut)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exit after SIGTERM: %v", err)
		}
	case <-time.After(daemon.ShutdownDeadline + 5*time.Second):
		t.Fatalf("daemon still running %v after SIGTERM, past its %v shutdown deadline", daemon.ShutdownDeadline+5*time.Second, daemon.ShutdownDeadline)
	}

	bad := "127.0.0.1:99999"
	if code, _, errOut := runCmd(t, "-config", cfg, "run", "-listen", bad); code != exitFailure || !strings.Contains(errOut, fmt.Sprintf("listen %s (listen override)", bad)) {
		t.Errorf("run -listen %s: exit %d, stderr %q; want exit 1 naming the address", bad, code, errOut)
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}
