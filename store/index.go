package store

import (
	"context"
	"database/sql"
	"fmt"
)

// IndexItems brings SQLite's search index up to date: the items stored
// since it last ran (those above search_state.upto, see
// migrations/0014_search_batched.sql) are indexed in one statement, and
// upto moves to the highest item ID, in one write transaction. A fetch
// calls it once at its end, and every search before it reads the index,
// so a search finds every item stored before it began.
//
// A fetch's items indexed together rather than each source's as it
// commits make a few large index segments, not one small segment per
// transaction merged over and over, and spare every commit the index's
// pages. It does nothing when no item was stored since, on PostgreSQL
// (whose triggers index every write), and on a read-only store, whose
// searches see the items up to the last IndexItems of a writer (the
// daemon's and fetch's runs end with one). A backlog larger than
// indexChunk is indexed in several transactions.
func (s *Store) IndexItems(ctx context.Context) error {
	if _, ok := s.d.(sqlite); !ok || s.w == s.r {
		return nil
	}
	if behind, err := s.indexBehind(ctx, s.r); err != nil || !behind {
		return err
	}
	for done := false; !done; {
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			var upto, last int64
			if err := tx.QueryRowContext(ctx, `SELECT
					(SELECT upto FROM search_state WHERE id = 1),
					coalesce((SELECT max(id) FROM items), 0)`).Scan(&upto, &last); err != nil {
				return err
			}
			// Down as well as up: with the highest items deleted, the IDs
			// SQLite gives again are then indexed in a batch, not one by one.
			end := last
			if last > upto {
				if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM
						(SELECT id FROM items WHERE id > ? ORDER BY id LIMIT ?)`, upto, indexChunk).Scan(&end); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO items_fts (rowid, title, summary, content, body)
					SELECT id, title, summary, content, body FROM items WHERE id > ? AND id <= ? ORDER BY id`, upto, end); err != nil {
					return err
				}
			}
			done = end == last
			_, err := tx.ExecContext(ctx, `UPDATE search_state SET upto = ? WHERE id = 1`, end)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: index items for search: %w", err)
		}
	}
	return nil
}

// indexChunk is how many items IndexItems indexes in one transaction, a
// tenth of a second's work: a backlog larger than a fetch's (a copied
// database) does not keep other processes' writers waiting past
// busyTimeout, and the process stays smaller (indexing a cold fetch of
// 1,000 feeds in chunks of 5,000 or 20,000 items peaked 16 MB higher).
var indexChunk = 2000

// indexBehind reports whether the search index lacks items or its upto
// mark passes the highest item: a read, so that a search with nothing to
// index takes no write lock.
func (s *Store) indexBehind(ctx context.Context, r reader) (bool, error) {
	var behind bool
	err := r.QueryRowContext(ctx, `SELECT (SELECT upto FROM search_state WHERE id = 1)
		IS NOT coalesce((SELECT max(id) FROM items), 0)`).Scan(&behind)
	if err != nil {
		return false, fmt.Errorf("store: index items for search: %w", err)
	}
	return behind, nil
}
