//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestLockDaemonCrash has another process take the lock and die by SIGKILL:
// the lock must go with it, with no stale file to clean up.
func TestLockDaemonCrash(t *testing.T) {
	s := open(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "STORE_LOCK_HELPER="+s.Path())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v; want locked", line, err)
	}

	_, err = s.LockDaemon()
	if !errors.Is(err, ErrLocked) {
		t.Errorf("LockDaemon beside a running daemon: %v, want ErrLocked", err)
	} else if want := "process " + strconv.Itoa(cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the holder (%s)", err, want)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	release, err := s.LockDaemon()
	if err != nil {
		t.Fatalf("LockDaemon after the holder was killed: %v", err)
	}
	release()
}

// TestLockHelperProcess is the other process of TestLockDaemonCrash.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv("STORE_LOCK_HELPER")
	if path == "" {
		t.Skip("helper process for TestLockDaemonCrash")
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := s.LockDaemon(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin) // until killed
	os.Exit(0)
}
