// Package web is the console and JSON API: the archive of sent digests,
// full-text search over stored items, the watchlist editor with its
// preview, source health and "not relevant" marks. It reads through the
// store and edits the configuration file through config; it fetches and
// sends nothing.
//
// Security: with a token (the variable named by [web] auth_token_env),
// every route but the login page and the static assets needs it: the API
// by "Authorization: Bearer TOKEN" or the pages' session cookie, the pages
// by that cookie, which the login form sets (HttpOnly, SameSite=Strict,
// Secure under TLS or X-Forwarded-Proto https). Without one, the console
// serves loopback only (the caller refuses anything else). A request that
// changes state must carry the page's CSRF token (form field csrf or
// header X-CSRF-Token) unless it authenticates with the bearer token or,
// tokenless, is an API request no browser sent from another site. Answers carry a
// strict Content-Security-Policy; every asset is embedded; feed text is
// escaped by html/template and links leave with rel="noopener noreferrer
// nofollow". Failed logins and wrong bearer tokens are logged and
// limited per client address, one budget for both; over the limit every
// presented token is refused, the right one too, while a session cookie
// still serves. Only requests naming the console's own host
// (localhost, a loopback IP, the listen host, the host of [web] url) are
// served, and a state change from another Origin is refused.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"newswatch/config"
	"newswatch/ingest"
	"newswatch/match"
	"newswatch/store"
)

// Options configure a Server.
type Options struct {
	ConfigPath string       // the configuration file: read, and written by Save
	Store      *store.Store // opened read-write (feedback is recorded)
	// Token is the console's secret; "" serves without authentication
	// (the caller allows that on loopback only).
	Token string
	// Listen is the address the console serves on: its host is one of the
	// names a request may carry in Host ("" or a wildcard adds none).
	Listen string
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: slog.Default()
}

// Server serves the console and the API.
type Server struct {
	opts   Options
	secret []byte // signs sessions and CSRF tokens
	mux    *http.ServeMux
	logins *limiter
	// hosts are the names a request's Host may carry: besides localhost
	// and loopback IPs, the listen host and the host of [web] url; every
	// name when a token guards a console listening on every interface.
	hosts  Hosts
	public string // the host of [web] url

	mu    sync.Mutex
	state *state
	stamp time.Time // the file's modification time when state was read
	size  int64
	// broken holds where the file on disk is invalid, nil while valid.
	broken []string
	write  sync.Mutex // one Save at a time
}

// state is the configuration as last read, and its compiled watchlist.
type state struct {
	cfg *config.Config
	wl  *match.Watchlist
}

// New returns a Server for opts, after reading the configuration once.
// Without a token it reads the key that signs its CSRF tokens from the
// database, made there the first time.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Token = strings.TrimSpace(opts.Token)
	if opts.Token != "" && utf8.RuneCountInString(opts.Token) < MinTokenLength {
		opts.Logger.Warn(fmt.Sprintf("the console's token is shorter than %d characters: anyone who can reach the console may guess it; use a long random secret", MinTokenLength))
	}
	pages() // the templates are checked when the console is made
	s := &Server{opts: opts, logins: newLimiter(5, time.Minute)}
	if opts.Token != "" {
		// Sessions outlive a restart, and end when the token changes.
		s.secret = mac([]byte(opts.Token), "newswatch session key")
	} else {
		// Kept in the database, so that a page loaded before a restart
		// can still be sent after it, to any console on the database.
		var err error
		if s.secret, err = opts.Store.Key(ctx, "csrf", 32); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	s.hosts = Hosts{names: allowedHosts(opts.Listen, st.cfg.Web), any: opts.Token != "" && wildcard(opts.Listen)}
	s.public = publicHost(st.cfg.Web)
	s.routes()
	return s, nil
}

// Handler returns the console's handler.
func (s *Server) Handler() http.Handler { return s.secure(s.mux) }

// current returns the configuration, read again when the file changed.
// While the file on disk is invalid it returns the last valid one, and
// brokenAt says where the file is wrong.
func (s *Server) current() (*state, error) {
	info, err := os.Stat(s.opts.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("web: config: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil && info.ModTime().Equal(s.stamp) && info.Size() == s.size {
		return s.state, nil
	}
	cfg, err := config.Load(s.opts.ConfigPath)
	if err != nil {
		if s.state != nil {
			// An invalid edit: keep the last good one, as the daemon does.
			s.broken, s.stamp, s.size = locations(err), info.ModTime(), info.Size()
			return s.state, nil
		}
		return nil, fmt.Errorf("web: %w", err)
	}
	wl, err := ingest.CompileWatchlist(cfg)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.state, s.stamp, s.size, s.broken = &state{cfg: cfg, wl: wl}, info.ModTime(), info.Size(), nil
	return s.state, nil
}

// brokenAt returns where the configuration file on disk is invalid
// ("file:line" each), or nil while it is valid.
func (s *Server) brokenAt() []string {
	if _, err := s.current(); err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// locations are the file:line places of a configuration error, without
// the messages (which may quote a value).
func locations(err error) []string {
	var out []string
	for _, e := range config.Split(err) {
		var ce *config.Error
		switch {
		case errors.As(e, &ce) && ce.Line > 0:
			out = append(out, fmt.Sprintf("%s:%d", ce.File, ce.Line))
		case errors.As(e, &ce):
			out = append(out, ce.File)
		}
	}
	if len(out) == 0 {
		out = []string{"(unknown line)"}
	}
	return out
}

// MinTokenLength is the shortest token the console takes without a
// warning at start.
const MinTokenLength = 16

// ErrNoToken is returned by CheckAccess for a console that would answer
// on a non-loopback address without a token.
var ErrNoToken = errors.New("the console would be open to the network without a token")

// CheckAccess refuses to serve on a non-loopback addr without a token:
// tokenEnv names the variable that should hold it ("" when none is
// configured).
func CheckAccess(addr, tokenEnv, token string) error {
	if token != "" || config.Loopback(addr) {
		return nil
	}
	if tokenEnv == "" {
		return fmt.Errorf("[web] listen %q is not a loopback address and [web] auth_token_env is not set: set it to the name of a variable holding a secret token, or listen on 127.0.0.1: %w", addr, ErrNoToken)
	}
	return fmt.Errorf("[web] listen %q is not a loopback address and %s (named by [web] auth_token_env) is unset or empty: export %s=<a long random secret>: %w", addr, tokenEnv, tokenEnv, ErrNoToken)
}

// HTTPServer is the console's http.Server for addr, with its timeouts.
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
}

// ServeUntil listens on srv.Addr, says where through ready, and serves
// until ctx is done, then shuts srv down, giving requests in flight five
// seconds. A server that stops by itself is an error.
func ServeUntil(ctx context.Context, srv *http.Server, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen %s ([web] listen): %w", srv.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready(ln.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("web console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
