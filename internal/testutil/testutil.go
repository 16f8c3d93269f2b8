// Package testutil holds the helpers that tests of several packages share:
// local HTTP servers, hostile payloads (gzip and entity bombs) and a buffer
// safe to write from one goroutine while the test reads it. It is imported
// by tests only.
package testutil

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Serve starts an HTTP server on 127.0.0.1 for the test's duration.
func Serve(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// ServeBytes serves body with the given Content-Type (none when "") on
// every path.
func ServeBytes(t testing.TB, contentType string, body []byte) *httptest.Server {
	t.Helper()
	return Serve(t, func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		_, _ = w.Write(body)
	})
}

// GzipBomb returns gzip data of about size/1000 bytes that inflates to
// size bytes of zeros (rounded down to 16 MiB): 16 MiB members,
// concatenated, since gzip is multi-member.
func GzipBomb(t testing.TB, size int64) []byte {
	t.Helper()
	const member = 16 << 20
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range member >> 20 {
		_, _ = zw.Write(zeros)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(b.Bytes(), int(size/member))
}

// Laughs returns the entity declarations of a billion-laughs bomb, for a
// DOCTYPE's internal subset: &lol9; expands to 10⁹ "lol".
func Laughs() string {
	var b strings.Builder
	b.WriteString(`<!ENTITY lol "lol">`)
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	return b.String()
}

// LockedBuffer is a bytes.Buffer safe to write from one goroutine (an exec
// copier, a logger) while the test reads it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RSS is an RSS 2.0 document, channel "Feed" at https://feed.example/,
// with the items (see Item) in order.
func RSS(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed</title><link>https://feed.example/</link>` +
		strings.Join(items, "") + `</channel></rss>`
}

// Item is an RSS item; link, guid and desc are left out when empty. The
// strings go in as written: a test can put markup or entities in them.
func Item(title, link, guid, desc string) string {
	var b strings.Builder
	b.WriteString("<item><title>" + title + "</title>")
	if link != "" {
		b.WriteString("<link>" + link + "</link>")
	}
	if guid != "" {
		b.WriteString("<guid>" + guid + "</guid>")
	}
	if desc != "" {
		b.WriteString("<description>" + desc + "</description>")
	}
	b.WriteString("</item>")
	return b.String()
}
