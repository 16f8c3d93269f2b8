package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInit: init writes a starter config that check accepts, says what to
// edit, and never overwrites.
func TestInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newswatch.toml")
	code, out, errOut := runCmd(t, "init", path)
	if code != exitOK || !strings.Contains(out, "edit [[sources]]") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", path, "check"); code != exitOK || !strings.Contains(out, "ok: 1 source, 1 company, 1 topic, 1 digest") {
		t.Errorf("check of the starter config: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", path, "preview"); code != exitOK || !strings.Contains(out, "Morning brief: nothing would be sent now") || !strings.Contains(out, "send_empty is false") {
		t.Errorf("preview of the starter config: exit %d\n%s%s", code, out, errOut)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(before, "# mine\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(t, "init", path)
	if code != exitUsage || !strings.Contains(errOut, "already exists") {
		t.Errorf("init over an existing file: exit %d, stderr %q; want 2 and a refusal", code, errOut)
	}
	if after, _ := os.ReadFile(path); !strings.HasSuffix(string(after), "# mine\n") {
		t.Error("init overwrote the existing file")
	}
}

// TestInitForAnotherUser: init writes the file 0644 (it holds no secret;
// the daemon may run as another user), and `init -` prints it, with -data
// putting the database and the digests in that folder (the Docker image's
// volume), for a host without Go.
func TestInitForAnotherUser(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	if code, out, errOut := runCmd(t, "init", path); code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o044 != 0o044 {
		t.Fatalf("init wrote mode %v (%v), want readable by group and others (0644)", st.Mode(), err)
	}
	code, out, errOut := runCmd(t, "init", "-data", "/data", "-")
	if code != exitOK || !strings.Contains(out, `database = "/data/newswatch.db"`) || !strings.Contains(out, `dir = "/data/digests"`) {
		t.Fatalf("init -data /data -: exit %d\n%s%s", code, out, errOut)
	}
	printed := filepath.Join(dir, "printed.toml")
	if err := os.WriteFile(printed, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "-config", printed, "check"); code != exitOK {
		t.Errorf("check of the printed starter config: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "init", filepath.Join(dir, "no", "such", "newswatch.toml")); code != exitUsage || !strings.Contains(errOut, "does not exist") {
		t.Errorf("init into a missing folder: exit %d, stderr %q", code, errOut)
	}
}

// TestHelpAndVersion: help and --version work, version names the build.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, errOut := runCmd(t, args...)
		if code != exitOK || !strings.Contains(out+errOut, "init [-data DIR] [FILE | -]") || !strings.Contains(out+errOut, "-config") {
			t.Errorf("%v: exit %d, output %q", args, code, out+errOut)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, _ := runCmd(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "newswatch ") {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
	}
}
