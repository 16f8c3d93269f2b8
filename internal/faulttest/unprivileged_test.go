package faulttest

// Runs as an unprivileged user (nobody) and beside a busy writer: the
// commands that only read must work on a database they cannot write, and
// the install steps of the systemd unit must give the service's dynamic
// user a config it can read.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"newswatch/internal/smtptest"
)

// nobody is the unprivileged user the tests run newswatch as.
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534}

// publicDir returns a fresh folder that every user can traverse (t.TempDir's
// parent is private to its owner), removed after the test.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "newswatch-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// RequireRootEnv, set to 1 (as CI does), makes the tests that switch
// users fail instead of skipping when not run as root.
const RequireRootEnv = "NEWSWATCH_TEST_REQUIRE_ROOT"

// needRoot skips a test that must switch users, unless RequireRootEnv
// asks for it: then it fails.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv(RequireRootEnv) == "1" {
			t.Fatal("needs root to run newswatch as nobody, and " + RequireRootEnv + "=1 requires this test")
		}
		t.Skip("needs root to run newswatch as nobody (" + RequireRootEnv + "=1 turns this into a failure)")
	}
}

// runAs runs the binary at bin as cred with args and returns its result.
func runAs(t *testing.T, cred *syscall.Credential, dir, bin string, args ...string) result {
	t.Helper()
	var (
		cmd            *exec.Cmd
		stdout, stderr strings.Builder
		err            error
	)
	// A binary copied just now is busy (ETXTBSY) while a parallel test's
	// fork still holds the copy's file descriptor, until that child execs:
	// try again then.
	for range 50 {
		cmd = exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		stdout.Reset()
		stderr.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err = cmd.Run(); !errors.Is(err, syscall.ETXTBSY) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	switch {
	case err != nil && cmd.ProcessState == nil:
		r.stderr += fmt.Sprintf("(not started: %v)", err)
	case err != nil && r.code == 0:
		r.code = -1
	}
	return r
}

// copyFile copies src to dst with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyCommandsBesideAWriter: status, check and preview answer while
// another process holds the database's write lock; they used to wait for
// it to run their migration check and fail with "database is locked".
func TestReadOnlyCommandsBesideAWriter(t *testing.T) {
	t.Parallel()
	w := newWorld(t, conf{noSMTP: true}, smtptest.Options{})
	w.write(conf{noSMTP: true, sources: []src{goodSource(t, "t-busy")}})
	w.mustRun(0, "once")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.dir, "nw.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO items (key, first_seen) VALUES ('held', 1)`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"check"}, {"preview"}} {
		r := w.run(args...)
		if r.code != 0 {
			t.Errorf("newswatch %s beside a writer: %s", args[0], r)
		}
	}
	if r := w.run("status"); !strings.Contains(r.stdout, "Good") {
		t.Errorf("status beside a writer does not list the source:\n%s", r)
	}
}

// TestReadOnlyCommandsOnAReadOnlyDatabase: as a user who may read the
// database but not write it or its folder, status, check and preview work
// and leave no file behind; fetch fails with a clear error.
func TestReadOnlyCommandsOnAReadOnlyDatabase(t *testing.T) {
	needRoot(t)
	t.Parallel()
	dir := publicDir(t)
	w := &world{t: t, dir: dir, mail: smtptest.New(t, smtptest.Options{})}
	w.cfg = filepath.Join(dir, "newswatch.toml")
	w.write(conf{noSMTP: true, sources: []src{goodSource(t, "t-readonly")}})
	w.mustRun(0, "once")
	bin := filepath.Join(dir, "newswatch")
	copyFile(t, nwBin, bin, 0o755)
	for _, f := range []string{"newswatch.toml", "nw.db"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadDir(dir)
	for _, args := range [][]string{{"status"}, {"check"}, {"preview"}} {
		r := runAs(t, nobody, dir, bin, append([]string{"-config", w.cfg}, args...)...)
		if r.code != 0 {
			t.Errorf("newswatch %s as nobody on a read-only database: %s", args[0], r)
		}
		if args[0] == "status" && !strings.Contains(r.stdout, "Good") {
			t.Errorf("status as nobody does not list the source:\n%s", r)
		}
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("read-only commands left files behind: %d entries before, %d after", len(before), len(after))
	}
	r := runAs(t, nobody, dir, bin, "-config", w.cfg, "fetch")
	if r.code == 0 || !strings.Contains(r.stderr, "nw.db") || !strings.Contains(r.stderr, "which may not write") {
		t.Errorf("fetch as nobody on a read-only database: want a failure naming the database and what is wrong, got %s", r)
	}
}

// TestNewDatabaseInAFolderNotWritable: a database to be made in a folder
// the user may not write (a host-owned -data folder) fails saying so and
// what to do, not only SQLite's "unable to open database file".
func TestNewDatabaseInAFolderNotWritable(t *testing.T) {
	needRoot(t)
	t.Parallel()
	dir := publicDir(t)
	w := &world{t: t, dir: dir, mail: smtptest.New(t, smtptest.Options{})}
	w.cfg = filepath.Join(dir, "newswatch.toml")
	w.write(conf{noSMTP: true, sources: []src{goodSource(t, "t-notwritable")}})
	bin := filepath.Join(dir, "newswatch")
	copyFile(t, nwBin, bin, 0o755)
	if err := os.Chmod(w.cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runAs(t, nobody, dir, bin, "-config", w.cfg, "fetch")
	if r.code == 0 || !strings.Contains(r.stderr, "may not write the folder "+dir) || !strings.Contains(r.stderr, "chown") {
		t.Errorf("fetch as nobody with the database's folder not writable: want what is wrong and what to do, got %s", r)
	}
}

// TestSystemdInstallStepsGiveAReadableConfig follows the install steps at
// the top of deploy/newswatch.service in a scratch root: the starter config
// that init writes (0644) can be read by the service's unprivileged user,
// who runs check on it.
func TestSystemdInstallStepsGiveAReadableConfig(t *testing.T) {
	needRoot(t)
	t.Parallel()
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "newswatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"install -d -m 0755 /etc/newswatch", "newswatch init -data /var/lib/newswatch /etc/newswatch/newswatch.toml", "setpriv --reuid=nobody"} {
		if !strings.Contains(string(unit), step) {
			t.Fatalf("deploy/newswatch.service does not show the step %q this test follows (init cannot write into a folder that does not exist yet)", step)
		}
	}
	root := publicDir(t)
	bin := filepath.Join(root, "newswatch")
	copyFile(t, nwBin, bin, 0o755) // install -m 0755 newswatch /usr/local/bin/newswatch
	etc := filepath.Join(root, "etc")
	if err := os.Mkdir(etc, 0o755); err != nil { // install -d -m 0755 /etc/newswatch
		t.Fatal(err)
	}
	cfg := filepath.Join(etc, "newswatch.toml")
	if r := runAs(t, nil, root, bin, "init", "-data", "/var/lib/newswatch", cfg); r.code != 0 {
		t.Fatalf("init: %s", r)
	}
	if r := runAs(t, nobody, root, bin, "-config", cfg, "check"); r.code != 0 || !strings.Contains(r.stdout, "ok:") {
		t.Errorf("check as nobody after the install steps: %s", r)
	}
}
