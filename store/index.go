package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// IndexItems brings the search index up to date with the items stored
// and changed since it last ran: on SQLite the items above
// search_state.upto (migrations/0014_search_batched.sql), on PostgreSQL
// those noted in item_search_pending (migrations/postgres/0015_search_pending.sql).
// A fetch calls it once at its end when a console reads the index, and
// every search before it reads the index, so a search finds every item
// stored before it began, with its current text.
//
// A fetch's items indexed together rather than each source's as it
// commits make a few large index segments (SQLite) and spare every save
// the tokenizing (PostgreSQL, where it was most of the server's work).
// It does nothing when nothing is waiting, and on a read-only store,
// whose searches see what the last IndexItems of a writer indexed (the
// daemon's and fetch's runs with a console end with one). A backlog is
// indexed in transactions of a tenth of a second's work each, so that
// other writers (SQLite) and other indexers (PostgreSQL) never wait long;
// several calls at once share the work, none indexing an item twice.
func (s *Store) IndexItems(ctx context.Context) error {
	if s.readOnly() {
		return nil
	}
	if _, ok := s.d.(postgres); ok {
		return s.indexPending(ctx)
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
// database, months fetched without a console) does not keep other
// processes' writers or indexers waiting, and the process stays smaller
// (indexing a cold fetch of 1,000 feeds in chunks of 5,000 or 20,000
// items peaked 16 MB higher on SQLite). PostgreSQL tokenizes more slowly:
// pgIndexChunk.
var (
	indexChunk   = 2000
	pgIndexChunk = 500
)

// indexersLock is the advisory lock key of PostgreSQL's index batches
// ("nwindex" in ASCII): one batch runs at a time, beside the saves and
// other writers, which never take it.
const indexersLock = 0x6e77696e646578

// indexPending indexes PostgreSQL's queue of noted items, a chunk per
// transaction, until a read finds none left of those noted when it
// began: the rows up to the highest ID then. Items noted later under a
// higher ID are left to the next call, so that a search beside daemons
// that keep storing new items ends; a stored item changed meanwhile (a
// lower ID) is taken with the rest. Each transaction first
// deletes the rows it takes, then reads the items' text in a later
// statement: a save that changed one of them meanwhile either committed
// before that read, or notes it again once this transaction ends (the
// migration explains why). A chunk another process is indexing is waited
// for, not skipped, so that a search starts only once every item noted
// before it is in the index.
func (s *Store) indexPending(ctx context.Context) error {
	var upto sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(item_id) FROM item_search_pending`).Scan(&upto); err != nil {
		return fmt.Errorf("store: index items for search: %w", err)
	}
	if !upto.Valid {
		return nil
	}
	for lost := 0; ; {
		var waiting bool
		if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM item_search_pending WHERE item_id <= $1)`,
			upto.Int64).Scan(&waiting); err != nil {
			return fmt.Errorf("store: index items for search: %w", err)
		}
		if !waiting {
			return nil
		}
		err := s.inTx(ctx, lockIndexers, func(tx *sql.Tx) error {
			ids, err := takeIDs(ctx, tx, `DELETE FROM item_search_pending WHERE item_id IN
					(SELECT item_id FROM item_search_pending WHERE item_id <= $2 ORDER BY item_id LIMIT $1)
				RETURNING item_id`, pgIndexChunk, upto.Int64)
			if err != nil {
				return err
			}
			return s.indexIDs(ctx, tx, ids)
		})
		if err != nil && s.indexAgain(err) && lost < retryAttempts {
			lost++
			continue
		}
		if err != nil {
			return fmt.Errorf("store: index items for search: %w", err)
		}
		lost = 0
		if s.indexed != nil {
			s.indexed()
		}
	}
}

// lockIndexers takes the indexers' lock for the transaction tx: one index
// batch at a time.
func lockIndexers(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(indexersLock))
	return err
}

// takeIDs runs query, a DELETE … RETURNING item_id of a queue, and
// returns the IDs it took.
func takeIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// indexIDs writes the index rows of the items ids (PostgreSQL). An item
// indexed again with the same words and date (every item is, once, after
// a change of the index function) is left as it is: rewriting its row and
// index entries would cost several times what tokenizing it did.
func (s *Store) indexIDs(ctx context.Context, tx *sql.Tx, ids []int64) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO item_search (item_id, at, tsv)
		SELECT id, coalesce(published, first_seen), item_search_tsv(title, summary, content, body)
		FROM items WHERE `+s.d.in("id", "bigint")+`
		ON CONFLICT (item_id) DO UPDATE SET at = excluded.at, tsv = excluded.tsv
		WHERE item_search.at IS DISTINCT FROM excluded.at OR item_search.tsv IS DISTINCT FROM excluded.tsv`), ids)
	return err
}

// indexAgain reports whether an index batch that failed with err is to
// run again: a save that changes two waiting items, the first of which
// the batch has taken while it waits for the second, deadlocks with it;
// an item deleted (by another tool) while the batch reads it is no longer
// there to refer to. The batch, rolled back, runs again.
func (s *Store) indexAgain(err error) bool {
	var pg *pgconn.PgError
	return s.d.retryable(err) || errors.As(err, &pg) && pg.Code == "23503"
}

// IndexAgain indexes again the items a change of PostgreSQL's index
// function left indexed the old way, which its migration noted in
// item_search_again (postgres/0018_search_fold.sql), a chunk per
// transaction beside the other indexers, until none is left or ctx ends.
// Searches do not wait for it: they find such an item by its words as
// they were indexed until its turn comes. Nothing to do on SQLite, whose
// index has not changed, and on a read-only store. It returns how many
// items it indexed.
func (s *Store) IndexAgain(ctx context.Context) (int, error) {
	if _, ok := s.d.(postgres); !ok || s.readOnly() {
		return 0, nil
	}
	done := 0
	for lost := 0; ; {
		taken := 0
		err := s.inTx(ctx, lockIndexers, func(tx *sql.Tx) error {
			ids, err := takeIDs(ctx, tx, `DELETE FROM item_search_again WHERE item_id IN
					(SELECT item_id FROM item_search_again ORDER BY item_id LIMIT $1)
				RETURNING item_id`, pgIndexChunk)
			if err != nil {
				return err
			}
			if taken = len(ids); taken == 0 {
				return nil
			}
			return s.indexIDs(ctx, tx, ids)
		})
		if err != nil && s.indexAgain(err) && lost < retryAttempts {
			lost++
			continue
		}
		if err != nil {
			return done, fmt.Errorf("store: index items again for search: %w", err)
		}
		if taken == 0 {
			return done, nil
		}
		done += taken
		lost = 0
		if s.indexed != nil {
			s.indexed()
		}
	}
}

// indexBehind reports whether SQLite's search index lacks items or its
// upto mark passes the highest item: a read, so that a search with nothing
// to index takes no write lock.
func (s *Store) indexBehind(ctx context.Context, r reader) (bool, error) {
	var behind bool
	err := r.QueryRowContext(ctx, `SELECT (SELECT upto FROM search_state WHERE id = 1)
		IS NOT coalesce((SELECT max(id) FROM items), 0)`).Scan(&behind)
	if err != nil {
		return false, fmt.Errorf("store: index items for search: %w", err)
	}
	return behind, nil
}
