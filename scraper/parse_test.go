package scraper

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"testing"

	"newswatch/internal/testutil"
)

// serveGzip serves body with Content-Encoding gzip.
func serveGzip(t *testing.T, body []byte) string {
	t.Helper()
	return testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(body)
	}).URL + "/feed"
}

// TestFeedBodyKeptCompressed: a feed's gzip body is held as it came until
// its parse slot decompresses it, under the body limit.
func TestFeedBodyKeptCompressed(t *testing.T) {
	plain := fixture(t, "rss2.xml")
	zipped := gzipBytes(t, plain)
	f := newTestFetcher(t, Options{})
	src := serveGzip(t, zipped)
	u, _ := url.Parse(src)
	resp, err := f.get(t.Context(), request{URL: src, Access: f.access(t.Context(), u), Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.release()
	if !bytes.Equal(resp.Body.Bytes(), zipped) || resp.encoding != "gzip" {
		t.Fatalf("raw body: %d bytes, encoding %q; want the %d gzip bytes", resp.Body.Len(), resp.encoding, len(zipped))
	}
	if err := f.decode(resp); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body.Bytes(), plain) || resp.encoding != "" {
		t.Fatalf("decoded body: %d bytes, encoding %q; want the %d plain bytes", resp.Body.Len(), resp.encoding, len(plain))
	}
}

// TestGzipSizeClaimBounded: the decompressed size a gzip trailer claims
// sizes the buffer only as far as deflate can expand: a small body claiming
// the whole body limit does not get it allocated.
func TestGzipSizeClaimBounded(t *testing.T) {
	zipped := gzipBytes(t, fixture(t, "rss2.xml"))
	const limit = 64 << 20
	binary.LittleEndian.PutUint32(zipped[len(zipped)-4:], limit) // the claim; the checksum then fails
	src := serveGzip(t, zipped)
	f := newTestFetcher(t, Options{MaxBody: limit})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := fetchURL(t, f, src)
	runtime.ReadMemStats(&after)
	if res.Err == nil {
		t.Fatal("a wrong gzip trailer was accepted")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MB for a %d-byte body claiming %d MB", alloc>>20, len(zipped), limit>>20)
	}
}

// TestParseSlotsWaitForContext: a feed parses only in one of the
// Fetcher's parse slots; one waiting for a slot (all held by other feeds)
// gives up when its context ends, without parsing.
func TestParseSlotsWaitForContext(t *testing.T) {
	f := newTestFetcher(t, Options{})
	zipped := gzipBytes(t, fixture(t, "rss2.xml"))
	resp := func() *response {
		b := getBuffer()
		b.Write(zipped)
		return &response{URL: &url.URL{Scheme: "https", Host: "example.com"}, Body: b, encoding: "gzip"}
	}
	for range cap(f.parsing) {
		f.parsing <- struct{}{}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	items, err := f.parseBody(ctx, resp())
	if !errors.Is(err, context.Canceled) || items != nil {
		t.Fatalf("all slots held: err = %v, items = %d; want context.Canceled and no items", err, len(items))
	}
	<-f.parsing
	items, err = f.parseBody(t.Context(), resp())
	if err != nil || len(items) != 3 {
		t.Fatalf("a slot free: err = %v, items = %d; want 3 items", err, len(items))
	}
	if len(f.parsing) != cap(f.parsing)-1 {
		t.Errorf("parse slots held after the parse: %d, want %d", len(f.parsing), cap(f.parsing)-1)
	}
}
