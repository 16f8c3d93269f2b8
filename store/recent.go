package store

import (
	"context"
	"fmt"
	"strings"

	"newswatch/model"
)

// RecentBySource returns the newest items of each named source, at most n
// each, newest first as Items orders them. Each source's items are found
// through its own index range, as a search by source finds them, by one
// prepared statement, and read together at the end: not a search (an
// index check, a count, a page, the items) per source.
func (s *Store) RecentBySource(ctx context.Context, names []string, n int) (map[string][]model.Item, error) {
	out := make(map[string][]model.Item, len(names))
	if n <= 0 || len(names) == 0 {
		return out, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT i.id FROM items AS i
		WHERE i.id IN (SELECT src.item_id FROM item_sources AS src WHERE src.source = ?)`)
	newestFirst(&b, nil, n)
	stmt, err := s.r.PrepareContext(ctx, s.q(b.String()))
	if err != nil {
		return nil, fmt.Errorf("store: recent items by source: %w", err)
	}
	defer stmt.Close()
	var ids []int64
	of := map[int64][]string{}
	for _, name := range names {
		if err := func() error {
			rows, err := stmt.QueryContext(ctx, name, n)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				if len(of[id]) == 0 {
					ids = append(ids, id)
				}
				of[id] = append(of[id], name)
			}
			return rows.Err()
		}(); err != nil {
			return nil, fmt.Errorf("store: recent items of %s: %w", name, err)
		}
	}
	items, err := s.ItemsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("store: recent items by source: %w", err)
	}
	for _, it := range items {
		for _, name := range of[it.ID] {
			out[name] = append(out[name], it)
		}
	}
	return out, nil
}
