package scraper

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// dialer dials through d. A name that acc pins is dialled at its pinned
// addresses only, never resolved again, so a name that rebinds after the
// source was judged cannot move the source elsewhere. When a test installed
// f.lookup, other names are resolved with it and each address is dialled
// in turn (still through d's check).
func (f *Fetcher) dialer(d *net.Dialer, acc access) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var ips []netip.Addr
		switch {
		case acc.pinned != nil && strings.EqualFold(host, acc.host):
			ips = acc.pinned
		case f.lookup == nil:
			return d.DialContext(ctx, network, addr)
		default:
			if ips, err = f.resolve(ctx, host); err != nil {
				return nil, err
			}
		}
		var first error
		for _, ip := range ips {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
		}
		if first == nil {
			first = fmt.Errorf("lookup %s: no addresses", host)
		}
		return nil, first
	}
}

func (f *Fetcher) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if f.lookup != nil {
		return f.lookup(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

func (f *Fetcher) checkDial(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrBlockedAddress, address)
	}
	if f.blocked(ap) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	return nil
}

func (f *Fetcher) blocked(ap netip.AddrPort) bool {
	if f.treatAsPublic != nil && f.treatAsPublic(ap) {
		return false
	}
	return isPrivateAddr(ap.Addr())
}

var (
	// Ranges that are not public but that netip's predicates do not name.
	otherBlocked = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT, cloud-internal
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, includes broadcast
		netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
		netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
		netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	}
	// IPv6 ranges that carry an IPv4 address in their last 4 bytes.
	embeddedIPv4 = []netip.Prefix{
		netip.MustParsePrefix("64:ff9b::/96"),    // NAT64
		netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
		netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	}
)

// isPrivateAddr reports addresses a public source may not reach: loopback,
// private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10),
// unspecified, multicast, and the other non-public ranges above.
func isPrivateAddr(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return true
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range otherBlocked {
		if p.Contains(ip) {
			return true
		}
	}
	if ownAddrs()[ip] {
		return true
	}
	if ip.Is6() {
		for _, p := range embeddedIPv4 {
			if p.Contains(ip) {
				b := ip.As16()
				return isPrivateAddr(netip.AddrFrom4([4]byte(b[12:])))
			}
		}
	}
	return false
}

// access is what one source may connect to. A public source (the zero
// value) reaches public addresses only. A private source also reaches the
// addresses it was allowed for, pinned: its host's addresses as resolved
// when the fetch started (or the literal address of its URL), or every
// address with Options.AllowPrivate.
type access struct {
	key    string       // "" public; names the pool and the robots.txt cache entry otherwise
	host   string       // the source's host, dialled at pinned only
	pinned []netip.Addr // the private addresses the source may reach
	all    bool         // Options.AllowPrivate: every address
}

// access decides from the configuration alone whether the source at u is
// private: Options.AllowPrivate, a literal private address in its URL, or
// a host name every address of which is private. A name that answers one
// public address among private ones is a public source: mixing answers
// cannot open the intranet to it.
func (f *Fetcher) access(ctx context.Context, u *url.URL) access {
	if f.opts.AllowPrivate {
		return access{key: "private:*", all: true}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return access{}
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return access{}
	}
	host := u.Hostname()
	ips, err := f.resolve(ctx, host)
	if err != nil || len(ips) == 0 {
		return access{}
	}
	for _, ip := range ips {
		if !f.blocked(netip.AddrPortFrom(ip, uint16(p))) {
			return access{}
		}
	}
	ips = slices.Clone(ips)
	slices.SortFunc(ips, netip.Addr.Compare)
	ips = slices.Compact(ips)
	key := "private:" + strings.ToLower(host)
	for _, ip := range ips {
		key += " " + ip.String()
	}
	return access{key: key, host: host, pinned: ips}
}

// allows reports whether a private source may connect to ip.
func (a access) allows(ip netip.Addr) bool {
	return a.all || slices.Contains(a.pinned, ip.Unmap()) || slices.Contains(a.pinned, ip)
}

// ownAddrs are the addresses of this machine's interfaces: a public name
// that resolves to one of them reaches a service listening here.
var ownAddrs = sync.OnceValue(func() map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return m
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			m[p.Addr().Unmap()] = true
		}
	}
	return m
})
