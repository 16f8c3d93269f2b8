package store

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"newswatch/model"
)

// known is a stored item as the batch lookup sees it.
type known struct {
	id        int64
	linked    bool // the batch's source already carried it
	rank      copyRank
	article   bool
	published sql.NullInt64
	firstSeen int64
	pruned    bool // Prune has passed it: it takes no copy
}

// copyWrite is one write of a copy plan to the stored item id: with take,
// the batch's copy it replaces the stored one (link, text, rank, date when
// it has one); without, the stored copy stays and only gets a date it
// lacked (published) or the article flag.
type copyWrite struct {
	take      bool
	id        int64
	it        model.Item
	rank      copyRank
	published sql.NullInt64
	article   bool
}

// copyPlan is what saving one source's batch does to the stored items
// (copies.go has the rules): the writes in batch order, the items to link
// to the source, and the items the batch reports, new or (Richer) a
// better copy of an item stored before. A richer item a digest has
// already claimed is dropped from the report by the store, which alone
// can tell.
type copyPlan struct {
	writes []copyWrite
	link   []int64
	added  []model.Item
}

// planCopies plans the merge of a batch of one source's copies into the
// store. stored is what the lookup found under the batch's keys, inserted
// the IDs of the keys insertNew stored for the batch (their first copy),
// texts the stored copies' text of the items whose rank ties with one of
// the batch's copies, ranks the batch's ranks (ranksOf, at the source's
// site), now the first-seen time of new items. It reads and changes nothing else.
func planCopies(items []model.Item, ranks []copyRank, source string, stored map[string]known, inserted map[string]int64, texts map[int64]model.Item, now time.Time) (copyPlan, error) {
	stored, texts = maps.Clone(stored), maps.Clone(texts)
	if stored == nil {
		stored = map[string]known{}
	}
	if texts == nil {
		texts = map[int64]model.Item{}
	}
	seen := now.UnixNano()
	var (
		p      copyPlan
		richer = map[int64]int{} // item ID → index in p.added
	)
	for i, it := range items {
		rank := ranks[i]
		// A copy with the page's body, or from the article's own site,
		// is the article's own text: its page need not be fetched.
		article := rank.own || it.Body != ""
		published := nullTime(it.Published)
		k, ok := stored[it.Key]
		switch {
		case !ok:
			if k.id, ok = inserted[it.Key]; !ok {
				return copyPlan{}, fmt.Errorf("item %s: not inserted: the key is stored already", it.Key)
			}
			k.rank, k.article, k.published, k.firstSeen = rank, article, published, seen
			it.ID, it.FirstSeen, it.Published = k.id, now, fromNanos(published)
			it.Sources = []string{source}
			p.added = append(p.added, it)
			texts[k.id] = it
		case k.pruned:
			// Its text may be gone: a copy would bring it back as news.
		default:
			better, err := betterCopy(k, it, rank, texts)
			if err != nil {
				return copyPlan{}, fmt.Errorf("item %s: %w", it.Key, err)
			}
			switch {
			case better:
				p.writes = append(p.writes, copyWrite{take: true, id: k.id, it: it, rank: rank, published: published, article: article})
				texts[k.id] = it
				if published.Valid {
					k.published = published
				}
				k.rank, k.article = rank, k.article || article
				it.ID, it.FirstSeen, it.Published, it.Richer = k.id, time.Unix(0, k.firstSeen).UTC(), fromNanos(k.published), true
				p.report(it, richer)
			case !k.published.Valid && published.Valid || !k.article && article:
				// The best copy stays; a date it lacks and the article
				// flag come from this one.
				p.writes = append(p.writes, copyWrite{id: k.id, published: published, article: article})
				if !k.published.Valid {
					k.published = published
				}
				k.article = k.article || article
			}
		}
		if !k.linked {
			p.link = append(p.link, k.id)
			k.linked = true
		}
		stored[it.Key] = k // a key repeated within the batch is not new again
	}
	return p, nil
}

// report puts a stored item's better copy it in the report: in place of
// the item's earlier copy in this batch, new (reported new still) or
// richer, else as richer.
func (p *copyPlan) report(it model.Item, richer map[int64]int) {
	if i, ok := richer[it.ID]; ok { // a key repeated within the batch
		p.added[i] = it
		return
	}
	if i := slices.IndexFunc(p.added, func(a model.Item) bool { return a.ID == it.ID }); i >= 0 {
		it.Richer, it.Sources = false, p.added[i].Sources // new in this batch: still new
		p.added[i] = it
		return
	}
	richer[it.ID] = len(p.added)
	p.added = append(p.added, it)
}

// betterCopy reports whether copy it, of rank r, is better than the one
// stored for k, whose text is in texts when their ranks tie.
func betterCopy(k known, it model.Item, r copyRank, texts map[int64]model.Item) (bool, error) {
	if c := r.compare(k.rank); c != 0 {
		return c > 0, nil
	}
	cur, ok := texts[k.id]
	if !ok {
		return false, fmt.Errorf("item %d: the stored copy's text was not read", k.id)
	}
	return compareText(it, cur) > 0, nil
}
