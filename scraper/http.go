package scraper

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"newswatch/config"
)

// Limits that are not configurable: at most 10 redirects are followed.
const (
	maxRedirects   = 10
	maxHeaderBytes = 1 << 20
	// Buffers that grew beyond this are not kept for reuse, so one huge
	// response does not pin its memory for the life of the process.
	maxPooledBuffer = 4 << 20
)

// acceptFeeds prefers the feed types a server chooses between (RSS and
// Atom; a JSON Feed, or any other type, is still taken at a lower q); it is
// kept short because it is sent with every conditional GET (an unchanged
// feed costs at most 400 bytes on the wire).
const acceptFeeds = "application/rss+xml,application/atom+xml,*/*;q=0.8"

// Errors a fetch can wrap; test with errors.Is.
var (
	// ErrTooLarge: the body, after decompression, is over Options.MaxBody.
	ErrTooLarge = errors.New("response too large")
	// ErrBlockedAddress: a connection to a loopback, private, link-local,
	// unspecified or multicast address was refused.
	ErrBlockedAddress = errors.New("refused to connect to a loopback, private or link-local address")
	// ErrTooManyRedirects: more than 10 redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrScheme: a URL or redirect whose scheme may not be followed.
	ErrScheme = errors.New("unsupported URL scheme")
)

// HTTPError is a response whose status is neither 2xx nor 304.
type HTTPError struct {
	Status     int
	RetryAfter time.Duration // from Retry-After (429, 503), else 0
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// response is a fetched body, complete. Body is pooled: call release when
// done with it, and keep no reference to its bytes. It is decompressed,
// unless the request was Raw: then encoding is the Content-Encoding still to
// undo, and decode undoes it.
type response struct {
	URL          *url.URL // final URL, after redirects
	NotModified  bool
	ETag         string
	LastModified string
	ContentType  string
	Body         *bytes.Buffer
	encoding     string // "gzip" while a Raw body is compressed
}

func (r *response) release() {
	if r != nil && r.Body != nil {
		putBuffer(r.Body)
		r.Body = nil
	}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		bufPool.Put(b)
	}
}

var gzipPool sync.Pool // *gzip.Reader

// transports holds the connection pools of a Fetcher. public refuses, at
// dial time, every address that isPrivateAddr reports; each private
// source's pool (by access key) reaches public addresses and the private
// ones it was allowed for. Keeping them apart means a connection opened for
// an intranet source is never reused by a public source's redirect.
type transports struct {
	public  *http.Transport
	mu      sync.Mutex
	private map[string]*http.Transport
}

// maxPrivatePools bounds the pools kept for private sources; beyond it
// they are dropped (and their idle connections closed) and made anew.
const maxPrivatePools = 256

func (f *Fetcher) newTransports() *transports {
	return &transports{public: f.newTransport(access{}), private: map[string]*http.Transport{}}
}

// pool returns the connection pool for a source with access acc.
func (f *Fetcher) pool(acc access) *http.Transport {
	if acc.key == "" {
		return f.transports.public
	}
	ts := f.transports
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.private[acc.key]; t != nil {
		return t
	}
	if len(ts.private) >= maxPrivatePools {
		for k, t := range ts.private {
			t.CloseIdleConnections()
			delete(ts.private, k)
		}
	}
	t := f.newTransport(acc)
	ts.private[acc.key] = t
	return t
}

func (f *Fetcher) newTransport(acc access) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	// The check runs on the address actually being connected, after DNS,
	// so a name that resolves (or re-resolves) to a private address is
	// refused as well as a literal one, on every hop.
	d.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
		if acc.key != "" {
			if ap, err := netip.ParseAddrPort(address); err == nil && acc.allows(ap.Addr()) {
				return nil
			}
		}
		return f.checkDial(address)
	}
	idle := max(f.opts.Concurrency, 2)
	return &http.Transport{
		Proxy:               nil, // a proxy would defeat the address check; no environment reads in leaf packages
		DialContext:         f.dialer(d, acc),
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        max(idle*4, 64),
		MaxIdleConnsPerHost: idle,
		// At most Concurrency requests are in flight to one host (one
		// source per worker; a source's articles are fetched one at a time
		// per host), and a request reads its body before the next starts,
		// so as many connections serve them all: a request made before its
		// worker's last connection is back in the pool waits for it
		// instead of dialing another.
		MaxConnsPerHost:        idle,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     true, // we ask for gzip and decode it ourselves, under the body limit
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, maxRedirects)
	}
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("%w: redirect to %s", ErrScheme, req.URL.Redacted())
	}
	return nil
}

// request is one GET of a feed or robots.txt. Pages and articles go through
// colly (collect.go) over the same client, so every request of a source
// follows the same rules.
type request struct {
	URL string
	// Source is the URL of the source the request is made for; it decides
	// whether file:// may be read. Empty: URL itself.
	Source string
	// Access is what the source may connect to (public when zero).
	Access             access
	ETag, LastModified string // validators for a conditional GET
	Accept             string // default: feed types
	// Raw keeps a gzip body compressed (response.decode decompresses it):
	// a feed waiting for its parse then holds a sixth of its size.
	Raw bool
}

// get fetches r.URL and returns the complete, decompressed body, or a 304.
// file:// URLs are read from disk under the same limit, for file:// sources only.
func (f *Fetcher) get(ctx context.Context, r request) (*response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	src := u
	if r.Source != "" && r.Source != r.URL {
		if src, err = url.Parse(r.Source); err != nil {
			return nil, err
		}
	}
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
	case u.Scheme == "file" && src.Scheme == "file":
		return f.readFile(u, r.ETag)
	default:
		return nil, fmt.Errorf("%w %q", ErrScheme, u.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	accept := r.Accept
	if accept == "" {
		accept = acceptFeeds
	}
	req.Header.Set("Accept", accept)
	// Set here rather than by roundTripper, which then need not copy
	// the request; the client copies them to each redirect.
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept-Encoding", "gzip")
	// A server must ignore If-Modified-Since when If-None-Match is present
	// (RFC 9110 §13.1.3): sending both would only cost 50 bytes a request.
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	} else if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	c := f.client(r.Access, false)
	c.Transport.(*roundTripper).raw = r.Raw
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the caller names the URL
		}
		return nil, err
	}
	defer resp.Body.Close()
	out := &response{
		URL:          resp.Request.URL,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentType:  resp.Header.Get("Content-Type"),
	}
	if resp.StatusCode == http.StatusNotModified {
		out.NotModified = true
		return out, nil
	}
	pb, ok := resp.Body.(*pooledBody)
	if !ok {
		return nil, fmt.Errorf("internal error: response body of type %T", resp.Body)
	}
	out.Body, pb.buf = pb.buf, nil
	if r.Raw {
		out.encoding = resp.Header.Get("Content-Encoding")
	}
	return out, nil
}

// decode decompresses a Raw response's body in place, under the body limit.
func (f *Fetcher) decode(r *response) error {
	if r.Body == nil || r.encoding == "" {
		return nil
	}
	raw := r.Body
	r.Body, r.encoding = nil, ""
	defer putBuffer(raw)
	zr, err := getGzip(bytes.NewReader(raw.Bytes()))
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	defer gzipPool.Put(zr)
	// The gzip trailer gives the decompressed size (modulo 4 GiB): the
	// buffer is allocated once, at its size, instead of doubling.
	// Deflate expands at most 1,032 times: a larger claim is not believed.
	size := int64(0)
	if b := raw.Bytes(); len(b) >= 4 {
		size = int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
		size = min(size, int64(len(b))*1032)
	}
	r.Body, err = f.readBody(zr, size)
	return err
}

// client returns the http.Client for the requests of a source with access acc:
// every hop goes through roundTripper, redirects follow checkRedirect.
// Page requests (html) get a cookie jar for the one fetch, so that consent
// redirects that set a cookie work, and their HTML checked (see
// roundTripper).
func (f *Fetcher) client(acc access, html bool) *http.Client {
	c := &http.Client{
		Transport:     &roundTripper{f: f, pool: f.pool(acc), html: html},
		CheckRedirect: checkRedirect,
	}
	if html {
		c.Jar, _ = cookiejar.New(nil) // never fails without options
	}
	return c
}

// roundTripper is the one request path of a Fetcher: feeds, robots.txt,
// pages and articles, each hop of each. A hop waits for its host's turn
// (per_host_delay, Crawl-delay, a Retry-After seen by any source), then
// has Options.Timeout for the whole exchange, body included; it goes
// through the guarded connection pool of the source's private-address
// policy (decided once, from the source's URL), with our User-Agent, gzip
// decoded under the body limit. A 429 or 503 is waited out (Retry-After,
// bounded) and retried, the host held for every source meanwhile. The
// body is read completely here, into a pooled buffer (*pooledBody). A 304
// and redirects are returned as they are; any other non-2xx answer is an
// *HTTPError. For pages (html), an HTML body gets its charset labelled and
// is refused when nested too deep, before colly parses it.
type roundTripper struct {
	f    *Fetcher
	pool *http.Transport
	html bool
	raw  bool // a gzip body is kept compressed (request.Raw)
}

// acceptHTML is the Accept of page and article requests.
const acceptHTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

func (t *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
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
		// Redacted keeps query values, where keys often are.
		t.f.log.Debug("retrying", "url", config.MaskURL(req.URL.String()), "status", he.Status, "wait", wait)
		t.f.hosts.hold(req.URL.Hostname(), wait)
	}
}

func (t *roundTripper) once(req *http.Request) (*http.Response, error) {
	f := t.f
	if err := f.hosts.wait(req.Context(), req.URL.Hostname()); err != nil {
		return nil, err
	}
	// The timeout starts after the politeness wait, and covers the body:
	// it is read completely here.
	ctx, cancel := context.WithTimeout(req.Context(), f.opts.Timeout)
	defer cancel()
	out := req.WithContext(ctx)
	if a := req.Header.Get("Accept"); a == "" || a == "*/*" || req.Header.Get("User-Agent") != f.opts.UserAgent ||
		req.Header.Get("Accept-Encoding") != "gzip" {
		out = req.Clone(ctx) // a RoundTripper may not change the request it is given
		out.Header.Set("User-Agent", f.opts.UserAgent)
		out.Header.Set("Accept-Encoding", "gzip")
		if a == "" || a == "*/*" {
			out.Header.Set("Accept", acceptHTML)
		}
	}
	resp, err := t.pool.RoundTrip(out)
	if err != nil {
		return nil, f.requestError(ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified,
		resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "":
		// A redirect is followed by the client (through us again); neither
		// it nor a 304 has a body we need.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body = http.NoBody
		return resp, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, statusError(resp, f.opts.Now())
	}
	buf, err := f.decodeBody(resp, t.raw)
	if err != nil {
		return nil, f.requestError(ctx, err)
	}
	if t.html {
		ct := htmlContentType(resp.Header.Get("Content-Type"), buf.Bytes())
		resp.Header.Set("Content-Type", ct)
	}
	if !t.raw {
		resp.Header.Del("Content-Encoding")
	}
	resp.Header.Del("Content-Length")
	resp.ContentLength = int64(buf.Len())
	resp.Uncompressed = !t.raw // colly must not gunzip again
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

// statusError drains a little of resp's body, so the connection can be
// reused, and returns its status as an *HTTPError. A Retry-After date is
// judged by now.
func statusError(resp *http.Response, now time.Time) error {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	return &HTTPError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
}

// decodeBody reads resp's body completely, gzip decoded, under the body
// limit. With raw, a gzip body is read as it came, its Content-Encoding
// header set to "gzip", under the same limit (no realistic body compresses
// to more than its decompressed size), for response.decode to decompress.
func (f *Fetcher) decodeBody(resp *http.Response, raw bool) (*bytes.Buffer, error) {
	var body io.Reader = resp.Body
	size := resp.ContentLength
	switch ce := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); ce {
	case "", "identity":
		if resp.ContentLength > f.opts.MaxBody {
			return nil, fmt.Errorf("%w: over %d bytes (Content-Length %d)", ErrTooLarge, f.opts.MaxBody, resp.ContentLength)
		}
	case "gzip", "x-gzip":
		if raw {
			resp.Header.Set("Content-Encoding", "gzip")
			buf := getBuffer()
			if resp.ContentLength > 0 && resp.ContentLength <= f.opts.MaxBody {
				buf.Grow(int(resp.ContentLength) + bytes.MinRead)
			}
			return f.readLimited(buf, resp.Body)
		}
		zr, err := getGzip(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gzipPool.Put(zr)
		body, size = zr, 0
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", ce)
	}
	return f.readBody(body, size)
}

// requestError turns our own per-request deadline into a message that says so.
func (f *Fetcher) requestError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the caller names the URL
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("timed out after %s: %w", f.opts.Timeout, err)
	}
	return err
}

func getGzip(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipPool.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			gzipPool.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

// readBody reads r completely into a pooled buffer, failing with ErrTooLarge
// rather than truncating. A body that is itself gzip data (a .gz file served
// without Content-Encoding) is decompressed under the same limit. size, when
// positive, is the expected length, allocated at once.
func (f *Fetcher) readBody(r io.Reader, size int64) (*bytes.Buffer, error) {
	var magic [2]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	r = io.MultiReader(bytes.NewReader(magic[:n]), r)
	if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := getGzip(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer gzipPool.Put(zr)
		r = zr
		size = 0
	}
	buf := getBuffer()
	if size > 0 && size <= f.opts.MaxBody {
		buf.Grow(int(size) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
	}
	return f.readLimited(buf, r)
}

// readLimited reads r completely into buf, failing with ErrTooLarge rather
// than truncating; buf goes back to the pool on failure.
func (f *Fetcher) readLimited(buf *bytes.Buffer, r io.Reader) (*bytes.Buffer, error) {
	if _, err := buf.ReadFrom(io.LimitReader(r, f.opts.MaxBody+1)); err != nil {
		putBuffer(buf)
		return nil, err
	}
	if int64(buf.Len()) > f.opts.MaxBody {
		putBuffer(buf)
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.opts.MaxBody)
	}
	return buf, nil
}

// readFile serves a file:// source. Its validator is a weak ETag built from
// size and modification time, so an unchanged file answers "not modified"
// like a server would.
func (f *Fetcher) readFile(u *url.URL, etag string) (*response, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("%w: file URL with host %q", ErrScheme, u.Host)
	}
	file, err := os.Open(u.Path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", u.Path)
	}
	out := &response{URL: u, ETag: fmt.Sprintf(`W/"%x-%x"`, st.Size(), st.ModTime().UnixNano())}
	if etag != "" && etag == out.ETag {
		out.NotModified = true
		return out, nil
	}
	out.Body, err = f.readBody(file, st.Size())
	if err != nil {
		return nil, err
	}
	return out, nil
}
