package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/cascadia"
	"github.com/gocolly/colly/v2"
)

// ArticleError is one article that yielded nothing: not fetched (robots.txt,
// a refused address), failed, or without text.
type ArticleError struct {
	URL string
	Err error
}

func (e *ArticleError) Error() string {
	if msg := e.Err.Error(); strings.Contains(msg, e.URL) {
		return msg // it names the article already (a body selector that matched nothing)
	}
	return e.URL + ": " + e.Err.Error()
}
func (e *ArticleError) Unwrap() error { return e.Err }

// PartialError lists the articles of a page source, or the full texts of a
// full_text feed, that one fetch could not get, out of Attempted new ones.
// It is the Result's Warning when other articles came, its Err when none
// did (see the package doc). Test with errors.As; errors.Is sees through it
// to each article's error (ErrRobotsDisallowed, ErrBlockedAddress, …).
type PartialError struct {
	What      string // "articles", "full texts"
	Attempted int
	Failed    []*ArticleError
}

// maxListed is how many failed articles an error message names.
const maxListed = 3

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d %s yielded nothing: ", len(e.Failed), e.Attempted, e.What)
	for i, a := range e.Failed {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.Error())
	}
	return b.String()
}

// outcome splits p into the Result's warning or error: the source fails
// when no article came although one was tried (every fetch or extraction
// failed), or when nothing at all could be had (robots.txt disallowed every
// link and none is stored). got counts the items the source returns anyway
// (known articles, feed items).
func (e *PartialError) outcome(got int) (warning, err error) {
	if len(e.Failed) == 0 {
		return nil, nil
	}
	skipped := 0
	for _, a := range e.Failed {
		if errors.Is(a.Err, ErrRobotsDisallowed) {
			skipped++
		}
	}
	if len(e.Failed) == e.Attempted && (skipped < len(e.Failed) || got == 0) {
		return nil, e
	}
	return e, nil
}

func (e *PartialError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, a := range e.Failed {
		errs[i] = a
	}
	return errs
}

// link is one article link found on a listing page.
type link struct {
	URL  string // absolute http(s), without fragment
	Key  string // NormalizeURL(URL)
	Text string // the link's text: the title when the article names none
}

func (f *Fetcher) fetchPage(ctx context.Context, src Source) Result {
	res := Result{Source: src.Name, ETag: src.ETag, LastModified: src.LastModified}
	fail := func(err error) Result {
		res.Items = nil
		res.Err = fmt.Errorf("source %q: %w", src.Name, err)
		return res
	}
	pageURL, err := url.Parse(src.Page)
	if err != nil {
		return fail(fmt.Errorf("page %q: %w", src.Page, err))
	}
	if pageURL.Scheme != "http" && pageURL.Scheme != "https" {
		return fail(fmt.Errorf("page %s: %w %q", src.Page, ErrScheme, pageURL.Scheme))
	}
	if _, err := cascadia.Compile(src.Links); err != nil {
		return fail(fmt.Errorf("links selector %q: %w", src.Links, err))
	}
	body, err := compileBody(src.Body)
	if err != nil {
		return fail(err)
	}
	acc := f.access(ctx, pageURL)
	if err := f.checkRobots(ctx, pageURL, acc); err != nil {
		return fail(fmt.Errorf("fetch %s: %w", src.Page, err))
	}
	client := f.client(acc, true)
	links, err := f.listLinks(ctx, client, src)
	if err != nil {
		return fail(err)
	}
	for _, l := range links {
		res.Links = append(res.Links, l.URL)
	}
	items, partial, err := f.pageArticles(ctx, src, acc, client, links, body)
	if err != nil {
		return fail(err)
	}
	res.Items = items
	warning, err := partial.outcome(len(items))
	if err != nil {
		res.Err = fmt.Errorf("source %q: %s: %w", src.Name, src.Page, err)
	}
	if warning != nil {
		res.Warning = fmt.Errorf("source %q: %s: %w", src.Name, src.Page, warning)
	}
	return res
}

func compileBody(sel string) (cascadia.Selector, error) {
	if sel == "" {
		return nil, nil
	}
	s, err := cascadia.Compile(sel)
	if err != nil {
		return nil, fmt.Errorf("body selector %q: %w", sel, err)
	}
	return s, nil
}

// listLinks fetches the listing page through colly and returns the links the
// source's selector picks, in page order: an element's own href, else that
// of its first link inside (so "article h3" works as well as "article h3
// a"), resolved against the page (and its <base>), http and https only,
// without fragment, once per NormalizeURL, the page itself left out.
func (f *Fetcher) listLinks(ctx context.Context, client *http.Client, src Source) ([]link, error) {
	var (
		links    []link
		seen     = map[string]bool{}
		elements int
	)
	self, _ := NormalizeURL(src.Page)
	_, err := f.visit(ctx, client, src.Page, func(c *colly.Collector) {
		c.OnHTML(src.Links, func(e *colly.HTMLElement) {
			elements++
			href, ok := e.DOM.Attr("href")
			if !ok {
				if href, ok = e.DOM.Find("a[href], area[href]").First().Attr("href"); !ok {
					return
				}
			}
			abs := withoutFragment(resolveLink(nil, e.Request.AbsoluteURL(strings.TrimSpace(href))))
			key, err := NormalizeURL(abs)
			if err != nil || seen[key] || key == self {
				return
			}
			seen[key] = true
			links = append(links, link{URL: abs, Key: key, Text: cleanTitle(e.Text)})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", src.Page, err)
	}
	if len(links) == 0 {
		return nil, &SelectorError{Field: "links", Selector: src.Links, URL: src.Page, Elements: elements}
	}
	return links, nil
}

func withoutFragment(link string) string {
	if i := strings.IndexByte(link, '#'); i >= 0 {
		return link[:i]
	}
	return link
}

// pageArticles turns a page source's links into items: the known ones as
// link-only items (so the store records this source for them, and nothing
// is fetched), the others fetched and extracted, up to src.MaxArticles,
// with the articles that yielded nothing.
func (f *Fetcher) pageArticles(ctx context.Context, src Source, acc access, client *http.Client, links []link, body cascadia.Selector) ([]Item, *PartialError, error) {
	keys := make([]string, len(links))
	for i, l := range links {
		keys[i] = l.Key
	}
	known, err := f.known(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	items := make([]Item, 0, len(links))
	var todo []link
	for _, l := range links {
		switch {
		case known[l.Key]:
			items = append(items, Item{Key: l.Key, Link: publicLink(l.URL), Title: l.Text})
		case src.MaxArticles <= 0 || len(todo) < src.MaxArticles:
			todo = append(todo, l)
		}
	}
	urls := make([]string, len(todo))
	for i, l := range todo {
		urls[i] = l.URL
	}
	results := f.fetchArticles(ctx, acc, client, urls, body, src.Body)
	fetched := f.now()
	partial := &PartialError{What: "articles", Attempted: len(todo)}
	for i, l := range todo {
		r := results[i]
		if r.err != nil {
			partial.Failed = append(partial.Failed, &ArticleError{URL: l.URL, Err: r.err})
			continue
		}
		title := r.art.Title
		if title == "" {
			title = l.Text
		}
		items = append(items, Item{
			Key: l.Key, Link: publicLink(l.URL), Title: title, Body: r.art.Body,
			Published: clampDate(r.art.Published, fetched),
		})
	}
	return items, partial, nil
}

// known asks Options.Known which keys are stored.
func (f *Fetcher) known(ctx context.Context, keys []string) (map[string]bool, error) {
	if f.opts.Known == nil || len(keys) == 0 {
		return nil, nil
	}
	m, err := f.opts.Known(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up known articles: %w", err)
	}
	return m, nil
}

// fullText fetches the article page of each new item of a full_text feed
// that has a link and puts its text in Item.Body: at most src.MaxArticles,
// newest first (items without a date after dated ones, in feed order). The
// new items beyond that bound are held back: left out of the returned
// items, so they are not stored and come again, with their page, on the
// next fetch (heldBack reports it). An item whose page failed keeps its
// feed text; the failures come back as a *PartialError. Other errors (the
// known-keys lookup) fail the source.
func (f *Fetcher) fullText(ctx context.Context, src Source, acc access, items []Item) (partial *PartialError, kept []Item, heldBack bool, err error) {
	partial = &PartialError{What: "full texts"}
	body, err := compileBody(src.Body)
	if err != nil {
		return partial, items, false, err
	}
	var idx []int
	keys := make([]string, 0, len(items))
	for i, it := range items {
		if it.Link != "" {
			idx = append(idx, i)
			keys = append(keys, it.Key)
		}
	}
	known, err := f.known(ctx, keys)
	if err != nil {
		return partial, items, false, err
	}
	var todo []int
	for _, i := range idx {
		if !known[items[i].Key] {
			todo = append(todo, i)
		}
	}
	if src.MaxArticles > 0 && len(todo) > src.MaxArticles {
		slices.SortStableFunc(todo, func(a, b int) int { return newerFirst(items[a].Published, items[b].Published) })
		held := make(map[int]bool, len(todo)-src.MaxArticles)
		for _, i := range todo[src.MaxArticles:] {
			held[i] = true
		}
		todo = todo[:src.MaxArticles]
		slices.Sort(todo)
		kept = make([]Item, 0, len(items)-len(held))
		defer func() {
			for i, it := range items {
				if !held[i] {
					kept = append(kept, it)
				}
			}
		}()
		heldBack = true
	} else {
		kept = items
	}
	if len(todo) == 0 {
		return partial, kept, heldBack, nil
	}
	urls := make([]string, len(todo))
	for k, i := range todo {
		urls[k] = items[i].Link
	}
	results := f.fetchArticles(ctx, acc, f.client(acc, true), urls, body, src.Body)
	fetched := f.now()
	partial.Attempted = len(todo)
	for k, i := range todo {
		r := results[k]
		if r.err != nil {
			partial.Failed = append(partial.Failed, &ArticleError{URL: urls[k], Err: r.err})
			continue
		}
		it := &items[i]
		it.Body = r.art.Body
		if it.Title == "" {
			it.Title = r.art.Title
		}
		if it.Published.IsZero() {
			it.Published = clampDate(r.art.Published, fetched)
		}
	}
	return partial, kept, heldBack, nil
}

// newerFirst orders dates newest first, unknown (zero) dates last.
func newerFirst(a, b time.Time) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return b.Compare(a)
}

type articleResult struct {
	art article
	err error
}

// fetchArticles fetches and extracts links: one after another on one host,
// hosts in parallel (at most Options.Concurrency at once). The per-host delay
// applies on top, across all sources. Results are in the order of links.
func (f *Fetcher) fetchArticles(ctx context.Context, acc access, client *http.Client, links []string, body cascadia.Selector, bodySel string) []articleResult {
	out := make([]articleResult, len(links))
	byHost := map[string][]int{}
	var hosts []string
	for i, l := range links {
		h := l
		if u, err := url.Parse(l); err == nil {
			h = strings.ToLower(u.Hostname())
		}
		if byHost[h] == nil {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], i)
	}
	sem := make(chan struct{}, f.opts.Concurrency)
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, i := range byHost[h] {
				if err := ctx.Err(); err != nil {
					out[i].err = err
					continue
				}
				out[i].art, out[i].err = f.fetchArticle(ctx, acc, client, links[i], body, bodySel)
			}
		})
	}
	wg.Wait()
	return out
}

// fetchArticle fetches one article page and extracts it. It runs on its own
// goroutine, so a panic on hostile input is recovered here.
func (f *Fetcher) fetchArticle(ctx context.Context, acc access, client *http.Client, link string, body cascadia.Selector, bodySel string) (a article, err error) {
	defer func() {
		if p := recover(); p != nil {
			f.log.Error("panic while extracting an article", "url", link, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	u, err := url.Parse(link)
	if err != nil {
		return a, err
	}
	if err := f.checkRobots(ctx, u, acc); err != nil {
		return a, err
	}
	page, err := f.visit(ctx, client, link, nil)
	if err != nil {
		return a, err
	}
	return extractPage(page.Body, page.URL, body, bodySel)
}
