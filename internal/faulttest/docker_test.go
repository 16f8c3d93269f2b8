package faulttest

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The users of the Docker steps: the host user who writes the config, and
// the image's user (distroless nonroot) who reads it through a read-only
// bind mount.
var (
	hostUser  = &syscall.Credential{Uid: 1000, Gid: 1000}
	imageUser = &syscall.Credential{Uid: 65532, Gid: 65532}
)

// TestDockerStepsGiveAReadableConfig follows README's Docker steps (no
// docker engine here: the image's user is a credential): the config a host
// user makes with the image alone (`init -data /data -` redirected to a
// file, then chmod 0644 for a strict umask) or with the binary (`init
// FILE`, which writes 0644) is read by uid 65532, and check accepts it.
func TestDockerStepsGiveAReadableConfig(t *testing.T) {
	needRoot(t)
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"docker run --rm newswatch init -data /data - > newswatch.toml", "chmod 0644 newswatch.toml", `-v "$PWD/newswatch.toml:/etc/newswatch/newswatch.toml:ro"`} {
		if !strings.Contains(string(readme), step) {
			t.Fatalf("README's Docker steps no longer show %q, which this test follows", step)
		}
	}
	root := publicDir(t)
	bin := filepath.Join(root, "newswatch")
	copyFile(t, nwBin, bin, 0o755)
	home := filepath.Join(root, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, int(hostUser.Uid), int(hostUser.Gid)); err != nil {
		t.Fatal(err)
	}

	// With the image alone: the shell's redirection creates the file with
	// the host user's umask (077 at worst), then README's chmod.
	r := runAs(t, imageUser, root, bin, "init", "-data", "/data", "-")
	if r.code != 0 || !strings.Contains(r.stdout, `database = "/data/newswatch.db"`) {
		t.Fatalf("init -data /data - in the image: %s", r)
	}
	printed := filepath.Join(home, "newswatch.toml")
	if err := os.WriteFile(printed, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(printed, int(hostUser.Uid), int(hostUser.Gid)); err != nil {
		t.Fatal(err)
	}
	if r := runAs(t, imageUser, root, bin, "-config", printed, "check"); r.code == 0 {
		t.Errorf("check as 65532 on a 0600 file succeeded: the chmod step would be needless\n%s", r)
	}
	if err := os.Chmod(printed, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runAs(t, imageUser, root, bin, "-config", printed, "check"); r.code != 0 || !strings.Contains(r.stdout, "ok:") {
		t.Errorf("check as 65532 after README's steps: %s", r)
	}

	// With the binary on the host: init writes 0644 itself.
	written := filepath.Join(home, "written.toml")
	if r := runAs(t, hostUser, home, bin, "init", "-data", "/data", written); r.code != 0 {
		t.Fatalf("init as the host user: %s", r)
	}
	if r := runAs(t, imageUser, root, bin, "-config", written, "check"); r.code != 0 || !strings.Contains(r.stdout, "ok:") {
		t.Errorf("check as 65532 on the file init wrote: %s", r)
	}
}
