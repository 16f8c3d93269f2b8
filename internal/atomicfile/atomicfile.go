// Package atomicfile replaces a file so that a reader, or the file system
// after a crash, sees either the old content or the new, never a part.
//
// The data goes to a temporary file in the same folder (a rename is atomic
// only within one file system), which is given its permissions and synced
// before it is renamed over the path; the folder is synced after, so the
// rename itself survives a power loss. On any failure the temporary file is
// removed and the path is left as it was.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, with permissions perm.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = rename(tmp.Name(), path); err != nil {
		return err
	}
	// Not every system can sync a folder; the file itself is complete.
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// rename is os.Rename; a test makes it fail.
var rename = os.Rename
