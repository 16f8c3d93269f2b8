//go:build unix

package web

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockConfig takes an advisory lock shared by every newswatch process
// saving into the configuration file at path (a `run` and a `serve` on the
// same file), on a lock file beside it; unlock releases it. Where the lock
// file cannot be made (a read-only folder) it locks nothing: the save then
// fails on the folder anyway.
func lockConfig(path string) (unlock func()) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
