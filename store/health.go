package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"newswatch/model"
)

// healthColumns are the sources table's health columns, in the order of
// healthArgs.
const healthColumns = `name, etag, last_modified, last_status, last_run,
	last_success, last_error, failing_since, failures, duration, items`

// healthUpdate is how a run's health record meets the one stored. A success
// (ok or not modified) ends a failure streak; an error starts or extends
// one. Validators change only on model.StatusOK.
const healthUpdate = ` ON CONFLICT (name) DO UPDATE SET
	etag = CASE WHEN excluded.last_status = 'ok' THEN excluded.etag ELSE sources.etag END,
	last_modified = CASE WHEN excluded.last_status = 'ok' THEN excluded.last_modified ELSE sources.last_modified END,
	last_status = excluded.last_status,
	last_run = excluded.last_run,
	last_success = coalesce(excluded.last_success, sources.last_success),
	last_error = excluded.last_error,
	failing_since = CASE WHEN excluded.last_status = 'error'
		THEN coalesce(sources.failing_since, excluded.failing_since) END,
	failures = CASE WHEN excluded.last_status = 'error' THEN sources.failures + 1 ELSE 0 END,
	duration = excluded.duration,
	items = excluded.items`

// healthArgs are the values of healthColumns that run leaves.
func healthArgs(run model.Run) []any {
	var (
		etag, lastModified string
		success, failing   sql.NullInt64
		failures           int
		lastError          string
	)
	started := run.Started.UnixNano()
	switch run.Status {
	case model.StatusOK:
		etag, lastModified = run.ETag, run.LastModified
		success = sql.NullInt64{Int64: started, Valid: true}
	case model.StatusNotModified:
		success = sql.NullInt64{Int64: started, Valid: true}
	case model.StatusError:
		failing = sql.NullInt64{Int64: started, Valid: true}
		failures = 1
		lastError = run.Err
		if lastError == "" {
			lastError = "unknown error"
		}
	}
	return []any{run.Source, etag, lastModified, run.Status, started,
		success, lastError, failing, failures, int64(run.Duration), run.Items}
}

// healthColumnCount is the number of healthColumns.
const healthColumnCount = 11

// SaveRuns records runs that returned no items (not modified, failed, or
// empty) in one transaction: a fetch where most sources answer 304 commits
// once, not once per source, and writes their health in one statement, not
// one per source. Runs of one source are recorded in their order, as
// successive SaveRun calls would.
func (s *Store) SaveRuns(ctx context.Context, runs []model.Run) error {
	for _, run := range runs {
		if err := checkRun(run, nil); err != nil {
			return err
		}
	}
	if len(runs) == 0 {
		return nil
	}
	now := s.now()
	return s.saveTx(ctx, func(tx *sql.Tx) error {
		if err := s.saveHealthMany(ctx, tx, runs, now); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		pruned := false
		for _, run := range runs {
			if run.Status != model.StatusError {
				continue
			}
			if run.Started.IsZero() {
				run.Started = now
			}
			if _, err := tx.StmtContext(ctx, s.stmts.logError).ExecContext(ctx,
				run.Source, run.Started.UnixNano(), int64(run.Duration), run.Err); err != nil {
				return fmt.Errorf("store: save run of %s: %w", run.Source, err)
			}
			if !pruned {
				if _, err := tx.StmtContext(ctx, s.stmts.pruneErrors).ExecContext(ctx,
					s.now().Add(-errorRetention).UnixNano()); err != nil {
					return fmt.Errorf("store: save run of %s: %w", run.Source, err)
				}
				pruned = true
			}
		}
		return nil
	})
}

// healthRowsPerStatement is how many runs' health one statement of
// saveHealthMany writes: 11 parameters a run, far below either database's
// limit on parameters.
const healthRowsPerStatement = 32

// saveHealthMany writes the health of runs (Started zero: now),
// healthRowsPerStatement runs a statement: a statement per run costs more
// in database/sql and the driver than in the database. A statement never
// holds one source twice (PostgreSQL refuses to update a row twice in one
// statement, and a source's second run must meet the health its first
// left): a repeated source, and the runs left over after the full
// statements, are written one statement a run.
func (s *Store) saveHealthMany(ctx context.Context, tx *sql.Tx, runs []model.Run, now time.Time) error {
	one := tx.StmtContext(ctx, s.stmts.saveHealth)
	var many *sql.Stmt
	defer func() {
		if many != nil {
			many.Close()
		}
	}()
	args := make([]any, 0, healthRowsPerStatement*healthColumnCount)
	var pending []model.Run
	seen := make(map[string]bool, healthRowsPerStatement)
	alone := func() error { // the pending runs, a statement each
		for _, run := range pending {
			if _, err := one.ExecContext(ctx, healthArgs(run)...); err != nil {
				return fmt.Errorf("save run of %s: %w", run.Source, err)
			}
		}
		pending, args = pending[:0], args[:0]
		clear(seen)
		return nil
	}
	for _, run := range runs {
		if run.Started.IsZero() {
			run.Started = now
		}
		if seen[run.Source] {
			if err := alone(); err != nil {
				return err
			}
		}
		seen[run.Source] = true
		pending = append(pending, run)
		args = append(args, healthArgs(run)...)
		if len(pending) < healthRowsPerStatement {
			continue
		}
		if many == nil {
			var err error
			if many, err = tx.PrepareContext(ctx, s.q(healthInsert(healthRowsPerStatement))); err != nil {
				return fmt.Errorf("save runs: %w", err)
			}
		}
		if _, err := many.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("save runs: %w", err)
		}
		pending, args = pending[:0], args[:0]
		clear(seen)
	}
	return alone()
}

// healthInsert is the statement that writes the health of n runs.
func healthInsert(n int) string {
	row := "(?" + strings.Repeat(", ?", healthColumnCount-1) + ")"
	return `INSERT INTO sources (` + healthColumns + `) VALUES ` + row + strings.Repeat(", "+row, n-1) + healthUpdate
}
