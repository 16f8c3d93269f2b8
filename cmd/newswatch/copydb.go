package main

import (
	"context"
	"errors"
	"fmt"

	"newswatch/app"
	"newswatch/config"
	"newswatch/store"
)

// cmdCopyDB copies the configured database (an SQLite file, usually) into a
// new, empty one, PostgreSQL usually: items with their sources, source
// health and failed runs, the outbox with its history. Pointed at the copy,
// newswatch goes on where it stopped: no stored item is announced again and
// no digest slot is sent twice.
func cmdCopyDB(ctx context.Context, e *env, args []string) error {
	fs := e.flags("copy-db")
	to := fs.String("to", "", "the new, empty database: a PostgreSQL URL (postgres://user@host:5432/db) or an SQLite file")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usagef("copy-db needs -to, the database to copy into (postgres://user@host:5432/db)")
	}
	cfg, err := config.Load(e.config)
	if err != nil {
		return usageError{err}
	}
	if *to == cfg.Database {
		return usagef("-to is the configured database itself (%s)", store.Redact(*to))
	}
	if err := app.DatabaseExists(cfg.Database); err != nil {
		return err
	}
	src, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err // it names the database
	}
	defer src.Close()
	// No daemon may write the file while it is copied.
	release, err := src.LockDaemon()
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w: stop `newswatch run` before copying its database", err)
		}
		return err
	}
	defer release()
	dst, err := store.Open(ctx, *to)
	if err != nil {
		return err // it names the database
	}
	defer dst.Close()
	n, err := src.CopyTo(ctx, dst)
	if errors.Is(err, store.ErrNotEmpty) {
		return reword(err, "%s already holds items or digests: copy-db copies into a new, empty database only", dst.Path())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %s, %s, %s and %s from %s to %s\n",
		count(n["items"], "item", "items"), count(n["sources"], "source's health", "sources' health"),
		count(n["source_errors"], "failed run", "failed runs"), count(n["messages"], "digest", "digests"),
		store.Redact(cfg.Database), dst.Path())
	fmt.Fprintf(e.stdout, "next: set database = %q in %s, then start the daemons\n", store.WithoutPassword(*to), cfg.Path)
	return nil
}
