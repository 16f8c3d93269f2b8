package scraper

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// ErrUnsafeURL reports a link that is not an absolute http or https URL.
var ErrUnsafeURL = errors.New("not an absolute http(s) URL")

// trackingParams are query parameters that only identify a campaign or a
// click, never the article: utm_*, fbclid, gclid and mc_*, and the other
// click identifiers below, their equivalents at other ad networks.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "igshid": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true,
}

func isTrackingParam(rawKey string) bool {
	k, err := url.QueryUnescape(rawKey)
	if err != nil {
		k = rawKey
	}
	k = strings.ToLower(k)
	return strings.HasPrefix(k, "utm_") || strings.HasPrefix(k, "mc_") || trackingParams[k]
}

// NormalizeURL returns the identity form of a link: the scheme is
// https, the host lower-case without a trailing dot, default ports (80, 443),
// user info and the fragment are dropped, an empty path becomes "/", and the
// query loses its tracking parameters (utm_*, mc_*, fbclid, gclid and other
// click identifiers) and is sorted, with spaces and non-ASCII bytes
// percent-encoded as a browser sends them.
//
// http and https are folded into one identity because sites serve the same
// article under both and feeds switch between them; an item seen first over
// http is not announced again when the feed moves to https. The result is an
// identity key, not a link to fetch: Item.Link keeps the link as published.
//
// Links that are not absolute http(s) URLs return an error wrapping ErrUnsafeURL.
func NormalizeURL(link string) (string, error) {
	u, err := url.Parse(escapeStrayPercent(strings.TrimSpace(link)))
	if err != nil {
		return "", fmt.Errorf("normalize url: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Opaque != "" {
		return "", fmt.Errorf("normalize url %q: %w", link, ErrUnsafeURL)
	}
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".") // "example.com." and "example.com" are one host
	if host == "" {
		return "", fmt.Errorf("normalize url %q: no host: %w", link, ErrUnsafeURL)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && port != "80" && port != "443" {
		host += ":" + port
	}

	out := url.URL{
		Scheme:   "https",
		Host:     host,
		Path:     u.Path,
		RawPath:  u.RawPath,
		RawQuery: normalizeQuery(u.RawQuery),
	}
	if out.Path == "" {
		out.Path, out.RawPath = "/", ""
	}
	return out.String(), nil
}

// normalizeQuery drops tracking parameters and empty pairs and sorts the rest,
// keeping each pair's own escaping so that no value changes meaning.
func normalizeQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(escapeQuery(raw), "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		key, _, _ := strings.Cut(p, "=")
		if isTrackingParam(key) {
			continue
		}
		kept = append(kept, p)
	}
	slices.SortStableFunc(kept, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "=")
		kb, _, _ := strings.Cut(b, "=")
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return strings.Join(kept, "&")
}

// escapeQuery percent-encodes the bytes of a raw query that a browser
// would: spaces and bytes outside ASCII. Everything else, "%zz" included,
// is kept as published.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c > ' ' && c < 0x7f {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(q) + 8)
			b.WriteString(q[:i])
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if b.Len() == 0 {
		return q
	}
	return b.String()
}

// escapeStrayPercent writes a '%' that does not start an escape ("rises-4%-
// despite") as "%25", as browsers read it, where url.Parse refuses the
// link. The query is left as published: url.Parse accepts it, and its
// bytes are part of the item's identity.
func escapeStrayPercent(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	inQuery := false
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		switch s[i] {
		case '?':
			inQuery = true
		case '#':
			inQuery = false
		case '%':
			if !inQuery && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
				b.WriteString("25")
			}
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// resolveLink resolves a link as published against base (the final URL of the
// feed, after redirects) and returns it only when the result is an absolute
// http or https URL; anything else (javascript:, data:, mailto:, garbage)
// becomes "".
func resolveLink(base *url.URL, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if strings.ContainsAny(raw, "\r\n\t") {
		raw = strings.NewReplacer("\r", "", "\n", "", "\t", "").Replace(raw)
	}
	raw = escapeStrayPercent(raw)
	var u *url.URL
	var err error
	if base != nil {
		u, err = base.Parse(raw)
	} else {
		u, err = url.Parse(raw)
	}
	if err != nil {
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return ""
	}
	return u.String()
}

// publicLink is link without a user name and password: an item's link is
// stored and shown to every reader of a digest, the console and the API,
// and a relative link resolved against a source URL that carries
// credentials (https://user:password@host/feed) inherits them. Fetching
// an article keeps them: this is for what an item shows.
func publicLink(link string) string {
	if !strings.Contains(link, "@") {
		return link
	}
	u, err := url.Parse(link)
	if err != nil || u.User == nil {
		return link
	}
	u.User = nil
	return u.String()
}

// CleanLink is link as published without its tracking parameters (those
// NormalizeURL drops): the canonical link an item keeps and a digest shows.
// Everything else (scheme, host, the order and escaping of the other
// parameters, the fragment) is kept; a link that does not parse is returned
// as it is.
func CleanLink(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.RawQuery == "" {
		return link
	}
	parts := strings.Split(u.RawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		key, _, _ := strings.Cut(p, "=")
		if p != "" && !isTrackingParam(key) {
			kept = append(kept, p)
		}
	}
	u.RawQuery = strings.Join(kept, "&")
	u.ForceQuery = false
	return u.String()
}
