package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// starterConfig is what `init` writes: one company, one topic, one source,
// one digest, no [smtp] (digests are written to files until it is added).
//
//go:embed starter.toml
var starterConfig string

func cmdInit(ctx context.Context, e *env, args []string) error {
	pos, err := e.parse(e.flags("init"), args)
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
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, fs.ErrExist) {
		return usagef("%s already exists: init never overwrites a config (name another FILE, or edit it)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(starterConfig); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, `wrote %s. Next:
  1. edit [[sources]], [[companies]], [[topics]] and the digest's "to" and "timezone"
  2. newswatch -config %[1]s check        # validate, then see what the keywords match
  3. newswatch -config %[1]s fetch        # fetch now and show the matches
  4. newswatch -config %[1]s send -test   # a test message now (to files until [smtp] is set)
  5. cron: */10 * * * * newswatch -config %[1]s once -q
`, path)
	return nil
}
