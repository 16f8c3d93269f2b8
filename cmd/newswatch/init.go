package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
)

// starterConfig is what `init` writes: one company, one topic, one source,
// one digest, no [smtp] (digests are written to files until it is added).
//
//go:embed starter.toml
var starterConfig string

func cmdInit(ctx context.Context, e *env, args []string) error {
	fs := e.flags("init")
	data := fs.String("data", "", "keep the database and the digests in this folder (e.g. /data in the Docker image)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	path := e.config
	switch len(pos) {
	case 0:
	case 1:
		path = pos[0]
	default:
		return usagef("init takes at most one FILE, got %d", len(pos))
	}
	text := starterConfig
	if *data != "" {
		text = strings.Replace(text, `database = "newswatch.db"      # created on first run, next to this file`,
			fmt.Sprintf("database = %q", filepath.ToSlash(filepath.Join(*data, "newswatch.db"))), 1)
		text = strings.Replace(text, `dir = "digests"`, fmt.Sprintf("dir = %q", filepath.ToSlash(filepath.Join(*data, "digests"))), 1)
	}
	if path == "-" {
		// No file to write: the image has no Go and no shell, the host
		// redirects the output (docker run --rm newswatch init - > newswatch.toml).
		_, err := io.WriteString(e.stdout, text)
		return err
	}
	// 0644: the file holds no secret (passwords and tokens come from the
	// environment), and the daemon often runs as another user (systemd's
	// dynamic user, the image's 65532) that must read it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, iofs.ErrExist) {
		return usagef("%s already exists: init never overwrites a config (name another FILE, or edit it)", path)
	}
	if errors.Is(err, iofs.ErrNotExist) {
		return usagef("cannot write %s: its folder %s does not exist (create it first)", path, filepath.Dir(path))
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	// The mode given to OpenFile passes through the umask: a hardened
	// host's 027 or 077 would leave the file unreadable to that user.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, `wrote %s (mode 0644: it holds no secret, passwords come from the environment). Next:
  1. edit [[sources]], [[companies]], [[topics]] and the digest's "to" and "timezone"
  2. newswatch -config %[1]s check        # validate, then see what the keywords match
  3. newswatch -config %[1]s fetch        # fetch now and show the matches
  4. newswatch -config %[1]s send -test   # a test message now (to files until [smtp] is set)
  5. cron: */10 * * * * newswatch -config %[1]s once -q
`, path)
	return nil
}
