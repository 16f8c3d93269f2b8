//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// LockDaemon takes the single-daemon lock for this database until release is
// called or the process ends; ErrLocked when another process holds it.
//
// The lock is for SQLite only: on PostgreSQL, daemons share the work
// (lease.go) and release is a no-op.
//
// The lock is flock(2) on "<database>.lock": the kernel drops it when the
// holder exits, however it exits, so a crashed daemon never leaves a stale
// lock behind. The file holds the holder's PID, for the error message.
func (s *Store) LockDaemon() (release func(), err error) {
	if s.d.shared() {
		return func() {}, nil
	}
	name := s.name + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held%s", ErrLocked, name, holder)
		}
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	// The PID is only informative; failing to write it does not matter.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		})
	}, nil
}

// readPID describes the lock holder from the file's content, if it names one.
func readPID(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return " by process " + pid
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
