//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestInitUnderStrictUmask: a hardened host's umask (077) does not take
// the file's 0644 away; the daemon's user could not read it otherwise.
// Not parallel: the umask is the process's.
func TestInitUnderStrictUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "newswatch.toml")
	if code, out, errOut := runCmd(t, "init", path); code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("init under umask 077 wrote mode %v (%v), want 0644", st.Mode().Perm(), err)
	}
}
