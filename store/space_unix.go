//go:build unix

package store

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// FreeSpace returns the bytes an unprivileged writer may still use on the
// filesystem of an SQLite database; ok is false on PostgreSQL (the
// server's disk is out of sight) or when the filesystem cannot be asked.
func (s *Store) FreeSpace() (free int64, ok bool) {
	if s.d.shared() {
		return 0, false
	}
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(s.name), &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true //nolint:gosec // block counts fit
}
