package scraper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
)

// Feed errors; test with errors.Is.
var (
	// ErrNotFeed: the body is not RSS, Atom or JSON Feed (an HTML page
	// served in place of the feed, or no root element within the first 4 KB).
	ErrNotFeed = errors.New("not a feed")
	// ErrMalformed: the body looked like a feed but did not parse.
	ErrMalformed = errors.New("malformed feed")
)

func newFeedParser() *gofeed.Parser {
	p := gofeed.NewParser()
	// The image scan runs an HTML parse of every description; we never
	// use images, and it is ~15% of parse time.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}

func (f *Fetcher) fetchFeed(ctx context.Context, src Source) Result {
	res := Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified}
	fail := func(err error) Result {
		res.Err = fmt.Errorf("source %q: fetch %s: %w", src.Name, src.Feed, err)
		return res
	}
	var acc access
	if u, err := url.Parse(src.Feed); err == nil {
		acc = f.access(ctx, u)
	}
	resp, err := f.get(ctx, request{URL: src.Feed, Access: acc, ETag: src.ETag, LastModified: src.LastModified, Raw: true})
	if err != nil {
		return fail(err)
	}
	if resp.NotModified {
		res.NotModified = true
		return res
	}
	defer func() { resp.release() }()
	if src.Admit != nil {
		if err := src.Admit(ctx); err != nil {
			return fail(err)
		}
	}
	items, err := f.parseBody(ctx, resp)
	if errors.Is(err, ErrNotFeed) && looksHTML(resp) {
		// A web page in place of a feed: follow the feed it advertises
		// (or serves at a common path), and say which one was used.
		feeds, derr := f.feedsOf(ctx, resp, acc)
		if derr != nil {
			return fail(fmt.Errorf("%w; feed discovery: %w", err, derr))
		}
		res.FeedURL = feeds[0].URL
		resp.release()
		resp, err = f.get(ctx, request{URL: res.FeedURL, Access: acc, ETag: src.ETag, LastModified: src.LastModified, Raw: true})
		if err != nil {
			return fail(fmt.Errorf("discovered feed %s: %w", res.FeedURL, err))
		}
		if resp.NotModified {
			res.NotModified = true
			return res
		}
		items, err = f.parseBody(ctx, resp)
	}
	resp.release() // the items hold copies of what they need
	if err != nil {
		if resp.URL.String() != src.Feed {
			err = fmt.Errorf("redirected to %s: %w", resp.URL.Redacted(), err)
		}
		return fail(err)
	}
	heldBack := false
	if src.FullText {
		var partial *PartialError
		partial, items, heldBack, err = f.fullText(ctx, src, acc, items)
		if err != nil {
			return fail(err)
		}
		// Items keep their feed text when their page failed, so they are
		// returned even when the source fails.
		warning, err := partial.outcome(len(items))
		if err != nil {
			res.Err = fmt.Errorf("source %q: %s: %w", src.Name, src.Feed, err)
		}
		if warning != nil {
			res.Warning = fmt.Errorf("source %q: %s: %w", src.Name, src.Feed, warning)
		}
	}
	res.Items = items
	// Items held back for the next fetch must come again: the validators
	// are not advanced, so that fetch gets the whole feed, not a 304.
	if !heldBack {
		res.ETag, res.LastModified = resp.ETag, resp.LastModified
	}
	return res
}

// parseBody decompresses and parses resp's body, holding one of the
// Fetcher's parse slots meanwhile: parsing is CPU work, so more bodies
// decompressed and parsed at once than there are processors would only hold
// more memory. The body stays decompressed in resp.
func (f *Fetcher) parseBody(ctx context.Context, resp *response) ([]Item, error) {
	select {
	case f.parsing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-f.parsing }()
	if err := f.decode(resp); err != nil {
		return nil, err
	}
	return f.parseFeed(resp.Body.Bytes(), resp.ContentType, resp.URL, f.now())
}

// parseFeed parses a complete feed body. base is the URL the body came from
// (after redirects), against which relative links are resolved.
func (f *Fetcher) parseFeed(body []byte, contentType string, base *url.URL, fetched time.Time) ([]Item, error) {
	data := toUTF8(body, contentType)
	if err := checkDepth(data, maxDepth); err != nil {
		return nil, err
	}
	feed, err := f.parser.Parse(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, notFeedError(data, contentType)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return convertItems(feed, base, fetched), nil
}

func notFeedError(data []byte, contentType string) error {
	mt, _, _ := mime.ParseMediaType(contentType)
	head := bytes.ToLower(data[:min(len(data), 4096)])
	if mt == "text/html" || bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) {
		return fmt.Errorf("%w: got an HTML page (Content-Type %q); a rate-limit, login or error page?", ErrNotFeed, contentType)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: empty body", ErrNotFeed)
	}
	return fmt.Errorf("%w: no <rss>, <rdf:RDF>, <feed> or JSON object within the first 4 KB", ErrNotFeed)
}

func convertItems(feed *gofeed.Feed, base *url.URL, fetched time.Time) []Item {
	items := make([]Item, 0, len(feed.Items))
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		item := Item{
			GUID:    strings.TrimSpace(cleanText(it.GUID)),
			Title:   cleanTitle(it.Title),
			Summary: cleanText(it.Description),
			Content: cleanText(it.Content),
		}
		item.Link = itemLink(it, base)
		item.Published = itemDate(it, fetched)
		item.Key = itemKey(item)
		item.Link = publicLink(item.Link)
		items = append(items, item)
	}
	return dedupeKeys(items)
}

func itemLink(it *gofeed.Item, base *url.URL) string {
	if l := resolveLink(base, it.Link); l != "" {
		return l
	}
	for _, l := range it.Links {
		if l := resolveLink(base, l); l != "" {
			return l
		}
	}
	// RSS guids are permalinks by default; an absolute one is the link.
	if g := strings.TrimSpace(it.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
		return resolveLink(nil, g)
	}
	return ""
}

func itemKey(it Item) string {
	if it.Link != "" {
		if k, err := NormalizeURL(it.Link); err == nil {
			return k
		}
	}
	if it.GUID != "" {
		return "guid:" + it.GUID
	}
	return hashKey(it.Title, it.Published.Format(time.RFC3339), it.Summary)
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "hash:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// dedupeKeys settles items of one fetch that share a Key. Copies of one
// article (same key, same title) are kept once. Different articles under one
// key (every item links to the home page, or every item has the same GUID)
// each get a key of their own: their GUID when that tells them apart, else a
// hash of link, title and date.
func dedupeKeys(items []Item) []Item {
	byKey := make(map[string][]int, len(items))
	for i, it := range items {
		byKey[it.Key] = append(byKey[it.Key], i)
	}
	if len(byKey) == len(items) {
		return items
	}
	drop := make([]bool, len(items))
	for _, idx := range byKey {
		if len(idx) < 2 {
			continue
		}
		titles := map[string]bool{}
		guids := map[string]bool{}
		for _, i := range idx {
			titles[items[i].Title] = true
			guids[items[i].GUID] = true
		}
		if len(titles) == 1 {
			for _, i := range idx[1:] {
				drop[i] = true
			}
			continue
		}
		byGUID := len(guids) == len(idx) && !strings.HasPrefix(items[idx[0]].Key, "guid:")
		for _, i := range idx {
			if byGUID && items[i].GUID != "" {
				items[i].Key = "guid:" + items[i].GUID
			} else {
				items[i].Key = hashKey(items[i].Link, items[i].Title, items[i].Published.Format(time.RFC3339))
			}
		}
	}
	out := items[:0]
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		if drop[i] || seen[it.Key] {
			continue
		}
		seen[it.Key] = true
		out = append(out, it)
	}
	return out
}

// looksHTML reports whether a response is an HTML page.
func looksHTML(r *response) bool {
	if r.Body == nil {
		return false
	}
	head := bytes.ToLower(r.Body.Bytes()[:min(r.Body.Len(), 4096)])
	return isHTML(r.ContentType) || bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html"))
}
