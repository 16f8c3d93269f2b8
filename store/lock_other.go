//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"errors"
)

// LockDaemon takes the single-daemon lock for this database until release is
// called or the process ends; ErrLocked when another process holds it.
// On this platform there is no lock: it always fails.
func (s *Store) LockDaemon() (release func(), err error) {
	if s.d.shared() {
		return func() {}, nil
	}
	return nil, errors.New("store: the daemon lock needs flock(2), which this platform lacks")
}

// processAlive cannot tell on this platform: a lease lasts until it expires.
func processAlive(pid int) bool { return pid > 0 }
