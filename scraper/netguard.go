package scraper

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
)

// dialer dials through d; when a test installed f.lookup, names are resolved
// with it and each address is dialled in turn (still through d's check).
func (f *Fetcher) dialer(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if f.lookup == nil {
			return d.DialContext(ctx, network, addr)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := f.resolve(ctx, host)
		if err != nil {
			return nil, err
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
		netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT, cloud-internal
		netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),    // reserved, includes broadcast
		netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
		netip.MustParsePrefix("2001:db8::/32"),  // documentation
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

// mayUsePrivate reports whether a source may connect to private addresses:
// Options.AllowPrivate, or its own URL's host is (or resolves to) one.
func (f *Fetcher) mayUsePrivate(ctx context.Context, u *url.URL) bool {
	if f.opts.AllowPrivate {
		return true
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return false
	}
	ips, err := f.resolve(ctx, u.Hostname())
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if f.blocked(netip.AddrPortFrom(ip, uint16(p))) {
			return true
		}
	}
	return false
}
