//go:build !unix

package store

// FreeSpace is unknown on this system: ok is false.
func (s *Store) FreeSpace() (free int64, ok bool) { return 0, false }
