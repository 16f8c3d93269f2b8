package app

import (
	"context"
	"log/slog"
	"time"

	"newswatch/store"
)

// IndexBacklog brings the search index up to date in the background, for
// a console started on a database fetched without one: its first search
// would otherwise index the whole backlog inside its request. A search
// meanwhile indexes beside it, the two taking chunks in turn (none twice),
// and reads once nothing waits; what an upgrade left indexed the old way
// comes after (store.IndexAgain). stop cancels it (what is indexed stays
// indexed) and returns once it has ended, before the store closes.
func IndexBacklog(ctx context.Context, st *store.Store, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		if err := st.IndexItems(ctx); err != nil {
			if ctx.Err() == nil {
				log.Warn("index items for search", "err", err)
			}
			return
		}
		log.Info("search index up to date", "took", time.Since(start))
		// Then, with nothing left that a search would wait for, the
		// items an upgrade left indexed the old way (PostgreSQL).
		start = time.Now()
		n, err := st.IndexAgain(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("index items again for search", "err", err)
			}
			return
		}
		if n > 0 {
			log.Info("search index renewed", "items", n, "took", time.Since(start))
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
