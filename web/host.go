package web

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"newswatch/config"
)

// allowedHosts are the host names, besides localhost and loopback IPs, a
// request may name in Host: the listen address's host and the host of
// [web] url.
func allowedHosts(listen string, w *config.Web) []string {
	var hosts []string
	if h, _, err := net.SplitHostPort(listen); err == nil && !wildcard(listen) {
		hosts = append(hosts, strings.ToLower(h))
	}
	if h := publicHost(w); h != "" {
		hosts = append(hosts, h)
	}
	return hosts
}

// wildcard reports whether listen serves every interface (no host, 0.0.0.0
// or ::).
func wildcard(listen string) bool {
	h, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	ip := net.ParseIP(h)
	return h == "" || ip != nil && ip.IsUnspecified()
}

// hostName is the name in a Host header or an origin's host, lower case,
// without port or IPv6 brackets.
func hostName(hostport string) string {
	h := hostport
	if sh, _, err := net.SplitHostPort(hostport); err == nil {
		h = sh
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
}

// Hosts decides by the name in a request's Host header whether the
// request is for this server, not for a name an attacker re-pointed at
// its address (DNS rebinding: a page of another site then reads the
// answers as its own): localhost and its subdomains, a loopback IP, or
// one of the server's names.
type Hosts struct {
	names []string // besides localhost and loopback IPs, lower case
	any   bool     // every name is taken
}

// ListenHosts are the names a server on listen answers to when nothing
// guards it but its address: on a loopback address, this machine's
// (localhost, a loopback IP, listen's host); on any other, every name,
// since it was put where other machines reach it under names of their
// own.
func ListenHosts(listen string) Hosts {
	if !config.Loopback(listen) {
		return Hosts{any: true}
	}
	return Hosts{names: allowedHosts(listen, nil)}
}

// Allow reports whether a request naming host in its Host header is for
// this server.
func (h Hosts) Allow(host string) bool {
	if h.any {
		return true
	}
	name := hostName(host)
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	if ip := net.ParseIP(name); ip != nil && ip.IsLoopback() {
		return true
	}
	return name != "" && slices.Contains(h.names, name)
}

// originOK reports whether a state-changing request's Origin, when the
// browser sent one, is this console's own: the request's Host, or the
// host of [web] url.
func (s *Server) originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // "null" (a sandboxed frame, a file) included
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	// Behind a proxy the port of the public address may differ.
	return s.public != "" && hostName(u.Host) == s.public && hostName(r.Host) == s.public
}

// publicHost is the host of [web] url, "" without one.
func publicHost(w *config.Web) string {
	if w == nil || w.URL == "" {
		return ""
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
