package config

import (
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// feedURL checks a feed URL (http, https or file) and returns it with a
// relative file path ("file:feeds/x.xml") made absolute against base.
func (c *checker) feedURL(key, raw, base string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		c.wrap(key, err, "bad URL")
		return raw
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		c.host(key, u)
	case "file":
		return c.fileURL(key, u, raw, base)
	default:
		c.errorf(key, "URL scheme %q is not http, https or file", u.Scheme)
	}
	return raw
}

// fileURL accepts file:///absolute/path and file:relative/path (relative to
// the config file's folder), and returns the absolute file:/// form.
func (c *checker) fileURL(key string, u *url.URL, raw, base string) string {
	p := u.Path
	if u.Opaque != "" {
		p = u.Opaque
	}
	if u.Host != "" && u.Host != "localhost" {
		c.errorf(key, "file URL %q names host %q: use file:///absolute/path or file:relative/path", raw, u.Host)
		return raw
	}
	if p == "" {
		c.errorf(key, "file URL %q has no path", raw)
		return raw
	}
	path := resolve(filepath.FromSlash(p), base)
	if info, err := os.Stat(path); err != nil {
		c.warnf(key, "%s: %s: the source fails until it can be read", path, statReason(err))
	} else if info.IsDir() {
		c.warnf(key, "%s is a folder, not a feed file", path)
	}
	abs := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	return abs.String()
}

// webURL checks a page URL: http or https with a host.
func (c *checker) webURL(key, raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		c.wrap(key, err, "bad URL")
		return
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		c.host(key, u)
	default:
		c.errorf(key, "URL scheme %q is not http or https", u.Scheme)
	}
}

func (c *checker) host(key string, u *url.URL) {
	if u.Hostname() == "" {
		c.errorf(key, "URL %q has no host", u.String())
	}
}

// statReason says briefly why a file could not be found or read.
func statReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}
