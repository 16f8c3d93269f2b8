package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"newswatch/config"
	"newswatch/model"
	"newswatch/store"
)

// DefaultTimeout bounds connecting and each SMTP command.
const DefaultTimeout = 30 * time.Second

// ErrNoStartTLS is returned when security is "starttls" and the server does
// not offer STARTTLS: nothing is sent and no password leaves in clear text.
var ErrNoStartTLS = errors.New("server does not offer STARTTLS")

// SettingsError is a failure of the mail settings rather than of the
// message: the server refused the user name or password (535, 530 or
// another AUTH refusal), the password variable is unset, or TLS could not
// be set up as configured (a certificate not trusted, no STARTTLS
// offered). Only the user can fix it, and once it is fixed the message
// goes through: the sender reports it as temporary, and the outbox keeps
// the message pending, whatever its age, until a try after the fix.
type SettingsError struct{ Err error }

// Error returns Err's text.
func (e *SettingsError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *SettingsError) Unwrap() error { return e.Err }

// IsSettings reports whether err is (or wraps) a *SettingsError.
func IsSettings(err error) bool {
	var se *SettingsError
	return errors.As(err, &se)
}

// Option configures a Sender made by NewSMTPSender or NewFileSender.
type Option func(*senderOptions)

type senderOptions struct {
	tlsConfig *tls.Config
	timeout   time.Duration
	zone      func(digest string) *time.Location
	from      string
	helo      string
}

// WithTLSConfig sets the TLS configuration for STARTTLS and implicit TLS
// (tests pass one trusting their certificate). ServerName defaults to the
// configured host.
func WithTLSConfig(c *tls.Config) Option { return func(o *senderOptions) { o.tlsConfig = c } }

// WithTimeout bounds connecting and each SMTP command (default: c.Timeout,
// else DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(o *senderOptions) { o.timeout = d } }

// WithZones gives each digest's time zone, for the Date header and the
// file sender's names. Without it, times are used as the store returns them
// (UTC).
func WithZones(zone func(digest string) *time.Location) Option {
	return func(o *senderOptions) { o.zone = zone }
}

// WithFrom sets the From address of the file sender's messages (default
// "newswatch <newswatch@localhost>"); the SMTP sender uses config.SMTP.From.
func WithFrom(from string) Option { return func(o *senderOptions) { o.from = from } }

// WithHELO sets the name the SMTP sender introduces itself with (default:
// the machine's host name).
func WithHELO(name string) Option { return func(o *senderOptions) { o.helo = name } }

func (o *senderOptions) location(digest string) *time.Location {
	if o.zone == nil {
		return nil
	}
	return o.zone(digest)
}

type smtpSender struct {
	cfg      config.SMTP
	password func() (string, error)
	opts     senderOptions
}

// NewSMTPSender returns a Sender that delivers through the server in c with
// go-mail, one connection per message.
//
// Security "starttls" requires STARTTLS (a server that does not offer it
// fails with ErrNoStartTLS, before any AUTH); "tls" is TLS from the first
// byte; "none" is clear text, where go-mail still refuses to send a password
// to any host but localhost. AUTH (PLAIN, else LOGIN) happens only when
// c.Username is set, with the password password returns at send time; an
// error from it is temporary, the message stays pending.
//
// Failures are *SendError: connection refused, reset or timed out and 4xx
// replies are temporary; failures of the settings (an AUTH refusal, an
// unset password, a TLS certificate not trusted, no STARTTLS, 530 without
// a login) are temporary and wrap a *SettingsError; other 5xx replies are
// permanent. Recipients the server refuses are listed in Rejected while the
// message goes to the others (Delivered). A message is delivered as soon as
// the server answered 250 to its DATA, even if the connection then drops.
func NewSMTPSender(c config.SMTP, password func() (string, error), opts ...Option) Sender {
	s := &smtpSender{cfg: c, password: password, opts: senderOptions{timeout: c.Timeout}}
	for _, o := range opts {
		o(&s.opts)
	}
	if s.opts.timeout <= 0 {
		s.opts.timeout = DefaultTimeout
	}
	return s
}

func (s *smtpSender) addr() string {
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.port()))
}

// port is the configured port, else the usual one for the security mode.
func (s *smtpSender) port() int {
	switch {
	case s.cfg.Port != 0:
		return s.cfg.Port
	case s.cfg.Security == "tls":
		return 465
	case s.cfg.Security == "none":
		return 25
	}
	return 587
}

// fail builds a SendError, prefixing the server's address.
func (s *smtpSender) fail(temporary bool, code int, format string, args ...any) *SendError {
	err := fmt.Errorf("smtp %s: "+format, append([]any{s.addr()}, args...)...)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("%w (no reply within %v)", err, s.opts.timeout)
	}
	return &SendError{Temporary: temporary, Code: code, Err: err}
}

// settings builds the SendError of a failure of the mail settings: kept
// for a retry after the fix (see SettingsError).
func (s *smtpSender) settings(code int, format string, args ...any) *SendError {
	se := s.fail(true, code, format, args...)
	se.Err = &SettingsError{Err: se.Err}
	return se
}

// Send delivers m. See NewSMTPSender.
func (s *smtpSender) Send(ctx context.Context, m model.Message) error {
	_, err := s.SendReply(ctx, m)
	return err
}

// SendReply delivers m like Send and returns the server's answer to the
// end of the message ("250 2.0.0 Ok: queued as …"), for `send -test` to
// show. The answer is network text: print it through safetext.
func (s *smtpSender) SendReply(ctx context.Context, m model.Message) (reply string, err error) {
	msg, err := NewMsg(m, s.cfg.From, s.opts.location(m.Digest))
	if err != nil {
		return "", s.fail(false, 0, "%w", err)
	}
	from, err := msg.GetSender(false)
	if err != nil {
		return "", s.fail(false, 0, "%w: %w", ErrBadMessage, err)
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return "", s.fail(false, 0, "%w: %w", ErrBadMessage, err)
	}

	conn := &connGuard{}
	stop := context.AfterFunc(ctx, conn.close)
	defer stop()
	// Whatever failed, a cancelled context is the reason worth reporting.
	defer func() {
		if se, ok := err.(*SendError); ok && ctx.Err() != nil && !se.Delivered {
			se.Temporary = true
			se.Err = fmt.Errorf("%w (%w)", se.Err, context.Cause(ctx))
		}
	}()

	client, err := s.dial(ctx, conn)
	if err != nil {
		return "", err
	}
	defer client.Close()
	reply, err = s.transact(ctx, client, msg, from, rcpts)
	if err == nil || !sizeRefused(err) {
		return reply, err
	}
	// Refused for its size: offer the same digest smaller, in the same
	// session, rather than fail it and release its stories into a next
	// digest that would be as big.
	for _, small := range trimmed(m, err) {
		if client.UpdateDeadline(s.opts.timeout) != nil || client.Reset() != nil {
			return "", err
		}
		smallMsg, merr := NewMsg(small, s.cfg.From, s.opts.location(m.Digest))
		if merr != nil {
			return "", err
		}
		if reply, err = s.transact(ctx, client, smallMsg, from, rcpts); err == nil || !sizeRefused(err) {
			return reply, err
		}
	}
	return "", err
}

// transact runs MAIL, RCPT and DATA on an open session, and returns the
// server's answer to the end of the message. Under a lease (ctx of a
// store Hold), DATA and the end of the message, which the server takes
// the message on, go out only while the lease is still this sender's by
// its clock (store.CheckHeld): one that stalled past it (before, or
// waiting for a reply) hangs up instead, leaving the message to the new
// holder.
func (s *smtpSender) transact(ctx context.Context, client *gosmtp.Client, msg *mail.Msg, from string, rcpts []string) (string, error) {
	step := func(what string, err error) *SendError {
		temp, code := classifyReply(err)
		return s.fail(temp, code, "%s: %w", what, asReply(err))
	}
	deadline := func() error { return client.UpdateDeadline(s.opts.timeout) }

	if err := deadline(); err != nil {
		return "", step("MAIL FROM", err)
	}
	if err := client.Mail(from); err != nil {
		var reply *textproto.Error
		if errors.As(err, &reply) && reply.Code == 530 {
			return "", s.settings(530, "MAIL FROM: %w (the server wants a login: set [smtp] username and password_env)", asReply(err))
		}
		return "", step("MAIL FROM", err)
	}
	rejected := map[string]string{}
	var accepted []string
	var lastReply *textproto.Error
	for _, r := range rcpts {
		if err := deadline(); err != nil {
			return "", step("RCPT TO", err)
		}
		err := client.Rcpt(r)
		var reply *textproto.Error
		switch {
		case err == nil:
			accepted = append(accepted, r)
		case errors.As(err, &reply):
			rejected[strings.Trim(r, "<>")] = replyText(reply)
			lastReply = reply
		default:
			return "", step("RCPT TO "+r, err)
		}
	}
	if len(accepted) == 0 {
		_ = client.Reset()
		_ = client.Quit()
		se := s.fail(rejectedTemporary(rejected), lastReply.Code, "all recipients rejected: %s", rejectedList(rejected))
		se.Rejected = rejected
		return "", se
	}

	if err := store.CheckHeld(ctx); err != nil {
		return "", s.fail(true, 0, "DATA not sent: %w", err)
	}
	if err := deadline(); err != nil {
		return "", step("DATA", err)
	}
	w, err := client.Data()
	if err != nil {
		return "", step("DATA", err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return "", step("sending message", err)
	}
	if err := store.CheckHeld(ctx); err != nil {
		// Hanging up without the final dot: the server drops the message.
		return "", s.fail(true, 0, "end of DATA not sent: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", step("end of DATA", err)
	}
	reply := "250"
	if r, ok := w.(interface{ ServerResponse() string }); ok && r.ServerResponse() != "" {
		reply += " " + r.ServerResponse()
	}
	// 250: the server has the message. What happens to the connection
	// from here on does not change that.
	_ = client.Quit()

	if len(rejected) > 0 {
		se := s.fail(rejectedTemporary(rejected), lastReply.Code, "recipients rejected: %s", rejectedList(rejected))
		se.Rejected, se.Delivered = rejected, true
		return reply, se
	}
	return reply, nil
}

func rejectedTemporary(rejected map[string]string) bool {
	for _, r := range rejected {
		if strings.HasPrefix(r, "4") {
			return true
		}
	}
	return false
}

// dial connects, says EHLO, starts TLS as configured and authenticates.
func (s *smtpSender) dial(ctx context.Context, guard *connGuard) (*gosmtp.Client, error) {
	auth, err := s.auth()
	if err != nil {
		return nil, err
	}
	tlsConfig := s.tlsConfig()
	security, err := s.security()
	if err != nil {
		return nil, err
	}
	cn := &connector{ctx: ctx, guard: guard, tls: tlsConfig, implicitTLS: s.cfg.Security == "tls"}
	opts := []mail.Option{
		mail.WithPort(s.port()),
		mail.WithTimeout(s.opts.timeout),
		mail.WithDialContextFunc(cn.dial),
		mail.WithTLSConfig(tlsConfig),
	}
	if s.opts.helo != "" {
		opts = append(opts, mail.WithHELO(s.opts.helo))
	}
	opts = append(opts, security)
	if auth != nil {
		opts = append(opts, mail.WithSMTPAuthCustom(auth))
	}
	mc, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, s.fail(false, 0, "%w", err)
	}
	client, err := mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, s.dialFailure(err, cn, auth)
	}
	return client, nil
}

// auth returns the AUTH mechanism with the password read now, nil when no
// username is set.
func (s *smtpSender) auth() (*plainOrLogin, error) {
	if s.cfg.Username == "" {
		return nil, nil
	}
	if s.password == nil {
		return nil, s.settings(0, "no password for user %q", s.cfg.Username)
	}
	pass, err := s.password()
	if err != nil {
		return nil, s.settings(0, "password for user %q: %w", s.cfg.Username, err)
	}
	return &plainOrLogin{user: s.cfg.Username, pass: pass, host: s.cfg.Host, cleartextOK: s.cfg.Security == "none"}, nil
}

// tlsConfig is the TLS configuration for STARTTLS and implicit TLS: the
// one given (WithTLSConfig), else TLS 1.2 at least, for the configured host.
func (s *smtpSender) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.opts.tlsConfig != nil {
		c = s.opts.tlsConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	return c
}

// security is go-mail's option for the security mode: STARTTLS required,
// TLS from the first byte, or clear text.
func (s *smtpSender) security() (mail.Option, error) {
	switch s.cfg.Security {
	case "starttls", "":
		return mail.WithTLSPolicy(mail.TLSMandatory), nil
	case "tls":
		return mail.WithSSL(), nil
	case "none":
		return mail.WithTLSPolicy(mail.NoTLS), nil
	}
	return nil, s.fail(false, 0, "unknown security %q (want starttls, tls or none)", s.cfg.Security)
}

// connector opens the connection for go-mail, into guard (which closes it
// when the send's context ends), with the TLS handshake for implicit TLS;
// otherwise it keeps the clear-text replies, to tell a server that does
// not offer STARTTLS.
type connector struct {
	ctx         context.Context // the send's
	guard       *connGuard
	tls         *tls.Config
	implicitTLS bool
	dialed      bool          // the TCP connection was made
	clear       *clearReplies // the clear-text connection, without implicit TLS
}

func (cn *connector) dial(dctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(dctx, network, addr)
	if err != nil {
		return nil, err
	}
	cn.dialed = true
	if !cn.implicitTLS {
		cn.clear = &clearReplies{Conn: c}
		c = cn.clear
	}
	if !cn.guard.set(c) {
		return nil, context.Cause(cn.ctx)
	}
	if !cn.implicitTLS {
		return c, nil
	}
	tc := tls.Client(c, cn.tls)
	if err := tc.HandshakeContext(dctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// dialFailure classifies a failure to open the session: no connection, a
// refused or broken AUTH, no STARTTLS offered, TLS, or another reply.
func (s *smtpSender) dialFailure(err error, cn *connector, auth *plainOrLogin) *SendError {
	switch {
	case !cn.dialed:
		return s.fail(true, 0, "connect: %w", err)
	case auth != nil && auth.started():
		return s.authFailure(err, auth)
	case (s.cfg.Security == "starttls" || s.cfg.Security == "") && cn.clear != nil && cn.clear.ehloWithout("STARTTLS"):
		return s.settings(0, "%w while security = \"starttls\"; nothing sent, no password given "+
			"(use security = \"tls\" if the port speaks TLS from the start)", ErrNoStartTLS)
	case isTLSError(err):
		return s.settings(0, "TLS: %w", err)
	}
	temp, code := classifyReply(err)
	return s.fail(temp, code, "%w", asReply(err))
}

// authFailure classifies a failure once AUTH started: a 5xx reply or a
// refusal to send the password are the settings' failures; a 4xx reply or
// a broken connection are temporary.
func (s *smtpSender) authFailure(err error, auth *plainOrLogin) *SendError {
	var reply *textproto.Error
	switch {
	case errors.As(err, &reply) && reply.Code/100 == 5:
		hint := ""
		if s.cfg.PasswordEnv != "" {
			hint = fmt.Sprintf(" (check the user name and the password in $%s)", s.cfg.PasswordEnv)
		}
		return s.settings(reply.Code, "authentication failed for user %q: %w%s", s.cfg.Username, asReply(reply), hint)
	case errors.As(err, &reply):
		return s.fail(true, reply.Code, "authentication failed for user %q: %w", s.cfg.Username, asReply(reply))
	case auth.refused() != nil:
		return s.settings(0, "authentication failed for user %q: %w", s.cfg.Username, auth.refused())
	}
	// The connection failed during AUTH.
	return s.fail(true, 0, "authentication failed for user %q: %w", s.cfg.Username, err)
}

// classifyReply tells whether err is worth a retry, and the reply code if
// the server sent one: 5xx is permanent, 4xx and everything that is not a
// reply (refused, reset, timeout, EOF) is temporary.
func classifyReply(err error) (temporary bool, code int) {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return reply.Code/100 != 5, reply.Code
	}
	return true, 0
}

func replyText(r *textproto.Error) string {
	return strconv.Itoa(r.Code) + " " + strings.ReplaceAll(r.Msg, "\n", " ")
}

// replyError shows a server reply as the server wrote it ("550 5.1.1 no
// such user"), where textproto.Error quotes the text.
type replyError struct{ r *textproto.Error }

func (e replyError) Error() string { return replyText(e.r) }
func (e replyError) Unwrap() error { return e.r }

// asReply returns err with a server reply in it shown as replyError; other
// errors unchanged.
func asReply(err error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return replyError{reply}
	}
	return err
}

func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		header   tls.RecordHeaderError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &header) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// connGuard holds the raw connection so that a cancelled context can close
// it from another goroutine, cutting short any command in flight.
type connGuard struct {
	mu     sync.Mutex
	c      net.Conn
	closed bool
}

// set records c; false (and c closed) when the context was already done.
func (g *connGuard) set(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		c.Close()
		return false
	}
	g.c = c
	return true
}

func (g *connGuard) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.c != nil {
		g.c.Close()
	}
}

// clearReplies records the start of what a server sends before TLS, so
// that the EHLO reply tells which extensions it offered (go-mail's error
// for a missing STARTTLS is text only).
type clearReplies struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

// maxClearReplies bounds what clearReplies keeps: a greeting and an EHLO
// reply fit many times over.
const maxClearReplies = 8 << 10

func (c *clearReplies) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if room := maxClearReplies - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

// ehloWithout reports whether the server answered EHLO (a 250 reply) and
// its reply did not list the extension keyword ext.
func (c *clearReplies) ehloWithout(ext string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ehlo := false
	for _, line := range strings.Split(string(c.buf), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 4 || !strings.HasPrefix(line, "250") || line[3] != '-' && line[3] != ' ' {
			continue
		}
		ehlo = true
		if f := strings.Fields(line[4:]); len(f) > 0 && strings.EqualFold(f[0], ext) {
			return false
		}
	}
	return ehlo
}

// plainOrLogin is AUTH PLAIN, or LOGIN when the server offers only that,
// through go-mail's implementations (which refuse clear text to any host but
// localhost unless cleartextOK).
type plainOrLogin struct {
	user, pass, host string
	cleartextOK      bool

	mu      sync.Mutex
	began   bool
	refusal error // why Start refused, if it did
	inner   gosmtp.Auth
}

func (a *plainOrLogin) Start(server *gosmtp.ServerInfo) (mech string, ir []byte, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.began = true
	defer func() { a.refusal = err }()
	if !server.TLS && !a.cleartextOK {
		return "", nil, errors.New("refusing to send the password over a connection without TLS")
	}
	switch {
	case slices.Contains(server.Auth, "PLAIN"):
		a.inner = gosmtp.PlainAuth("", a.user, a.pass, a.host, false)
	case slices.Contains(server.Auth, "LOGIN"):
		a.inner = gosmtp.LoginAuth(a.user, a.pass, a.host, false)
	default:
		return "", nil, fmt.Errorf("server offers no PLAIN or LOGIN authentication (offers %q)", strings.Join(server.Auth, " "))
	}
	return a.inner.Start(server)
}

func (a *plainOrLogin) refused() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refusal
}

func (a *plainOrLogin) Next(fromServer []byte, more bool) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inner.Next(fromServer, more)
}

func (a *plainOrLogin) started() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.began
}
