package scraper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"newswatch/internal/testutil"
	"strconv"
	"sync/atomic"
	"testing"
)

// serveOn starts an httptest server listening on addr ("127.0.0.2:0").
func serveOn(t *testing.T, addr string, h http.HandlerFunc) (*httptest.Server, error) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, nil
}

func portOf(t *testing.T, srv *httptest.Server) int {
	t.Helper()
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// TestMixedDNSAnswers: a feed host answering a public and a loopback address
// is a public source: its redirect to an internal host is refused, and no
// request reaches that host.
func TestMixedDNSAnswers(t *testing.T) {
	var internalHits atomic.Int32
	internal := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		_, _ = w.Write(fixture(t, "rss2.xml"))
	})
	public, err := serveOn(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/secret", http.StatusFound)
	})
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	f := newTestFetcher(t, Options{})
	publicAddr := netip.MustParseAddr("127.0.0.2")
	f.treatAsPublic = func(ap netip.AddrPort) bool { return ap.Addr() == publicAddr }
	f.lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "mixed.example" {
			return []netip.Addr{publicAddr, netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	res := f.Fetch(t.Context(), Source{Name: "mixed", Feed: "http://mixed.example:" + strconv.Itoa(portOf(t, public)) + "/feed"})
	if !errors.Is(res.Err, ErrBlockedAddress) {
		t.Errorf("err = %v, want ErrBlockedAddress", res.Err)
	}
	if n := internalHits.Load(); n != 0 {
		t.Errorf("the internal host got %d requests", n)
	}
}

// TestRebindingPrivateSource: an intranet source (its name answers only a
// private address when the fetch starts) is pinned to that address: when the
// name later answers another internal address, neither the feed nor its
// full_text articles reach it.
func TestRebindingPrivateSource(t *testing.T) {
	var hits, internalHits atomic.Int32
	var port int
	intranet := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/article" {
			fmt.Fprint(w, `<html><body><article><p>Intranet article text about port volumes.</p></article></body></html>`)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>i</title><item><title>One</title><link>http://intranet.example:%d/article</link></item></channel></rss>`, port)
	})
	port = portOf(t, intranet)
	if _, err := serveOn(t, "127.0.0.3:"+strconv.Itoa(port), func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		http.Error(w, "metadata", http.StatusOK)
	}); err != nil {
		t.Skipf("no third loopback address on port %d: %v", port, err)
	}
	f := newTestFetcher(t, Options{})
	var lookups atomic.Int32
	f.lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		if host != "intranet.example" {
			return nil, fmt.Errorf("no such host %s", host)
		}
		if lookups.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.3")}, nil
	}
	res := f.Fetch(t.Context(), Source{Name: "intranet", Feed: "http://intranet.example:" + strconv.Itoa(port) + "/feed", FullText: true})
	if n := internalHits.Load(); n != 0 {
		t.Errorf("the rebound address got %d requests (err %v)", n, res.Err)
	}
	if res.Err != nil || len(res.Items) != 1 || res.Items[0].Body == "" {
		t.Errorf("err = %v, items = %+v; want the intranet feed with its article", res.Err, res.Items)
	}
}

// TestPublicSourcesRefuseNonPublicRanges: every range isPrivateAddr names
// (one address of each, at its edges where a wrong prefix length would
// show), IPv4 addresses inside NAT64 and IPv4-compatible IPv6 addresses,
// zoned addresses and this machine's own addresses are not public; the
// addresses just outside the ranges are.
func TestPublicSourcesRefuseNonPublicRanges(t *testing.T) {
	for _, s := range []string{
		"192.0.2.10", "198.51.100.7", "203.0.113.99", "fec0::1", "127.0.0.1", "::ffff:192.0.2.1",
		"0.1.2.3", "100.64.0.1", "100.127.255.254", "192.0.0.8", "198.18.0.1", "198.19.255.255",
		"240.0.0.1", "255.255.255.255", "2001:db8::1", "64:ff9b:1::1",
		"10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fd00::1", "fe80::1", "::1", "::", "0.0.0.0",
		"224.0.0.1", "ff02::1",
		"64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
		"64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
		"::a00:1",            // IPv4-compatible 10.0.0.1
		"2606:4700::1%eth0",  // a zone names an interface of this machine
	} {
		if !isPrivateAddr(netip.MustParseAddr(s)) {
			t.Errorf("%s counts as public", s)
		}
	}
	for a := range ownAddrs() {
		if !isPrivateAddr(a) {
			t.Errorf("own interface address %s counts as public", a)
		}
	}
	for _, s := range []string{"93.184.215.14", "100.128.0.1", "198.20.0.1", "2606:4700::1", "64:ff9b::5db8:d70e"} {
		if isPrivateAddr(netip.MustParseAddr(s)) {
			t.Errorf("public address %s counts as private", s)
		}
	}
}

// TestRobotsCachePerAccess: a public source whose article link points at an
// intranet host gets no robots.txt from it (the address is refused); that
// refusal is not what the operator's own intranet source then finds in the
// cache.
func TestRobotsCachePerAccess(t *testing.T) {
	intranet := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case "/business":
			fmt.Fprint(w, `<html><body><article><h3><a href="/article">Port</a></h3></article></body></html>`)
		default:
			fmt.Fprint(w, `<html><body><article><p>Intranet article text about port volumes.</p></article></body></html>`)
		}
	})
	public, err := serveOn(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>p</title><item><title>One</title><link>%s/article</link></item></channel></rss>`, intranet.URL)
	})
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	f := newTestFetcher(t, Options{RespectRobots: true})
	publicAddr := netip.MustParseAddr("127.0.0.2")
	f.treatAsPublic = func(ap netip.AddrPort) bool { return ap.Addr() == publicAddr }
	res := f.Fetch(t.Context(), Source{Name: "public", Feed: public.URL + "/feed", FullText: true})
	if !errors.Is(res.Err, ErrBlockedAddress) {
		t.Fatalf("public source: err = %v, want its intranet article refused", res.Err)
	}
	res = f.Fetch(t.Context(), Source{Name: "intranet", Page: intranet.URL + "/business", Links: "article h3 a"})
	if res.Err != nil || len(res.Items) != 1 {
		t.Errorf("intranet source after the public one: err = %v, %d items", res.Err, len(res.Items))
	}
}
