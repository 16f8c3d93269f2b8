package scraper

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gocolly/colly/v2"
)

// ErrNotHTML: a page or article is not an HTML document.
var ErrNotHTML = errors.New("not an HTML page")

// newCollector returns a colly collector over client, set up for one visit
// with our rules rather than colly's defaults: our User-Agent, no colly
// robots.txt handling (checkRobots does it, with a cache shared by all
// sources), no body limit of its own (the roundTripper applies ours, after
// decompression, and fails rather than truncating), revisits allowed (we
// deduplicate by NormalizeURL, and retry), our redirect rules.
// NewCollector applies COLLY_* environment variables; every setting they
// reach is overwritten here, as a leaf package reads no environment.
func (f *Fetcher) newCollector(ctx context.Context, client *http.Client) *colly.Collector {
	c := colly.NewCollector()
	c.UserAgent = f.opts.UserAgent
	c.Headers = nil
	c.AllowedDomains, c.DisallowedDomains = nil, nil
	c.URLFilters, c.DisallowedURLFilters = nil, nil
	c.CacheDir = ""
	c.DetectCharset = false // htmlContentType labels the charset
	c.IgnoreRobotsTxt = true
	c.AllowURLRevisit = true
	c.MaxBodySize = 0
	c.MaxDepth, c.MaxRequests = 0, 0
	c.ParseHTTPErrorResponse = true // statuses are judged in visit
	c.TraceHTTP, c.CheckHead, c.Async = false, false, false
	c.Context = ctx
	c.SetClient(client)
	c.SetRedirectHandler(checkRedirect)
	return c
}

// visited is one page as colly fetched it.
type visited struct {
	URL         *url.URL // after redirects
	ContentType string
	Body        []byte // UTF-8
}

// visit GETs link through colly; setup may add callbacks (OnHTML) before the
// request. Only an HTML page is a success.
func (f *Fetcher) visit(ctx context.Context, client *http.Client, link string, setup func(*colly.Collector)) (*visited, error) {
	c := f.newCollector(ctx, client)
	var page *visited
	var status int
	c.OnResponse(func(r *colly.Response) {
		status = r.StatusCode
		page = &visited{URL: r.Request.URL, Body: r.Body}
		if r.Headers != nil {
			page.ContentType = r.Headers.Get("Content-Type")
		}
	})
	// colly reports a page it received but could not parse (nested
	// deeper than the HTML parser accepts) to OnError callbacks only.
	var parseErr error
	c.OnError(func(r *colly.Response, err error) {
		if r != nil && r.StatusCode >= 200 && r.StatusCode < 203 && parseErr == nil {
			parseErr = err
		}
	})
	if setup != nil {
		setup(c)
	}
	err := c.Visit(link)
	if parseErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, parseErr)
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the caller names the URL
		}
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return nil, err
	}
	switch {
	case page == nil:
		return nil, errors.New("no response")
	case status < 200 || status > 299:
		return nil, &HTTPError{Status: status}
	case !isHTML(page.ContentType):
		return nil, fmt.Errorf("%w (Content-Type %q)", ErrNotHTML, page.ContentType)
	}
	return page, nil
}
