package store

import (
	"context"
	"fmt"
	"newswatch/model"
	"time"
)

// Delivered returns the items that digest's messages delivered at or
// after since (a message counts once any recipient accepted it), newest
// first as Items orders them: what its readers have already seen, so a
// new report of the same story can be shown as an update of it.
func (s *Store) Delivered(ctx context.Context, digest string, since time.Time) ([]model.Item, error) {
	items, err := s.listItems(ctx, []string{`i.id IN (SELECT mi.item_id FROM message_items AS mi
		JOIN messages AS m ON m.id = mi.message_id
		WHERE m.digest = ? AND m.sent IS NOT NULL AND m.sent >= ?)`},
		[]any{digest, since.UTC().UnixNano()}, 0)
	if err != nil {
		return nil, fmt.Errorf("store: delivered by %s: %w", digest, err)
	}
	return items, nil
}
