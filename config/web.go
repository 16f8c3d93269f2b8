package config

import (
	"net"
	"net/url"
	"strings"
)

// Web holds the [web] table: the console and JSON API.
type Web struct {
	// Listen is the console's host:port; `run` serves it there and
	// `newswatch serve` serves it alone.
	Listen string `toml:"listen"`
	// URL is the public base URL of the console ("" = none), for links
	// in digests; no trailing slash.
	URL string `toml:"url"`
	// AuthTokenEnv names the variable holding the console's token;
	// required when Listen is not a loopback address.
	AuthTokenEnv string `toml:"auth_token_env"`
}

// DefaultWebListen is [web] listen when the table does not set it.
const DefaultWebListen = "127.0.0.1:8080"

// Token returns the console's token from the variable named by
// auth_token_env, looked up with getenv, without the spaces around it (as
// a secret file or an EnvironmentFile leaves them); "" when none is
// configured or the variable is unset or blank.
func (w *Web) Token(getenv func(string) string) string {
	if w == nil || w.AuthTokenEnv == "" {
		return ""
	}
	return strings.TrimSpace(getenv(w.AuthTokenEnv))
}

// Loopback reports whether addr (host:port) listens on loopback only:
// "localhost" or a loopback IP. An empty host (every interface) is not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *checker) web(d Web) *Web {
	if !c.ix.has("web") {
		return nil
	}
	w := d
	if !c.ix.has("web.listen") {
		w.Listen = DefaultWebListen
	}
	if _, port, err := net.SplitHostPort(w.Listen); err != nil {
		c.wrap("web.listen", err, `must be host:port such as "127.0.0.1:8080"`)
	} else {
		c.port("web.listen", port)
	}
	if w.AuthTokenEnv != "" && !envNameRE.MatchString(w.AuthTokenEnv) {
		c.errorf("web.auth_token_env", "is not an environment variable name (letters, digits and _): put the name of the variable that holds the token here, never the token (the value is not shown)")
	}
	if w.AuthTokenEnv == "" && !Loopback(w.Listen) {
		c.errorf("web.listen", "%q is not a loopback address: set auth_token_env to the name of a variable holding a secret token, or listen on 127.0.0.1", w.Listen)
	}
	if w.URL != "" {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			c.errorf("web.url", "%q is not a base URL such as \"https://newswatch.example.org\"", w.URL)
		}
		w.URL = strings.TrimRight(w.URL, "/")
	}
	return &w
}
