package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MarkNotRelevant records that the item with this ID is not about company
// (again: no change). It returns ErrNotFound when no such item is stored.
func (s *Store) MarkNotRelevant(ctx context.Context, id int64, company string) error {
	return s.setMark(ctx, "mark item %d not relevant for %s", id, company, `INSERT INTO feedback (item_id, company, created)
		VALUES (?, ?, ?) ON CONFLICT (item_id, company) DO NOTHING`, id, company, s.now().UnixNano())
}

// UnmarkNotRelevant removes the "not relevant" mark of item id for
// company (nothing to do when there is none); ErrNotFound for an unknown
// item.
func (s *Store) UnmarkNotRelevant(ctx context.Context, id int64, company string) error {
	return s.setMark(ctx, "unmark item %d for %s", id, company, `DELETE FROM feedback WHERE item_id = ? AND company = ?`, id, company)
}

// setMark runs query on the feedback of an item that must exist, in one
// transaction; op (with the item and company) prefixes its error.
func (s *Store) setMark(ctx context.Context, op string, id int64, company, query string, args ...any) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM items WHERE id = ?`), id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(query), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: "+op+": %w", id, company, err)
	}
	return nil
}

// NotRelevant returns, for those of ids marked not relevant, the companies
// they were marked for.
func (s *Store) NotRelevant(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	arr, err := s.d.list(ids)
	if err != nil {
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT item_id, company FROM feedback WHERE `+s.d.in("item_id", "bigint")+`
		ORDER BY item_id, company`), arr)
	if err != nil {
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      int64
			company string
		)
		if err := rows.Scan(&id, &company); err != nil {
			return nil, fmt.Errorf("store: feedback: %w", err)
		}
		out[id] = append(out[id], company)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	return out, nil
}

// Marks returns every item marked not relevant, by the company it was
// marked for, newest mark first: one query for the whole watchlist.
func (s *Store) Marks(ctx context.Context) (map[string][]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT company, item_id FROM feedback ORDER BY created DESC, item_id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var (
			company string
			id      int64
		)
		if err := rows.Scan(&company, &id); err != nil {
			return nil, fmt.Errorf("store: feedback: %w", err)
		}
		out[company] = append(out[company], id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feedback: %w", err)
	}
	return out, nil
}
