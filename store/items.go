package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"newswatch/model"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// errorRetention is how long failed runs are kept for SourceErrors.
const errorRetention = 30 * 24 * time.Hour

// writeStmts are the statements SaveRun runs for every batch, prepared once
// on the writer connection.
type writeStmts struct {
	lookup      *sql.Stmt
	insertItems *sql.Stmt
	insertItem  *sql.Stmt
	copyText    *sql.Stmt
	takeCopy    *sql.Stmt
	fillCopy    *sql.Stmt
	claimed     *sql.Stmt
	linkSource  *sql.Stmt
	saveHealth  *sql.Stmt
	logError    *sql.Stmt
	pruneErrors *sql.Stmt
}

func (w *writeStmts) prepare(ctx context.Context, s *Store) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// The batch's keys that are stored, whether this source already
		// carried them, and what SaveRun needs to rank the stored copy
		// against the batch's: one statement for the whole batch. An item
		// Prune has passed (its text may be gone) takes no copy.
		{&w.lookup, `SELECT i.key, i.id,
				EXISTS (SELECT 1 FROM item_sources AS s WHERE s.item_id = i.id AND s.source = ?),
				i.own, i.size, i.article, i.published, i.first_seen,
				i.id <= coalesce((SELECT p.item_id FROM prune_state AS p WHERE p.id = 1), 0)
			FROM items AS i WHERE ` + s.d.in("i.key", "text") + s.d.lockRows()},
		// PostgreSQL's alone (the in-process database inserts a row per
		// statement): the batch as one array a column, rows in the
		// batch's order, which the IDs follow.
		{&w.insertItems, `INSERT INTO items (key, link, guid, title, summary, content, body, published, first_seen,
				own, article, size, updated)
			SELECT r.k, r.l, r.g, r.t, r.s, r.c, r.b, r.p, CAST(? AS BIGINT), r.o, r.a, r.z, CAST(? AS BIGINT)
			FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
				?::bigint[], ?::integer[], ?::integer[], ?::integer[]) WITH ORDINALITY AS r(k, l, g, t, s, c, b, p, o, a, z, n)
			ORDER BY r.n
			ON CONFLICT (key) DO NOTHING
			RETURNING id, key`},
		{&w.insertItem, `INSERT INTO items (key, link, guid, title, summary, content, body, published, first_seen,
				own, article, size, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`},
		{&w.copyText, `SELECT id, link, guid, title, summary, content, body FROM items WHERE ` + s.d.in("id", "bigint")},
		{&w.takeCopy, `UPDATE items SET link = ?, guid = ?, title = ?, summary = ?, content = ?, body = ?,
				published = coalesce(?, published), own = ?, size = ?, article = article | ?, updated = ?
			WHERE id = ?`},
		{&w.fillCopy, `UPDATE items SET published = coalesce(published, ?), article = article | ? WHERE id = ?`},
		{&w.claimed, `SELECT EXISTS (SELECT 1 FROM message_items AS mi JOIN messages AS m ON m.id = mi.message_id
			WHERE mi.item_id = ? AND ` + claiming + `)`},
		// Every item of the batch the source did not carry yet, in one
		// statement: a round trip per item costs PostgreSQL more than the
		// insert itself.
		{&w.linkSource, `INSERT INTO item_sources (item_id, source, first_seen)
			SELECT j.value, CAST(? AS TEXT), CAST(? AS BIGINT) FROM ` + s.d.each("bigint") + ` WHERE true
			ON CONFLICT (item_id, source) DO NOTHING`},
		{&w.saveHealth, healthInsert(1)},
		{&w.logError, `INSERT INTO source_errors (source, at, duration, error) VALUES (?, ?, ?, ?)`},
		{&w.pruneErrors, `DELETE FROM source_errors WHERE at < ?`},
	} {
		// One of the two inserts: arrays per batch where each statement
		// is a round trip, a row per statement in process.
		if p.stmt == &w.insertItems && s.d.inProcess() || p.stmt == &w.insertItem && !s.d.inProcess() {
			continue
		}
		st, err := s.w.PrepareContext(ctx, s.q(p.query))
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = st
	}
	return nil
}

func (w *writeStmts) close() {
	for _, st := range []*sql.Stmt{w.lookup, w.insertItems, w.insertItem, w.copyText, w.takeCopy, w.fillCopy, w.claimed, w.linkSource, w.saveHealth, w.logError, w.pruneErrors} {
		if st != nil {
			st.Close()
		}
	}
}

// SaveRun records run as source health and, in the same transaction, stores
// items: unknown keys are inserted (FirstSeen = now); known ones gain the
// source, and take this copy's link and text when it is the better copy of
// the article (see copies.go). Validators are written after the items, in
// the same transaction, and only when run.Status is model.StatusOK, so a batch that
// fails to commit never leaves validators that would hide its items from the
// next fetch.
// It returns the items that were new, with ID, FirstSeen and Sources set,
// then those that took a richer copy and no digest has claimed yet, with
// Richer set: both are to be matched.
//
// Saves waiting for the writer commit together (group.go), and one
// source's failure is that source's alone. When
// a source's save fails (bad data, a full disk, a broken file) the run is
// recorded as a failure of the source, with the error, so the source does
// not look never fetched or healthy; the items come back on the next
// fetch, the validators having been left alone. A save once queued is not
// cancelled: ctx's deadline and cancellation are ignored.
//
// FirstSeen is taken once the write lock is held (on PostgreSQL, once the
// stored items the batch merges into are locked), and the transaction
// commits within maxStampAge of it, else it is run again with a new one
// (group.go has the rule a digest relies on). Every item needs a Key.
func (s *Store) SaveRun(ctx context.Context, run model.Run, items []model.Item) ([]model.Item, error) {
	if err := checkRun(run, items); err != nil {
		return nil, err
	}
	run.Err = validUTF8(run.Err)
	items = validItems(items)
	if run.Started.IsZero() {
		run.Started = s.now()
	}
	if len(items) == 0 && run.Status != model.StatusError {
		// The common 304: one statement, no explicit transaction.
		if _, err := s.stmts.saveHealth.ExecContext(ctx, healthArgs(run)...); err != nil {
			return nil, fmt.Errorf("store: save run of %s: %w", run.Source, err)
		}
		return nil, nil
	}
	return s.saveGrouped(ctx, run, items)
}

// saveRun is SaveRun inside tx.
func (s *Store) saveRun(ctx context.Context, tx *sql.Tx, run model.Run, items []model.Item) ([]model.Item, error) {
	added, err := s.saveItems(ctx, tx, run, items)
	if err != nil {
		return nil, err
	}
	if _, err := tx.StmtContext(ctx, s.stmts.saveHealth).ExecContext(ctx, healthArgs(run)...); err != nil {
		return nil, err
	}
	if run.Status == model.StatusError {
		if _, err := tx.StmtContext(ctx, s.stmts.logError).ExecContext(ctx,
			run.Source, run.Started.UnixNano(), int64(run.Duration), run.Err); err != nil {
			return nil, err
		}
		if _, err := tx.StmtContext(ctx, s.stmts.pruneErrors).ExecContext(ctx,
			s.now().Add(-errorRetention).UnixNano()); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// saveItems inserts the new items of one source's batch, merges the copies
// of stored ones (copies.go: planCopies decides, applyPlan writes) and
// links every item to the source. It runs inside the transaction, which
// holds the write lock, so the lookup stays true until commit.
func (s *Store) saveItems(ctx context.Context, tx *sql.Tx, run model.Run, items []model.Item) ([]model.Item, error) {
	if len(items) == 0 {
		return nil, nil
	}
	stored, err := s.lookupKeys(ctx, tx, run.Source, items)
	if err != nil {
		return nil, err
	}
	// Taken once the lock is held and the stored items are locked.
	now := s.now().UTC()
	ranks := ranksOf(items, run.Site)
	inserted, err := s.insertNew(ctx, tx, items, ranks, stored, now.UnixNano())
	if err != nil {
		return nil, err
	}
	if err := s.lookupRaced(ctx, tx, run.Source, items, stored, inserted); err != nil {
		return nil, err
	}
	// The stored copies a batch copy ties with on rank are compared by
	// text: read them in one query, not one per item.
	var ties []int64
	for i, it := range items {
		if k, ok := stored[it.Key]; ok && !k.pruned && ranks[i].compare(k.rank) == 0 {
			ties = append(ties, k.id)
		}
	}
	texts, err := s.storedTexts(ctx, tx, ties)
	if err != nil {
		return nil, err
	}
	plan, err := planCopies(items, ranks, run.Source, stored, inserted, texts, now)
	if err != nil {
		return nil, err
	}
	return s.applyPlan(ctx, tx, run.Source, plan, now.UnixNano())
}

// lookupKeys returns what is stored under the keys of items, by key.
func (s *Store) lookupKeys(ctx context.Context, tx *sql.Tx, source string, items []model.Item) (map[string]known, error) {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	arr, err := s.d.list(keys)
	if err != nil {
		return nil, err
	}
	stored := make(map[string]known, len(items))
	rows, err := tx.StmtContext(ctx, s.stmts.lookup).QueryContext(ctx, source, arr)
	if err != nil {
		return nil, fmt.Errorf("look up keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key string
			k   known
		)
		if err := rows.Scan(&key, &k.id, &k.linked, &k.rank.own, &k.rank.size, &k.article,
			&k.published, &k.firstSeen, &k.pruned); err != nil {
			return nil, fmt.Errorf("look up keys: %w", err)
		}
		stored[key] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up keys: %w", err)
	}
	return stored, nil
}

// lookupRaced adds to stored the keys of items that insertNew found stored
// all the same: another save, on PostgreSQL, inserted them and committed
// after the lookup. They are locked and merged into as any stored item.
func (s *Store) lookupRaced(ctx context.Context, tx *sql.Tx, source string, items []model.Item, stored map[string]known, inserted map[string]int64) error {
	var raced []model.Item
	for _, it := range items {
		_, ok := stored[it.Key]
		if _, in := inserted[it.Key]; !ok && !in {
			raced = append(raced, it)
		}
	}
	if len(raced) == 0 {
		return nil
	}
	more, err := s.lookupKeys(ctx, tx, source, raced)
	if err != nil {
		return err
	}
	maps.Copy(stored, more)
	return nil
}

// applyPlan writes plan (the copies taken, the dates and article flags
// filled, the links to source, at seen) and returns the items to report:
// the plan's, less the richer ones a digest has already claimed (they were
// announced; the richer copy changes the story, not the news).
func (s *Store) applyPlan(ctx context.Context, tx *sql.Tx, source string, plan copyPlan, seen int64) ([]model.Item, error) {
	for _, w := range plan.writes {
		var err error
		if w.take {
			it := w.it
			_, err = tx.StmtContext(ctx, s.stmts.takeCopy).ExecContext(ctx, it.Link, it.GUID, it.Title,
				it.Summary, it.Content, it.Body, w.published, flag(w.rank.own), w.rank.size, flag(w.article), seen, w.id)
		} else {
			_, err = tx.StmtContext(ctx, s.stmts.fillCopy).ExecContext(ctx, w.published, flag(w.article), w.id)
		}
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", w.id, err)
		}
	}
	if len(plan.link) > 0 {
		ids, err := s.d.list(plan.link)
		if err != nil {
			return nil, err
		}
		if _, err := tx.StmtContext(ctx, s.stmts.linkSource).ExecContext(ctx, source, seen, ids); err != nil {
			return nil, fmt.Errorf("link items to %s: %w", source, err)
		}
	}
	added := plan.added[:0:0]
	for _, it := range plan.added {
		if it.Richer {
			var claimed bool
			if err := tx.StmtContext(ctx, s.stmts.claimed).QueryRowContext(ctx, it.ID).Scan(&claimed); err != nil {
				return nil, fmt.Errorf("item %s: %w", it.Key, err)
			}
			if claimed {
				continue
			}
		}
		added = append(added, it)
	}
	return added, nil
}

// newItem is an item as insertNew hands it to the database.
type newItem struct {
	Key, Link, GUID, Title, Summary, Content, Body string
	Published                                      *int64
	Own, Article, Size                             int64
}

// insertNew inserts the first copy of each of the batch's keys that is not
// stored, first seen at seen, and returns their IDs by key. IDs follow the
// batch's order. ranks are the items' (ranksOf).
func (s *Store) insertNew(ctx context.Context, tx *sql.Tx, items []model.Item, ranks []copyRank, stored map[string]known, seen int64) (map[string]int64, error) {
	var fresh []newItem
	taken := make(map[string]bool)
	for i, it := range items {
		if _, ok := stored[it.Key]; ok || taken[it.Key] {
			continue
		}
		taken[it.Key] = true
		rank := ranks[i]
		n := newItem{Key: it.Key, Link: it.Link, GUID: it.GUID, Title: it.Title, Summary: it.Summary,
			Content: it.Content, Body: it.Body, Own: int64(flag(rank.own)), Article: int64(flag(rank.own || it.Body != "")),
			Size: int64(rank.size)}
		if p := nullTime(it.Published); p.Valid {
			n.Published = &p.Int64
		}
		fresh = append(fresh, n)
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	if s.d.inProcess() {
		return s.insertEach(ctx, tx, fresh, seen)
	}
	rows, err := tx.StmtContext(ctx, s.stmts.insertItems).QueryContext(ctx, append([]any{seen, seen}, columns(fresh)...)...)
	if err != nil {
		return nil, fmt.Errorf("insert items: %w", err)
	}
	defer rows.Close()
	ids := make(map[string]int64, len(fresh))
	for rows.Next() {
		var (
			id  int64
			key string
		)
		if err := rows.Scan(&id, &key); err != nil {
			return nil, fmt.Errorf("insert items: %w", err)
		}
		ids[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert items: %w", err)
	}
	return ids, nil
}

// columns is fresh a column at a time, as insertItems takes it (its text
// valid UTF-8 already: SaveRun's validItems).
func columns(fresh []newItem) []any {
	n := len(fresh)
	var (
		key, link, guid  = make([]string, n), make([]string, n), make([]string, n)
		title, summary   = make([]string, n), make([]string, n)
		content, body    = make([]string, n), make([]string, n)
		published        = make([]*int64, n)
		own, article, sz = make([]int64, n), make([]int64, n), make([]int64, n)
	)
	for i, it := range fresh {
		key[i], link[i], guid[i], title[i], summary[i], content[i], body[i] = it.Key, it.Link, it.GUID, it.Title,
			it.Summary, it.Content, it.Body
		published[i], own[i], article[i], sz[i] = it.Published, it.Own, it.Article, it.Size
	}
	return []any{key, link, guid, title, summary, content, body, published, own, article, sz}
}

// validItems is items with U+FFFD in place of each byte of their key and
// text that is not part of valid UTF-8 (a copy, where one needs it), so
// that what is stored, looked up and compared is the same text on both
// databases: PostgreSQL refuses invalid text, SQLite would keep it as
// given while its JSON lists carry it replaced.
func validItems(items []model.Item) []model.Item {
	out, copied := items, false
	for i, it := range items {
		fields := []*string{&it.Key, &it.Link, &it.GUID, &it.Title, &it.Summary, &it.Content, &it.Body}
		if !slices.ContainsFunc(fields, func(f *string) bool { return !utf8.ValidString(*f) }) {
			continue
		}
		if !copied {
			out, copied = slices.Clone(items), true
		}
		for _, f := range fields {
			*f = validUTF8(*f)
		}
		out[i] = it
	}
	return out
}

// validUTF8 is s with U+FFFD in place of each byte that is not part of
// valid UTF-8.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// insertEach is insertNew a statement per item: on SQLite a call costs
// less than encoding the batch to JSON and having the database parse it
// back.
func (s *Store) insertEach(ctx context.Context, tx *sql.Tx, fresh []newItem, seen int64) (map[string]int64, error) {
	st := tx.StmtContext(ctx, s.stmts.insertItem)
	ids := make(map[string]int64, len(fresh))
	for _, n := range fresh {
		res, err := st.ExecContext(ctx, n.Key, n.Link, n.GUID, n.Title, n.Summary, n.Content, n.Body, n.Published,
			seen, n.Own, n.Article, n.Size, seen)
		if err != nil {
			return nil, fmt.Errorf("insert items: %w", err)
		}
		added, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert items: %w", err)
		}
		if added == 0 {
			continue // stored after all: lookupRaced reads it
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("insert items: %w", err)
		}
		ids[n.Key] = id
	}
	return ids, nil
}

// flag is b as the INTEGER 0 or 1 a flag column holds.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// storedTexts reads the stored copies' text of items ids, by ID.
func (s *Store) storedTexts(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]model.Item, error) {
	texts := make(map[int64]model.Item, len(ids))
	if len(ids) == 0 {
		return texts, nil
	}
	arr, err := s.d.list(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtContext(ctx, s.stmts.copyText).QueryContext(ctx, arr)
	if err != nil {
		return nil, fmt.Errorf("read stored copies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  int64
			cur model.Item
		)
		if err := rows.Scan(&id, &cur.Link, &cur.GUID, &cur.Title, &cur.Summary, &cur.Content, &cur.Body); err != nil {
			return nil, fmt.Errorf("read stored copies: %w", err)
		}
		texts[id] = cur
	}
	return texts, rows.Err()
}

func checkRun(run model.Run, items []model.Item) error {
	if run.Source == "" {
		return errors.New("store: save run: empty source name")
	}
	switch run.Status {
	case model.StatusOK, model.StatusNotModified, model.StatusError:
	default:
		return fmt.Errorf("store: save run of %s: unknown status %q", run.Source, run.Status)
	}
	for i, it := range items {
		if it.Key == "" {
			return fmt.Errorf("store: save run of %s: item %d (%q) has no key", run.Source, i, it.Title)
		}
	}
	return nil
}

// Validator is what a source's last successful response said about its
// version: the conditional GET of the next fetch sends it back.
type Validator struct {
	ETag, LastModified string
}

// ValidatorsOf returns the validators of the named sources in one query,
// keyed by source name; a source never fetched successfully has none. It
// reads those sources alone: a daemon fetching a batch of a large
// configuration's sources does not read every source's.
func (s *Store) ValidatorsOf(ctx context.Context, names []string) (map[string]Validator, error) {
	arr, err := s.d.list(names)
	if err != nil {
		return nil, fmt.Errorf("store: validators: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT name, etag, last_modified FROM sources
		WHERE (etag != '' OR last_modified != '') AND `+s.d.in("name", "text")), arr)
	if err != nil {
		return nil, fmt.Errorf("store: validators: %w", err)
	}
	defer rows.Close()
	all := make(map[string]Validator)
	for rows.Next() {
		var (
			name string
			v    Validator
		)
		if err := rows.Scan(&name, &v.ETag, &v.LastModified); err != nil {
			return nil, fmt.Errorf("store: validators: %w", err)
		}
		all[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: validators: %w", err)
	}
	return all, nil
}

// Validators returns the ETag and Last-Modified saved for a source.
func (s *Store) Validators(ctx context.Context, source string) (etag, lastModified string, err error) {
	err = s.r.QueryRowContext(ctx, s.q(`SELECT etag, last_modified FROM sources WHERE name = ?`), source).
		Scan(&etag, &lastModified)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("store: validators of %s: %w", source, err)
	}
	return etag, lastModified, nil
}

// Known reports which of keys are stored with the article's own text (a copy
// from its own site or one with the page's body), whose article page need
// not be fetched again: the map holds true for each such key and nothing
// for the others. A key stored only through another site's copy (an
// aggregator's title) is not known, so the outlet's own full text is still
// fetched and merged.
func (s *Store) Known(ctx context.Context, keys []string) (map[string]bool, error) {
	known := make(map[string]bool)
	if len(keys) == 0 {
		return known, nil
	}
	arr, err := s.d.list(keys)
	if err != nil {
		return nil, fmt.Errorf("store: known: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT i.key FROM items AS i WHERE `+s.d.in("i.key", "text")+` AND i.article = 1`), arr)
	if err != nil {
		return nil, fmt.Errorf("store: known: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: known: %w", err)
		}
		known[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: known: %w", err)
	}
	return known, nil
}

// Health is a source's state, from its recorded runs.
type Health struct {
	Source       string
	LastStatus   string
	LastRun      time.Time
	LastSuccess  time.Time // zero: never
	LastError    string    // the current streak's latest error; empty when healthy
	FailingSince time.Time // first error of the current failure streak; zero when healthy
	Failures     int       // consecutive failed runs
	Duration     time.Duration
	Items        int
}

// Health returns every source's health, by name.
func (s *Store) Health(ctx context.Context) ([]Health, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT name, last_status, last_run, last_success, last_error,
		failing_since, failures, duration, items FROM sources ORDER BY name`))
	if err != nil {
		return nil, fmt.Errorf("store: health: %w", err)
	}
	defer rows.Close()
	var hs []Health
	for rows.Next() {
		var (
			h                               Health
			lastRun, lastSuccess, failingAt sql.NullInt64
			dur                             int64
		)
		if err := rows.Scan(&h.Source, &h.LastStatus, &lastRun, &lastSuccess, &h.LastError,
			&failingAt, &h.Failures, &dur, &h.Items); err != nil {
			return nil, fmt.Errorf("store: health: %w", err)
		}
		h.LastRun, h.LastSuccess, h.FailingSince = fromNanos(lastRun), fromNanos(lastSuccess), fromNanos(failingAt)
		h.Duration = time.Duration(dur)
		hs = append(hs, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: health: %w", err)
	}
	return hs, nil
}

// SourceErrors returns the failed runs that started at or after since, oldest
// first, with Source, Started, Duration, Status and Err set: the sources that
// failed since the last digest, even those that have recovered. Failed runs
// are kept for 30 days.
func (s *Store) SourceErrors(ctx context.Context, since time.Time) ([]model.Run, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT source, at, duration, error FROM source_errors
		WHERE at >= ? ORDER BY at, rowid`), nullTime(since))
	if err != nil {
		return nil, fmt.Errorf("store: source errors: %w", err)
	}
	defer rows.Close()
	var runs []model.Run
	for rows.Next() {
		var (
			r       model.Run
			at, dur int64
		)
		if err := rows.Scan(&r.Source, &at, &dur, &r.Err); err != nil {
			return nil, fmt.Errorf("store: source errors: %w", err)
		}
		r.Started, r.Duration, r.Status = time.Unix(0, at).UTC(), time.Duration(dur), model.StatusError
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: source errors: %w", err)
	}
	return runs, nil
}

// ItemQuery selects stored items.
type ItemQuery struct {
	FirstSeenAfter time.Time // zero: no bound
	// ChangedAfter selects items first seen, or given a richer copy, after
	// it; zero: no bound. A digest selects by it, so an item a richer copy
	// made relevant is considered again.
	ChangedAfter time.Time
	Since        time.Time // published (first seen when unknown) at or after; zero: no bound
	UnclaimedBy  string    // digest name: skip items claimed by its pending or sent messages
	// ReleasedBy (a digest name) also selects, whatever ChangedAfter says,
	// the items a failed message of that digest carried: a message that
	// failed after later digests were sent (72 h of retries, a channel
	// that gave up) releases items older than the window, which must reach
	// the next digest all the same.
	ReleasedBy string
	Key        string // one item by key
	Limit      int    // 0: no limit
}

// Items returns the items q selects, newest first: by published time (first
// seen when unknown), then by ID. FirstSeenAfter, ChangedAfter and Key use an index; a
// query bounded by Since alone reads the whole table.
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]model.Item, error) {
	var items []model.Item
	err := s.EachItem(ctx, q, func(it model.Item) error {
		items = append(items, it)
		return nil
	})
	return items, err
}

// EachItem calls fn with each item q selects, in Items' order, as it is
// read: a caller that keeps few of them holds one item's text at a time,
// not every item's (a digest's window may hold hundreds of thousands). An
// error from fn ends the read and is returned.
func (s *Store) EachItem(ctx context.Context, q ItemQuery, fn func(model.Item) error) error {
	var (
		where []string
		args  []any
	)
	if t := nullTime(q.FirstSeenAfter); t.Valid {
		where = append(where, `i.first_seen > ?`)
		args = append(args, t)
	}
	if t := nullTime(q.ChangedAfter); t.Valid {
		if q.ReleasedBy != "" {
			where = append(where, `(i.updated > ? OR EXISTS (SELECT 1 FROM message_items AS mi
				JOIN messages AS m ON m.id = mi.message_id
				WHERE mi.item_id = i.id AND m.digest = ? AND m.status = 'failed'))`)
			args = append(args, t, q.ReleasedBy)
		} else {
			where = append(where, `i.updated > ?`)
			args = append(args, t)
		}
	}
	if t := nullTime(q.Since); t.Valid {
		where = append(where, `coalesce(i.published, i.first_seen) >= ?`)
		args = append(args, t)
	}
	if q.UnclaimedBy != "" {
		// A failed message releases its items: only pending and sent ones
		// claim, and one a notify channel had or still owes (claiming).
		where = append(where, `NOT EXISTS (SELECT 1 FROM message_items AS mi
			JOIN messages AS m ON m.id = mi.message_id
			WHERE mi.item_id = i.id AND m.digest = ? AND `+claiming+`)`)
		args = append(args, q.UnclaimedBy)
	}
	if q.Key != "" {
		where = append(where, `i.key = ?`)
		args = append(args, q.Key)
	}
	if err := s.queryItems(ctx, where, args, q.Limit, fn); err != nil {
		return fmt.Errorf("store: items: %w", err)
	}
	return nil
}

// Headline is what weighing words needs of a stored item.
type Headline struct {
	ID      int64
	Title   string
	Summary string
}

// Headlines returns the title and summary of the items first seen after
// since (zero: no bound), newest first as Items orders them, at most limit
// (0: no limit). It reads neither content nor body, the bulk of an item.
func (s *Store) Headlines(ctx context.Context, since time.Time, limit int) ([]Headline, error) {
	var (
		b    strings.Builder
		args []any
	)
	b.WriteString(`SELECT i.id, i.title, i.summary FROM items AS i`)
	if t := nullTime(since); t.Valid {
		b.WriteString(` WHERE i.first_seen > ?`)
		args = append(args, t)
	}
	args = newestFirst(&b, args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(b.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("store: headlines: %w", err)
	}
	defer rows.Close()
	var out []Headline
	for rows.Next() {
		var h Headline
		if err := rows.Scan(&h.ID, &h.Title, &h.Summary); err != nil {
			return nil, fmt.Errorf("store: headlines: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: headlines: %w", err)
	}
	return out, nil
}

// newestFirst ends an item query: newest first (by published time, first
// seen when unknown, then by ID), at most limit rows (0: no limit).
func newestFirst(b *strings.Builder, args []any, limit int) []any {
	b.WriteString(" ORDER BY coalesce(i.published, i.first_seen) DESC, i.id DESC")
	if limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, limit)
	}
	return args
}

// ItemsByIDs returns the stored items among ids, newest first, as Items does;
// IDs that do not exist are left out.
func (s *Store) ItemsByIDs(ctx context.Context, ids []int64) ([]model.Item, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	arr, err := s.d.list(ids)
	if err != nil {
		return nil, fmt.Errorf("store: items by id: %w", err)
	}
	items, err := s.listItems(ctx, []string{s.d.in("i.id", "bigint")}, []any{arr}, 0)
	if err != nil {
		return nil, fmt.Errorf("store: items by id: %w", err)
	}
	return items, nil
}

// listItems is queryItems' items in a slice.
func (s *Store) listItems(ctx context.Context, where []string, args []any, limit int) ([]model.Item, error) {
	var items []model.Item
	err := s.queryItems(ctx, where, args, limit, func(it model.Item) error {
		items = append(items, it)
		return nil
	})
	return items, err
}

// queryItems runs one query that returns the items and, per item, its
// sources in the order they were first seen, and calls fn with each as it
// is read.
func (s *Store) queryItems(ctx context.Context, where []string, args []any, limit int, fn func(model.Item) error) error {
	var b strings.Builder
	b.WriteString(`SELECT i.id, i.key, i.link, i.guid, i.title, i.summary, i.content, i.body,
		i.published, i.first_seen,
		(SELECT `)
	b.WriteString(s.d.jsonArray("src.source", "src.rowid"))
	b.WriteString(` FROM item_sources AS src WHERE src.item_id = i.id)
		FROM items AS i`)
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	args = newestFirst(&b, args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(b.String()), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			it                   model.Item
			published, firstSeen sql.NullInt64
			sources              string
		)
		if err := rows.Scan(&it.ID, &it.Key, &it.Link, &it.GUID, &it.Title, &it.Summary, &it.Content,
			&it.Body, &published, &firstSeen, &sources); err != nil {
			return err
		}
		it.Published, it.FirstSeen = fromNanos(published), fromNanos(firstSeen)
		if err := json.Unmarshal([]byte(sources), &it.Sources); err != nil {
			return fmt.Errorf("sources of item %d: %w", it.ID, err)
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pruneChunk bounds how many items one pruning transaction looks at, so the
// write lock is never held for long.
const pruneChunk = 2000

// Prune keeps the store from growing with old text, and returns how many
// items lost theirs. Items first seen before the cut that no pending
// message carries keep their key, link, title and dates but lose their
// summary, content and body, the bulk of the file: a feed that still lists
// one never brings it back as new, and `check -days` past the cut matches
// titles only. Sent and failed messages created before the cut go, except
// each digest's latest sent one (which starts its next window), and so do
// failed-run records older than 30 days. Each call resumes after the last
// item the previous one looked at, so a daily prune reads only the items
// that aged past its cut since; an item a pending message held then loses
// its text when that message is deleted. model.Item rows stay (a few hundred
// bytes each), and the file does not shrink: SQLite reuses the freed pages.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	cut := nullTime(before)
	if !cut.Valid {
		return 0, errors.New("store: prune: no cut-off time")
	}
	total := 0
	for {
		var n int64
		more := false
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			var from int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT item_id FROM prune_state WHERE id = 1`)).Scan(&from)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			upto, full, err := s.agedItems(ctx, tx, from, cut.Int64)
			if err != nil || upto == from {
				return err
			}
			res, err := tx.ExecContext(ctx, s.q(`UPDATE items SET summary = '', content = '', body = ''
				WHERE id > ? AND id <= ? AND (summary != '' OR content != '' OR body != '')
					AND NOT EXISTS (SELECT 1 FROM message_items AS mi JOIN messages AS m ON m.id = mi.message_id
						WHERE mi.item_id = items.id AND m.status = 'pending')`), from, upto)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			more = full
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO prune_state (id, item_id) VALUES (1, ?)
				ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id`), upto)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: prune items: %w", err)
		}
		total += int(n)
		if !more {
			break
		}
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// Items the walk above left alone because a pending message held
		// them lose their text when that message, sent or failed by now,
		// is deleted below.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE items SET summary = '', content = '', body = ''
			WHERE id IN (SELECT mi.item_id FROM message_items AS mi JOIN messages AS m ON m.id = mi.message_id
					WHERE m.status IN ('sent', 'failed') AND m.created < ?)
				AND first_seen < ? AND (summary != '' OR content != '' OR body != '')
				AND NOT EXISTS (SELECT 1 FROM message_items AS mi JOIN messages AS m ON m.id = mi.message_id
					WHERE mi.item_id = items.id AND m.status = 'pending')`), cut, cut)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		total += int(n)
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM messages AS m
			WHERE m.status IN ('sent', 'failed') AND m.created < ?
				AND m.id IS DISTINCT FROM (SELECT l.id FROM messages AS l
					WHERE l.digest = m.digest AND l.status = 'sent' ORDER BY l.slot DESC LIMIT 1)`), cut); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM empty_slots WHERE slot < ?
				AND slot < (SELECT max(e.slot) FROM empty_slots AS e WHERE e.digest = empty_slots.digest)`), cut); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM source_errors WHERE at < ?`), s.now().Add(-errorRetention).UnixNano())
		return err
	})
	if err != nil {
		return total, fmt.Errorf("store: prune messages: %w", err)
	}
	return total, nil
}

// agedItems walks the items after id from in id order (the order they were
// stored in) up to the first one seen at or after cut, at most pruneChunk
// of them: it returns the last id before that one, and whether it stopped
// only because the chunk was full. Prune holds the writers' lock
// exclusively, so no save has an item uncommitted below the walk; IDs
// follow first-seen times to within maxStampAge (group.go), far less than
// any cut's age.
func (s *Store) agedItems(ctx context.Context, tx *sql.Tx, from, cut int64) (upto int64, full bool, err error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, first_seen FROM items WHERE id > ? ORDER BY id LIMIT ?`), from, pruneChunk)
	if err != nil {
		return from, false, err
	}
	defer rows.Close()
	upto, n := from, 0
	for rows.Next() {
		var id, seen int64
		if err := rows.Scan(&id, &seen); err != nil {
			return from, false, err
		}
		if seen >= cut {
			return upto, false, rows.Err()
		}
		upto, n = id, n+1
	}
	return upto, n == pruneChunk, rows.Err()
}
