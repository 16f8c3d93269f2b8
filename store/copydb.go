package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// copied are the tables CopyTo copies, parents first, and the columns that
// keep their order of insertion (an item's sources, failed runs) where the
// table has one: SQLite's rowid, a column of that name on PostgreSQL. The
// daemons' leases are not copied: they hold nothing once the daemons stop.
// Logged-out console sessions are: their cookies stay refused; so are the
// kept keys, so that a console form loaded before the move is still taken.
// The keys replace the destination's (replace): a console started on the
// new database before the copy made its own, which holds nothing else.
var copied = []struct {
	table   string
	rowid   bool
	replace bool
}{
	{"items", false, false},
	{"item_sources", true, false},
	{"sources", false, false},
	{"source_errors", true, false},
	{"messages", false, false},
	{"message_items", false, false},
	{"deliveries", false, false},
	{"empty_slots", false, false},
	{"prune_state", false, false},
	{"feedback", false, false},
	{"ended_sessions", false, false},
	{"secret_keys", false, true},
}

// ErrNotEmpty is returned by CopyTo when one of the tables it copies into
// holds rows already (items, digests, or only a source's health).
var ErrNotEmpty = errors.New("store: the destination database is not empty")

// CopyTo copies everything s holds (items with their sources, source
// health and failed runs, the outbox with its history) into dst, which
// must be empty, in one transaction: dst then carries on where s stopped,
// announcing no stored item again and skipping no digest slot. IDs are
// kept. It returns the rows copied, by table.
func (s *Store) CopyTo(ctx context.Context, dst *Store) (map[string]int, error) {
	counts := make(map[string]int, len(copied))
	// One read transaction: every table as of one moment (SQLite's
	// transactions see one snapshot; PostgreSQL's must be asked for it).
	var opts *sql.TxOptions
	if s.d.shared() {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	from, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return counts, fmt.Errorf("store: copy %s: %w", s.name, err)
	}
	defer from.Rollback()
	err = dst.writeTx(ctx, func(tx *sql.Tx) error {
		// Every table copied into must be empty: one holding only the
		// health of a source would fail the copy on its key.
		for _, c := range copied {
			if c.replace {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+c.table); err != nil {
					return fmt.Errorf("%s: %w", c.table, err)
				}
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+c.table+` LIMIT 1) AS t`).Scan(&n); err != nil {
				return fmt.Errorf("%s: %w", c.table, err)
			}
			if n > 0 {
				return fmt.Errorf("%w: its table %s has rows", ErrNotEmpty, c.table)
			}
		}
		for _, c := range copied {
			rows, err := s.copyTable(ctx, from, tx, dst, c.table, c.rowid)
			if err != nil {
				return fmt.Errorf("%s: %w", c.table, err)
			}
			counts[c.table] = rows
		}
		// A sender of the source database holds nothing here.
		for _, t := range []string{"messages", "deliveries"} {
			if _, err := tx.ExecContext(ctx, `UPDATE `+t+` SET lease_pid = 0, lease_until = NULL`); err != nil {
				return err
			}
		}
		return dst.d.resetIdentities(ctx, tx)
	})
	if err != nil {
		return counts, fmt.Errorf("store: copy %s to %s: %w", s.name, dst.name, err)
	}
	// The copied items enter dst's search index together.
	if err := dst.IndexItems(ctx); err != nil {
		return counts, fmt.Errorf("store: copy %s to %s: %w", s.name, dst.name, err)
	}
	return counts, nil
}

// copyTable inserts every row of table, read through from, into dst
// through tx.
func (s *Store) copyTable(ctx context.Context, from, tx *sql.Tx, dst *Store, table string, rowid bool) (int, error) {
	cols := "*"
	if rowid {
		cols = "rowid AS rowid, *"
		if _, ok := s.d.(postgres); ok { // a column of its own there
			cols = "*"
		}
	}
	rows, err := from.QueryContext(ctx, `SELECT `+cols+` FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ins, err := tx.PrepareContext(ctx, dst.q(`INSERT INTO `+table+` (`+strings.Join(names, ", ")+`)
		VALUES (?`+strings.Repeat(`, ?`, len(names)-1)+`)`))
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
