package scraper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FeedLink is a feed found for a web page: advertised by the page, or
// served at one of the common feed paths of its site.
type FeedLink struct {
	URL   string // absolute http(s)
	Title string // the link's title, else the feed's own; may be ""
	Type  string // the advertised MIME type, "" for a probed path
}

// feedTypes are the <link rel="alternate"> types that name a feed.
var feedTypes = map[string]bool{
	"application/rss+xml": true, "application/atom+xml": true, "application/feed+json": true,
	"application/rdf+xml": true, "application/json": false,
}

// commonFeedPaths are tried, in order, on a page that advertises no feed.
var commonFeedPaths = []string{"/feed", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/rss", "/feed/"}

// advertisedFeeds returns the feeds an HTML page names in <link
// rel="alternate" type="application/rss+xml|atom+xml|feed+json" href>, in
// page order, resolved against base and the page's <base href>.
func advertisedFeeds(page []byte, base *url.URL) []FeedLink {
	var out []FeedLink
	seen := map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		a := atom.Lookup(name)
		if a == atom.Body {
			return out // feeds are advertised in the head
		}
		if !hasAttr || a != atom.Link && a != atom.Base {
			continue
		}
		attrs := map[string]string{}
		for {
			k, v, more := z.TagAttr()
			attrs[strings.ToLower(string(k))] = string(v)
			if !more {
				break
			}
		}
		if a == atom.Base {
			if u, err := base.Parse(strings.TrimSpace(attrs["href"])); err == nil {
				base = u
			}
			continue
		}
		typ := strings.ToLower(strings.TrimSpace(attrs["type"]))
		if !hasToken(attrs["rel"], "alternate") || !feedTypes[typ] {
			continue
		}
		link := withoutFragment(resolveLink(base, strings.TrimSpace(attrs["href"])))
		if link == "" || seen[link] {
			continue
		}
		seen[link] = true
		out = append(out, FeedLink{URL: link, Title: cleanTitle(attrs["title"]), Type: typ})
	}
}

func hasToken(list, token string) bool {
	for _, t := range strings.Fields(list) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}

// Discover returns the feeds of the web page at link: link itself when it
// is a feed, else the feeds the page advertises, else the first of the
// common feed paths (/feed, /rss.xml, /atom.xml, …) that serves a feed,
// below the page's folder first, then at the site's root. Requests follow the rules of every fetch. No feed found is an
// error that says what was tried.
func (f *Fetcher) Discover(ctx context.Context, link string) ([]FeedLink, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: %w %q", link, ErrScheme, u.Scheme)
	}
	acc := f.access(ctx, u)
	resp, err := f.get(ctx, request{URL: link, Access: acc, Accept: acceptHTML})
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", link, err)
	}
	defer resp.release()
	feeds, err := f.feedsOf(ctx, resp, acc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", link, err)
	}
	return feeds, nil
}

// ErrNoFeed: a web page that advertises no feed, nor serves one at a common path.
var ErrNoFeed = errors.New("no feed found")

// feedsOf returns the feeds of a fetched page (see Discover).
func (f *Fetcher) feedsOf(ctx context.Context, resp *response, acc access) ([]FeedLink, error) {
	if _, err := f.parseFeed(resp.Body.Bytes(), resp.ContentType, resp.URL, f.now()); err == nil {
		return []FeedLink{{URL: resp.URL.String(), Title: f.feedTitle(resp.Body.Bytes(), resp.ContentType), Type: resp.ContentType}}, nil
	}
	if feeds := advertisedFeeds(resp.Body.Bytes(), resp.URL); len(feeds) > 0 {
		return feeds, nil
	}
	paths := candidatePaths(resp.URL)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cand := resp.URL.ResolveReference(&url.URL{Path: p}).String()
		r, err := f.get(ctx, request{URL: cand, Access: acc})
		if err != nil {
			continue
		}
		_, perr := f.parseFeed(r.Body.Bytes(), r.ContentType, r.URL, f.now())
		title := ""
		if perr == nil {
			title = f.feedTitle(r.Body.Bytes(), r.ContentType)
		}
		r.release()
		if perr == nil {
			return []FeedLink{{URL: cand, Title: title}}, nil
		}
	}
	return nil, fmt.Errorf("%w: the page advertises none (<link rel=\"alternate\" type=\"application/rss+xml\">) and %s serve none", ErrNoFeed, strings.Join(paths, ", "))
}

// feedTitle is the title a feed gives itself, "" when it gives none; body
// parsed as a feed before.
func (f *Fetcher) feedTitle(body []byte, contentType string) string {
	feed, err := f.parser.Parse(bytes.NewReader(toUTF8(body, contentType)))
	if err != nil {
		return ""
	}
	return cleanTitle(feed.Title)
}

// candidatePaths are the paths where a feed may be served for page: the
// common feed paths below the page's own folder first (/markets/feed for
// /markets/ or /markets), then the site's.
func candidatePaths(page *url.URL) []string {
	dir := page.Path
	if last := path.Base(dir); !strings.HasSuffix(dir, "/") && strings.Contains(last, ".") {
		dir = path.Dir(dir) // a file such as /markets/index.html
	}
	dir = strings.TrimSuffix(dir, "/")
	var out []string
	if dir != "" && dir != "." {
		for _, p := range commonFeedPaths {
			out = append(out, dir+p)
		}
	}
	return append(out, commonFeedPaths...)
}
