package scraper

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// pipeListener is a net.Listener whose connections are in-memory pipes:
// inside a synctest bubble, a client and server blocked on them are
// durably blocked, so synctest.Wait sees when nothing more can happen.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(93, 184, 215, 14), Port: 80} }

// dial hands the server one end of a new pipe and returns the other.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestConnectionsPerHostAtMostConcurrency: however many requests to one
// host are made at once, no more than Options.Concurrency connections are
// opened to it; the others wait for a connection to come back to the pool.
func TestConnectionsPerHostAtMostConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const concurrency = 3
		l := newPipeListener()
		release := make(chan struct{})
		var arrived atomic.Int32
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived.Add(1)
			<-release
			w.WriteHeader(http.StatusNotModified)
		})}
		go srv.Serve(l)
		defer srv.Close()

		f := newTestFetcher(t, Options{Concurrency: concurrency})
		f.lookup = func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
		}
		var dials atomic.Int32
		f.transports.public.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return l.dial(ctx, network, addr)
		}
		var wg sync.WaitGroup
		for range 2 * concurrency {
			wg.Go(func() {
				res := f.Fetch(t.Context(), Source{Name: "s", Feed: "http://feeds.example/feed", ETag: `"v1"`})
				if res.Err != nil || !res.NotModified {
					t.Errorf("fetch: err %v, not modified %v", res.Err, res.NotModified)
				}
			})
		}
		synctest.Wait()
		if n := arrived.Load(); n != concurrency {
			t.Errorf("%d requests at the server at once, want %d (Concurrency)", n, concurrency)
		}
		close(release)
		wg.Wait()
		if n := dials.Load(); n > concurrency {
			t.Errorf("%d connections dialed for %d requests to one host, want at most %d", n, 2*concurrency, concurrency)
		}
		f.transports.public.CloseIdleConnections()
	})
}
