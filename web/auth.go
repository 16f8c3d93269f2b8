package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

const (
	sessionCookie = "newswatch_session"
	sessionLife   = 30 * 24 * time.Hour
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// pageCSP is the policy of every page: nothing from another host, no
// inline script or style, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// digestCSP is the policy of a mailed digest shown as it was sent: its
// inline styles, no script, no remote resource, its links opening outside.
const digestCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"

func strconvQuote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strconv.Quote(s)
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

func sign(key []byte, msg string) string {
	return base64.RawURLEncoding.EncodeToString(mac(key, msg))
}

// secure sets the headers every answer carries and checks authentication.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		// Not no-referrer: under it a browser sends "Origin: null" with the
		// console's own form posts, which the Origin check must refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if !s.hosts.Allow(r.Host) {
			s.fail(w, r, http.StatusMisdirectedRequest, "this console answers only to its own address (localhost, a loopback IP, its listen address or the host of [web] url), not to "+strconvQuote(r.Host))
			return
		}
		// A method no route serves (OPTIONS: no cross-origin preflight
		// is ever granted; TRACE; DELETE…) is refused before anything
		// else looks at the request.
		if !slices.Contains(consoleMethods, r.Method) {
			allow := allowed(s.mux, r)
			if allow == "" {
				s.fail(w, r, http.StatusNotFound, "no such page")
				return
			}
			h.Set("Allow", allow)
			s.fail(w, r, http.StatusMethodNotAllowed, r.Method+" is not served here (allowed: "+allow+")")
			return
		}
		if changesState(r) && !s.originOK(r) {
			s.fail(w, r, http.StatusForbidden, "a request that changes something must come from the console's own pages, not from "+strconvQuote(r.Header.Get("Origin")))
			return
		}
		if public(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if changesState(r) {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		presented, hasBearer := bearerToken(r)
		bearer := false
		if hasBearer && s.opts.Token != "" {
			// A bearer token is refused whatever else the request
			// carries when it is wrong, or when the client is over its
			// limit of failed attempts (checkToken); a request with a
			// session cookie and no bearer token is not limited.
			ok, retry := s.checkToken(r, presented, "bearer")
			if retry > 0 {
				s.tooMany(w, r, retry)
				return
			}
			if !ok {
				s.unauthorized(w, r)
				return
			}
			bearer = true
		}
		if s.opts.Token != "" && !bearer {
			session, err := s.checkSession(r)
			if err != nil {
				s.sessionUnchecked(w, r, err)
				return
			}
			if session == "" {
				s.unauthorized(w, r)
				return
			}
			// Checked once a request: the handlers and the page's CSRF
			// token read it from here.
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, session))
		}
		if changesState(r) && !bearer && !s.csrfOK(r) {
			s.fail(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// public reports whether path is served without authentication.
func public(path string) bool {
	return path == "/login" || strings.HasPrefix(path, "/static/")
}

func changesState(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// bearerToken returns the credentials of r's Authorization header when
// its scheme is Bearer, in any case (an authentication scheme is
// case-insensitive).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return token, ok && strings.EqualFold(scheme, "Bearer")
}

// tokenOK compares a presented token (spaces around it dropped, as from
// the environment) with the console's in constant time, whatever their
// lengths.
func (s *Server) tokenOK(got string) bool {
	a := mac(s.secret, "token "+strings.TrimSpace(got))
	b := mac(s.secret, "token "+s.opts.Token)
	return subtle.ConstantTimeCompare(a, b) == 1
}

// sessionKey keys the session secure checked in a request's context.
type sessionKey struct{}

// session returns r's valid session cookie value, or "": as secure
// checked it, or, on the pages served without authentication, checked
// here (a session that cannot be checked is none).
func (s *Server) session(r *http.Request) string {
	if v, ok := r.Context().Value(sessionKey{}).(string); ok {
		return v
	}
	v, _ := s.checkSession(r)
	return v
}

// checkSession returns r's session cookie value when it is valid: signed,
// unexpired and not logged out; else "". The error says the database
// could not tell whether it was logged out.
func (s *Server) checkSession(r *http.Request) (string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", nil
	}
	exp, rest, ok := strings.Cut(c.Value, ".")
	id, sig, ok2 := strings.Cut(rest, ".")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok || !ok2 || err != nil || s.opts.Now().Unix() > n {
		return "", nil
	}
	if !hmac.Equal([]byte(sig), []byte(sign(s.secret, "session "+exp+"."+id))) {
		return "", nil
	}
	ended, err := s.opts.Store.SessionEnded(r.Context(), id)
	if err != nil {
		return "", err
	}
	if ended {
		return "", nil
	}
	return c.Value, nil
}

// sessionUnchecked answers a request whose session could not be checked
// (the database unreadable): refused, not taken on trust, since it may
// have been logged out; and not the login page, which could not help. A
// logout still makes the browser forget the cookie.
func (s *Server) sessionUnchecked(w http.ResponseWriter, r *http.Request, err error) {
	s.opts.Logger.Error("console: cannot check the session", "err", err)
	if r.URL.Path == "/logout" {
		clearSession(w)
		s.fail(w, r, http.StatusServiceUnavailable, notRecorded)
		return
	}
	s.fail(w, r, http.StatusServiceUnavailable, "the console cannot check its sessions now (its database cannot be read): try again shortly")
}

// notRecorded is the answer to a logout the database did not record.
const notRecorded = "logged out in this browser, but the console could not record the end of the session in its database: a copy of its cookie would still be taken until it expires; log out again once the console works"

// csrfToken is the token the pages' forms carry: tied to the session
// (tokenless: the same for every page, signed with the database's key).
func (s *Server) csrfToken(r *http.Request) string {
	return sign(s.secret, "csrf "+s.session(r))
}

// csrfOK checks a state-changing request not authenticated by the bearer
// token: it must carry the page's CSRF token (form field or header). The
// API without a token (loopback) takes a request that no browser sent
// from another site instead: a browser says so in Sec-Fetch-Site or
// Origin, a script such as curl sends neither.
func (s *Server) csrfOK(r *http.Request) bool {
	got := r.Header.Get(csrfHeader)
	api := strings.HasPrefix(r.URL.Path, "/api/")
	if got == "" && !api {
		got = r.PostFormValue(csrfField)
	}
	if got != "" {
		return hmac.Equal([]byte(got), []byte(s.csrfToken(r)))
	}
	return api && s.opts.Token == "" && sameOrigin(r)
}

// sameOrigin reports whether nothing in r says a browser sent it from
// another site.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="newswatch"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "authentication required: Authorization: Bearer TOKEN"})
		return
	}
	s.render(w, r, http.StatusUnauthorized, "login", loginPage{Next: r.URL.RequestURI()})
}

type loginPage struct {
	Next  string
	Error string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

// maxBody bounds the body of every request that changes something.
const maxBody = 1 << 20

// loginBody bounds a login form: a token and a path.
const loginBody = 4 << 10

// login checks the token typed in the form and sets the session cookie.
// Failed attempts are limited per client address, together with wrong
// bearer tokens (checkToken): over the limit every token is refused, the
// right one too, until the window has passed.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, loginBody)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusRequestEntityTooLarge, "login", loginPage{Next: "/", Error: "The form is too large or unreadable."})
		return
	}
	next := safeNext(r.PostFormValue("next"))
	ok, retry := s.checkToken(r, r.PostFormValue("token"), "login")
	if retry > 0 {
		s.render(w, r, http.StatusTooManyRequests, "login", loginPage{Next: next, Error: "Too many failed attempts: try again in " + s.retryAfter(w, retry) + "."})
		return
	}
	if !ok {
		s.render(w, r, http.StatusUnauthorized, "login", loginPage{Next: next, Error: "Wrong token."})
		return
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	sid := base64.RawURLEncoding.EncodeToString(id)
	exp := strconv.FormatInt(s.opts.Now().Add(sessionLife).Unix(), 10)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: exp + "." + sid + "." + sign(s.secret, "session "+exp+"."+sid), Path: "/",
		MaxAge: int(sessionLife / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// checkToken checks a token r presented, at the login form or as a
// bearer token (how: "login", "bearer"), under the limit of failed
// attempts per client address, one budget for both. The limit comes
// first: while the client is over it, any token is refused, the right one
// too, so a guesser who ignores 429 learns nothing from further guesses;
// retry is then how long until the client is under the limit again, the
// caller answers 429 (tooMany), and the attempt is neither
// counted nor logged, so a flood of guesses floods no log. Under the
// limit an attempt is reserved before the comparison, so concurrent
// guesses cannot all pass the check before one is counted; the right
// token gives it back, a wrong one keeps it and is logged.
func (s *Server) checkToken(r *http.Request, presented, how string) (ok bool, retry time.Duration) {
	client := clientKey(r)
	now := s.opts.Now()
	undo, allowed := s.logins.attempt(client, now)
	if !allowed {
		// Past the table's room, addresses share one budget (overflowKey),
		// which guesses from thousands of addresses spend: there the
		// token is compared still, so that they cannot lock the owner
		// out from an address of its own; a wrong one gets 429 all the
		// same.
		if s.logins.overflowed(client, now) && s.tokenOK(presented) {
			return true, 0
		}
		// At least a nanosecond: the failures may have left the window
		// since attempt looked.
		return false, max(s.logins.retryIn(client, now), 1)
	}
	if s.tokenOK(presented) {
		undo()
		return true, 0
	}
	s.opts.Logger.Warn("console: wrong token", "via", how, "client", client, "path", r.URL.Path)
	return false, 0
}

// retryAfter tells a client over its limit of failed attempts when to
// try again: in retry rounded up to whole seconds, at least one (the
// Retry-After header's unit). It returns that wait in words.
func (s *Server) retryAfter(w http.ResponseWriter, retry time.Duration) string {
	secs := max(int64((retry+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	if secs == 1 {
		return "1 second"
	}
	return strconv.FormatInt(secs, 10) + " seconds"
}

// tooMany answers a request refused for too many failed attempts.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, retry time.Duration) {
	wait := s.retryAfter(w, retry)
	s.fail(w, r, http.StatusTooManyRequests, "too many failed attempts with a wrong token: try again in "+wait)
}

// logout ends the session: the browser forgets the cookie, and every
// console on this database refuses it from then on, also after a restart.
// When the end cannot be recorded the browser still forgets the cookie,
// and the page says that a copy of it would still be taken.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	clearSession(w)
	if v := s.session(r); v != "" {
		parts := strings.SplitN(v, ".", 3)
		exp, _ := strconv.ParseInt(parts[0], 10, 64)
		if err := s.opts.Store.EndSession(r.Context(), parts[1], time.Unix(exp, 0)); err != nil {
			s.opts.Logger.Error("console: logout", "err", err)
			s.fail(w, r, http.StatusInternalServerError, notRecorded)
			return
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// clearSession makes the browser forget the session cookie.
func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// safeNext keeps a redirect after login on this site: a path starting
// with a single "/", with no control character or backslash anywhere
// (browsers drop tabs and newlines from a URL, so "/\t/evil.example" is
// "//evil.example"); anything else is "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || next == "/login" ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' || unicode.IsControl(r) }) {
		return "/"
	}
	return next
}

// clientKey is the address failed logins are counted under: the client's
// IPv4 address, or the /64 network of its IPv6 address (one host is
// commonly given a whole /64, so counting its addresses one by one would
// give it billions of budgets).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// limiter allows a few failures per client address in a window. It keeps
// at most maxClients addresses: when that many have failed within the
// window, failures from further addresses share one budget (overflowKey),
// so an attacker with many addresses costs neither memory nor more
// guesses than one client beyond that.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string][]time.Time
}

// maxClients bounds the addresses a limiter keeps.
const maxClients = 4096

// overflowKey counts the failures of addresses beyond maxClients.
const overflowKey = "(others)"

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	var keep []time.Time
	for _, t := range l.fails[key] {
		if now.Sub(t) < l.window {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = keep
	}
	return keep
}

// key is the key key's failures are counted under: itself when it is
// known or there is room, else overflowKey. A full map is swept of the
// addresses whose failures all left the window first.
func (l *limiter) key(key string, now time.Time) string {
	if _, ok := l.fails[key]; ok || len(l.fails) < maxClients {
		return key
	}
	for k := range l.fails {
		l.recent(k, now)
	}
	if len(l.fails) < maxClients {
		return key
	}
	return overflowKey
}

// overflowed reports whether key's failures are counted under
// overflowKey, with the addresses the table has no room for.
func (l *limiter) overflowed(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.key(key, now) == overflowKey
}

// retryIn is how long until key may try again: until enough of its
// failures have left the window to bring it under the limit; 0 when it is
// under it already.
func (l *limiter) retryIn(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := slices.Clone(l.recent(l.key(key, now), now))
	if len(recent) < l.max {
		return 0
	}
	slices.SortFunc(recent, time.Time.Compare)
	return recent[len(recent)-l.max].Add(l.window).Sub(now)
}

// attempt counts a failure for key at now, checked against the limit and
// counted in one step: false, counting nothing, when key already has max
// failures in the window. undo takes the failure back (the attempt
// succeeded).
func (l *limiter) attempt(key string, now time.Time) (undo func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key = l.key(key, now)
	recent := l.recent(key, now)
	if len(recent) >= l.max {
		return nil, false
	}
	l.fails[key] = append(recent, now)
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		fails := l.fails[key]
		if i := slices.IndexFunc(fails, now.Equal); i >= 0 {
			fails = slices.Delete(fails, i, i+1)
		}
		if len(fails) == 0 {
			delete(l.fails, key)
		} else {
			l.fails[key] = fails
		}
	}, true
}
