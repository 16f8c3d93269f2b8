package config

import (
	"net"
	"net/mail"
	"net/url"
	"newswatch/match"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
)

// build turns the decoded document into a Config, checking every rule of
// the configuration contract and recording problems in c. abs is the config file's absolute path.
func (c *checker) build(doc *document, abs string) *Config {
	base := filepath.Dir(abs)
	cfg := &Config{
		Path:          abs,
		Timezone:      doc.Timezone,
		FetchSchedule: doc.FetchSchedule,
		Listen:        doc.Listen,
	}
	cfg.Location = c.location("timezone", doc.Timezone, time.Local)
	cfg.Database = c.database(doc.Database, base)
	cfg.FetchTimetable = c.schedule("fetch_schedule", doc.FetchSchedule, cfg.Location)
	cfg.MaxAge = c.duration("max_age", doc.MaxAge, false)
	cfg.FetchTimeout = c.duration("fetch_timeout", doc.FetchTimeout, false)
	cfg.Retain = c.retain(doc.Retain, cfg.MaxAge, doc.MaxAge)
	cfg.Templates = c.templates(doc.Templates, base)
	c.listen(doc.Listen)
	cfg.HTTP = c.http(doc.HTTP)
	cfg.SMTP = c.smtp(doc.SMTP)
	cfg.Output = Output{Dir: c.path("output.dir", doc.Output.Dir, base)}
	cfg.Web = c.web(doc.Web)
	if cfg.Web != nil {
		c.sameListen(cfg.Listen, cfg.Web.Listen)
	}
	cfg.Sources = c.sources(doc.Sources, base)
	cfg.Companies = c.companies(doc.Companies)
	cfg.Topics = c.topics(doc.Topics)
	cfg.Digests = c.digests(doc.Digests, cfg)
	cfg.Sources, cfg.PausedSources = split(cfg.Sources, func(s Source) bool { return s.Enabled })
	cfg.Digests, cfg.PausedDigests = split(cfg.Digests, func(d Digest) bool { return d.Enabled })
	return cfg
}

// enabled is the value of the enabled key of the entry at key: true unless
// written otherwise.
func (c *checker) enabled(key string, v bool) bool {
	return v || !c.ix.has(key+".enabled")
}

// split returns the entries of list for which on is true, and the others.
func split[T any](list []T, on func(T) bool) (yes, no []T) {
	for _, v := range list {
		if on(v) {
			yes = append(yes, v)
		} else {
			no = append(no, v)
		}
	}
	return yes, no
}

// DefaultRetain is how long items keep their text when retain is not set
// (at least twice max_age).
const DefaultRetain = 90 * 24 * time.Hour

// retain is how long items keep their text: as written, longer than
// maxAge, or 0 to keep everything; unset, the larger of DefaultRetain and
// twice maxAge.
func (c *checker) retain(s string, maxAge time.Duration, maxAgeText string) time.Duration {
	if !c.ix.has("retain") {
		return max(DefaultRetain, 2*maxAge)
	}
	d := c.duration("retain", s, true)
	if d > 0 && d <= maxAge {
		c.errorf("retain", "%q must be longer than max_age (%s), or \"0\" to keep everything", s, maxAgeText)
	}
	return d
}

// location resolves an IANA zone name; "" gives fallback.
func (c *checker) location(key, name string, fallback *time.Location) *time.Location {
	if name == "" {
		return fallback
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		if hint := offsetZoneHint(name); hint != "" {
			c.errorf(key, "%q is not a time zone: %s", name, hint)
			return fallback
		}
		if s := suggestZone(name); s != "" {
			c.errorf(key, "%q is not a time zone%s", name, didYouMean(s))
		} else {
			c.errorf(key, "%q is not a time zone: use an IANA name such as \"Europe/Brussels\" or \"UTC\"", name)
		}
		return fallback
	}
	if city, ok := fixedAbbreviations[name]; ok {
		c.warnf(key, "%q is a fixed offset all year, without daylight saving: for the local time write a city such as %q", name, city)
	}
	return loc
}

func (c *checker) schedule(key, spec string, loc *time.Location) *Schedule {
	if strings.TrimSpace(spec) == "" {
		c.errorf(key, `required: a cron expression such as "0 7 * * *", or "@daily", "@every 2h"`)
		return nil
	}
	s, err := ParseSchedule(spec, loc)
	if err != nil {
		c.wrap(key, err, `bad cron expression (want 5 fields "min hour day month weekday", or @daily, "@every 2h")`)
	}
	return s
}

// duration parses a Go duration that must be positive, or not negative when
// zeroOK.
func (c *checker) duration(key, s string, zeroOK bool) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		c.wrap(key, err, `not a duration: use e.g. "20s", "15m" or "72h"`)
	case d < 0 || (d == 0 && !zeroOK):
		c.errorf(key, "must be more than 0, not %q", s)
	}
	return d
}

// path resolves a required path against base.
func (c *checker) path(key, p, base string) string {
	if strings.TrimSpace(p) == "" {
		c.errorf(key, "must not be empty")
		return ""
	}
	return resolve(p, base)
}

func resolve(p, base string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// IsPostgres reports whether database names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than an SQLite file.
func IsPostgres(database string) bool {
	l := strings.ToLower(database)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// database is an SQLite file's path, resolved, or a PostgreSQL URL as it
// is. An error never repeats the URL: it may carry a password.
func (c *checker) database(p, base string) string {
	if p == ":memory:" {
		return p
	}
	if IsPostgres(p) {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			c.errorf("database", "not a PostgreSQL URL of the form postgres://user@host:5432/database")
		}
		return p
	}
	return c.path("database", p, base)
}

func (c *checker) templates(p, base string) string {
	if p == "" {
		return ""
	}
	dir := resolve(p, base)
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		c.wrap("templates", err, "templates folder not found")
	case !info.IsDir():
		c.errorf("templates", "%s is not a folder", dir)
	}
	return dir
}

func (c *checker) listen(addr string) {
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		c.wrap("listen", err, `must be host:port such as "127.0.0.1:9090"`)
		return
	}
	c.port("listen", port)
}

// sameListen refuses a console on the address of /healthz and /metrics:
// `run` serves both, and the second could not listen there. Two addresses
// clash on the same port when their hosts are the same, either is a
// wildcard (all addresses), or one is localhost and the other loopback.
func (c *checker) sameListen(top, web string) {
	th, tp, err1 := net.SplitHostPort(top)
	wh, wp, err2 := net.SplitHostPort(web)
	if top == "" || err1 != nil || err2 != nil || tp != wp {
		return
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	if strings.EqualFold(th, wh) || wildcard(th) || wildcard(wh) ||
		(strings.EqualFold(th, "localhost") && Loopback(web)) || (strings.EqualFold(wh, "localhost") && Loopback(top)) {
		c.errorf("web.listen", "%q takes the port of the top-level listen %q (/healthz and /metrics): give the console another port", web, top)
	}
}

// port checks a TCP port number written as text.
func (c *checker) port(key, s string) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		c.errorf(key, "port %q is not a number from 1 to 65535", s)
	}
}

func (c *checker) http(h httpDoc) HTTP {
	out := HTTP{
		UserAgent:     h.UserAgent,
		Timeout:       c.duration("http.timeout", h.Timeout, false),
		MaxBody:       c.size("http.max_body", h.MaxBody),
		Concurrency:   h.Concurrency,
		PerHostDelay:  c.duration("http.per_host_delay", h.PerHostDelay, true),
		RespectRobots: h.RespectRobots,
	}
	if strings.TrimSpace(h.UserAgent) == "" || strings.ContainsFunc(h.UserAgent, unicode.IsControl) {
		c.errorf("http.user_agent", "must be non-empty text on one line")
	}
	if h.Concurrency < 1 {
		c.errorf("http.concurrency", "must be at least 1, not %d", h.Concurrency)
	}
	return out
}

func (c *checker) size(key string, v any) int64 {
	var n int64
	switch v := v.(type) {
	case int64:
		n = v
	case string:
		var err error
		if n, err = ParseSize(v); err != nil {
			c.wrap(key, err, "bad size")
			return 0
		}
	}
	if n <= 0 {
		c.errorf(key, "must be more than 0 bytes")
	}
	return n
}

// defaultPorts are the submission ports of each security mode.
var defaultPorts = map[string]int{"starttls": 587, "tls": 465, "none": 25}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *checker) smtp(d smtpDoc) *SMTP {
	if !c.ix.has("smtp") {
		return nil
	}
	s := d.SMTP
	s.Timeout = c.duration("smtp.timeout", d.Timeout, false)
	if strings.TrimSpace(s.Host) == "" {
		c.errorf("smtp.host", "required when [smtp] is present (omit the whole table to write digests to output.dir)")
	} else if _, _, err := net.SplitHostPort(s.Host); err == nil {
		c.errorf("smtp.host", "%q includes a port: put it in port", s.Host)
	}
	if _, ok := defaultPorts[s.Security]; !ok {
		c.errorf("smtp.security", "%q is not one of starttls, tls, none", s.Security)
	}
	if !c.ix.has("smtp.port") {
		s.Port = defaultPorts[s.Security]
	} else if s.Port < 1 || s.Port > 65535 {
		c.errorf("smtp.port", "%d is not a port from 1 to 65535", s.Port)
	}
	c.smtpAuth(s)
	c.address("smtp.from", s.From)
	return &s
}

func (c *checker) smtpAuth(s SMTP) {
	switch {
	case s.PasswordEnv != "" && !envNameRE.MatchString(s.PasswordEnv):
		// The value is not repeated: it may well be the password itself.
		c.errorf("smtp.password_env", "is not an environment variable name (letters, digits and _): put the name of the variable that holds the password here, never the password (the value is not shown)")
	case s.Username != "" && s.PasswordEnv == "":
		c.errorf("smtp.password_env", "required when username is set: the name of the environment variable that holds the password")
	case s.Username == "" && s.PasswordEnv != "":
		c.errorf("smtp.username", "required when password_env is set")
	}
	if s.Username != "" && s.Security == "none" {
		c.warnf("smtp.security", `"none" sends the password in clear text`)
	}
}

// address checks one required email address.
func (c *checker) address(key, addr string) {
	if strings.TrimSpace(addr) == "" {
		c.errorf(key, "required: an email address")
		return
	}
	if _, err := mail.ParseAddress(addr); err != nil {
		c.wrap(key, err, "%q is not an email address", addr)
	}
}

// nameSet finds duplicate names in one section, ignoring case and spaces.
type nameSet map[string]string // folded name → key of its first use

func (c *checker) name(seen nameSet, key, name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		c.errorf(key, "required: a non-empty name")
		return name
	}
	if c.control(key, name, "name") {
		return name
	}
	folded := fold(name)
	if first, ok := seen[folded]; ok {
		c.errorf(key, "duplicate name %q: already used by %s (line %d)", name, parentPath(first), c.ix.lineOf(first))
		return name
	}
	seen[folded] = key
	return name
}

// SameName reports whether two names of watchlist entries (or terms) are
// the same to the configuration, which allows no two such names in one
// list: equal once folded (fold).
func SameName(a, b string) bool { return fold(a) == fold(b) }

// fold is the form under which names and terms are compared: lower case,
// white space runs made one space, none at either end.
func fold(s string) string {
	// ASCII, the common case, in one pass; anything else through the
	// Unicode-aware functions.
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return strings.ToLower(strings.Join(strings.Fields(s), " "))
		case c == ' ' || '\t' <= c && c <= '\r':
			space = len(b) > 0
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return string(b)
}

// phrases trims each entry of a list of words or phrases, reporting empty ones.
func (c *checker) phrases(key string, list []string, what string) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = strings.TrimSpace(p)
		if out[i] == "" {
			c.errorf(indexPath(key, i), "empty %s: remove it or write the %s", what, what)
			continue
		}
		if !c.control(indexPath(key, i), out[i], what) {
			if err := match.CheckTerm(out[i]); err != nil {
				c.errorf(indexPath(key, i), "%s %q: %v, so it could never match", what, out[i], err)
			}
		}
	}
	return out
}

// control reports a tab, line break or other control character inside a
// name or term (a paste from a spreadsheet, a "\t" escape): it could
// never match as written and prints badly.
func (c *checker) control(key, text, what string) bool {
	i := strings.IndexFunc(text, unicode.IsControl)
	if i < 0 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	c.errorf(key, "%s %q holds a control character (%U, e.g. a tab): write it on one line with plain spaces", what, text, r)
	return true
}

func (c *checker) sources(list []Source, base string) []Source {
	seen := make(nameSet, len(list))
	for i := range list {
		k := indexPath("sources", i)
		s := &list[i]
		s.Enabled = c.enabled(k, s.Enabled)
		s.Name = c.name(seen, k+".name", s.Name)
		c.sourceURL(k, s, base)
		c.selector(k+".links", s.Links)
		c.selector(k+".body", s.Body)
		switch {
		case !c.ix.has(k + ".max_articles"):
			s.MaxArticles = DefaultMaxArticles
		case s.MaxArticles < 1:
			c.errorf(k+".max_articles", "must be at least 1, not %d", s.MaxArticles)
		}
	}
	return list
}

func (c *checker) sourceURL(k string, s *Source, base string) {
	switch {
	case s.Feed != "" && s.Page != "":
		c.errorf(k+".page", "set either feed or page, not both")
	case s.Feed == "" && s.Page == "":
		c.errorf(k, "needs feed (an RSS/Atom/JSON feed URL) or page (an HTML page with links)")
	case s.Feed != "":
		s.Feed = c.feedURL(k+".feed", s.Feed, base)
		if s.Links != "" {
			c.warnf(k+".links", "only used with page: ignored for a feed")
		}
	default:
		c.webURL(k+".page", s.Page)
		if strings.TrimSpace(s.Links) == "" {
			c.errorf(k+".links", "required when page is set: a CSS selector for the article links")
		}
	}
}

func (c *checker) selector(key, sel string) {
	if sel == "" {
		return
	}
	if _, err := cascadia.Compile(sel); err != nil {
		c.wrap(key, err, "bad CSS selector %q", sel)
	}
}
