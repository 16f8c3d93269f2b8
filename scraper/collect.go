package scraper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"github.com/gocolly/colly/v2"
)

// ErrNotHTML: a page or article is not an HTML document.
var ErrNotHTML = errors.New("not an HTML page")

// pageClient is the http.Client colly uses for one source's page and
// article requests. Its transport is pageTransport, over the same guarded
// transports as feeds; redirects follow checkRedirect. Cookies live for one
// fetch of the source (consent redirects that set a cookie then work).
func (f *Fetcher) pageClient(ctx context.Context, source *url.URL) *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{
		Transport:     &pageTransport{f: f, private: f.mayUsePrivate(ctx, source)},
		CheckRedirect: checkRedirect,
		Jar:           jar,
	}
}

// pageTransport makes each hop of a colly request follow the rules of f.get:
// the per-host delay, the private-address policy of the source (decided
// once, from the source's URL), our User-Agent, gzip decoded under the body
// limit, a timeout per hop. It also waits out 429 and 503 (Retry-After,
// bounded) and retries, holding the host for every source meanwhile.
// Non-2xx answers other than redirects become *HTTPError.
type pageTransport struct {
	f       *Fetcher
	private bool
}

func (t *pageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close() // GET only; RoundTrip must close it
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return nil, fmt.Errorf("%w %q", ErrScheme, s)
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.once(req)
		var he *HTTPError
		if attempt == maxRetries || !errors.As(err, &he) ||
			he.Status != http.StatusTooManyRequests && he.Status != http.StatusServiceUnavailable {
			return resp, err
		}
		wait := he.RetryAfter
		if wait == 0 {
			wait = retryWait << attempt
		}
		if wait > maxRetryWait {
			return nil, err
		}
		t.f.log.Debug("retrying", "url", req.URL.Redacted(), "status", he.Status, "wait", wait)
		t.f.hosts.hold(req.URL.Hostname(), wait)
	}
}

func (t *pageTransport) once(req *http.Request) (*http.Response, error) {
	f := t.f
	if err := f.hosts.wait(req.Context(), req.URL.Hostname()); err != nil {
		return nil, err
	}
	// The timeout starts after the politeness wait, and covers the body:
	// it is read completely here.
	ctx, cancel := context.WithTimeout(req.Context(), f.opts.Timeout)
	defer cancel()
	out := req.Clone(ctx)
	out.Header.Set("User-Agent", f.opts.UserAgent)
	out.Header.Set("Accept-Encoding", "gzip")
	if a := out.Header.Get("Accept"); a == "" || a == "*/*" {
		out.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	}
	client := f.clients.public
	if t.private {
		client = f.clients.private
	}
	resp, err := client.Transport.RoundTrip(out)
	if err != nil {
		return nil, f.requestError(ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "":
		// The client follows it (through us again); the body is not needed.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body = http.NoBody
		return resp, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, statusError(resp)
	}
	buf, err := f.decodeBody(resp)
	if err != nil {
		return nil, f.requestError(ctx, err)
	}
	ct := htmlContentType(resp.Header.Get("Content-Type"), buf.Bytes())
	if isHTML(ct) && htmlTooDeep(buf.Bytes(), maxHTMLDepth) {
		putBuffer(buf)
		return nil, fmt.Errorf("%w: elements nested deeper than %d", ErrMalformed, maxHTMLDepth)
	}
	resp.Header.Set("Content-Type", ct)
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = int64(buf.Len())
	resp.Uncompressed = true // colly must not gunzip again
	resp.Body = &pooledBody{Reader: bytes.NewReader(buf.Bytes()), buf: buf}
	return resp, nil
}

// pooledBody returns its buffer to the pool when closed.
type pooledBody struct {
	*bytes.Reader
	buf *bytes.Buffer
}

func (b *pooledBody) Close() error {
	if b.buf != nil {
		b.Reader.Reset(nil)
		putBuffer(b.buf)
		b.buf = nil
	}
	return nil
}

// newCollector returns a colly collector over client, set up for one visit
// with our rules rather than colly's defaults: our User-Agent, no colly
// robots.txt handling (checkRobots does it, with a cache shared by all
// sources), no body limit of its own (pageTransport applies ours, after
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
	if setup != nil {
		setup(c)
	}
	if err := c.Visit(link); err != nil {
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
