// Package smtptest runs a real SMTP server in process, on the loopback
// interface, for tests that deliver mail.
//
// The server is github.com/emersion/go-smtp. It can offer STARTTLS or speak
// implicit TLS with a certificate generated at start (trusted by the
// *tls.Config that [Server.ClientTLSConfig] returns), offer AUTH PLAIN and
// LOGIN for one user, and misbehave on command: answer 421/451/550/552 at a
// chosen stage, drop the connection in the middle of DATA or right after
// accepting a message, or wait before replying (see [Fault]). Every message it
// accepts is recorded ([Server.Messages]).
//
// A message counts as accepted the moment the server commits it, just before
// the final 250 is written: if the client has gone away by then (killed, or
// timed out during a [Fault.Delay]), the message is still recorded, as a real
// server would have queued it. That is the window in which an at-least-once
// sender sends a duplicate.
//
// [Options.OnStage] reports each stage of each session synchronously, so a
// test can block the server at an exact point (and kill a client there)
// without sleeping.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Stage is a point in an SMTP session where a [Fault] can apply and
// [Options.OnStage] is called.
type Stage int

// Stages, in the order a session goes through them.
const (
	// Connect is the connection's first reply, the 220 greeting (with
	// ImplicitTLS, the TLS handshake before it). A Delay here is a server
	// that accepts the connection and says nothing; a Code replaces the
	// greeting (ignored with ImplicitTLS); a Drop hangs up at once.
	Connect Stage = iota + 1
	// Hello is EHLO/HELO, when the session starts (again after STARTTLS).
	Hello
	// Auth is an AUTH command, before the credentials are checked.
	Auth
	// Mail is MAIL FROM.
	Mail
	// Rcpt is one RCPT TO (once per recipient).
	Rcpt
	// DataBody is just after the 354 reply to DATA, before the body is read.
	// A Drop here reads the first bytes of the body, then closes the
	// connection: a reset in the middle of DATA.
	DataBody
	// DataEnd is after the whole body was read, before the final reply.
	// The message is recorded after this stage unless a fault answers
	// with a Code or a Drop.
	DataEnd
	// Accepted is right after the final 250 for a message was written.
	// A Drop here closes the connection before the client's next command
	// (RSET or QUIT): the message was delivered all the same.
	Accepted
)

var stageNames = map[Stage]string{
	Connect: "connect", Hello: "hello", Auth: "auth", Mail: "mail", Rcpt: "rcpt",
	DataBody: "data-body", DataEnd: "data-end", Accepted: "accepted",
}

// String returns the stage's lower-case name.
func (s Stage) String() string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return "stage(" + strconv.Itoa(int(s)) + ")"
}

// Fault makes the server misbehave at one stage. Delay applies first, then
// Drop or Code; a fault with neither only delays.
type Fault struct {
	Stage Stage
	// Code is the reply to send instead of the normal one (421, 451, 550,
	// 552, ...). A 421 also closes the connection, as RFC 5321 says.
	// Ignored at Accepted.
	Code int
	// Message is the reply text; default "test fault".
	Message string
	// Rcpts limits a Rcpt fault to these addresses (case-insensitive);
	// empty means every recipient.
	Rcpts []string
	// Delay is waited before replying; longer than the client's timeout, it
	// is a hang. The server's Close cuts it short.
	Delay time.Duration
	// Drop closes the connection instead of replying (see the stages for
	// what exactly happens at DataBody and Accepted).
	Drop bool
	// Times is how many times the fault fires before it disarms; 0 means
	// every time.
	Times int
}

// Event is what [Options.OnStage] receives.
type Event struct {
	Stage     Stage
	Session   int    // 1 for the first connection, 2 for the next, ...
	TLS       bool   // the session is encrypted
	Rcpt      string // at Rcpt: the recipient
	MessageID string // at DataEnd and Accepted: the Message-ID header, without <>
}

// Options configure a [Server].
type Options struct {
	// StartTLS offers STARTTLS with the generated certificate.
	StartTLS bool
	// ImplicitTLS makes the server speak TLS from the first byte (SMTPS).
	ImplicitTLS bool
	// Username and Password, when Username is set, enable AUTH and require
	// it before MAIL FROM.
	Username string
	Password string
	// Mechanisms offered for AUTH; default PLAIN and LOGIN.
	Mechanisms []string
	// AllowInsecureAuth offers AUTH on a connection that is not encrypted
	// (go-smtp offers it only over TLS otherwise). Tests that check a client
	// never authenticates in clear text turn it on.
	AllowInsecureAuth bool
	// OnStage, when set, is called at every stage of every session, from
	// the session's goroutine, before any fault applies. Blocking in it
	// holds that session there. It must be safe for concurrent use.
	OnStage func(Event)
}

// Message is a message the server accepted.
type Message struct {
	From      string   // MAIL FROM address
	To        []string // accepted RCPT TO addresses
	Data      []byte   // the message as received (CRLF line ends, dot-unstuffed)
	Header    mail.Header
	MessageID string // Message-ID header without <>
	Subject   string // Subject header, RFC 2047 decoded
	TLS       bool   // received over an encrypted connection
	User      string // authenticated user, "" without AUTH
	Session   int
}

// Counts are running totals since the server started.
type Counts struct {
	Sessions int // sessions started (EHLO/HELO; again after STARTTLS)
	Auths    int // AUTH commands received
	AuthOK   int // successful authentications
	Mails    int // MAIL FROM commands received
	Accepted int // messages accepted (recorded)
}

// Server is a running test SMTP server. Its methods are safe for concurrent
// use.
type Server struct {
	opts      Options
	srv       *smtp.Server
	ln        net.Listener
	addr      *net.TCPAddr
	cert      *x509.Certificate
	tlsConfig *tls.Config // server side
	done      chan struct{}
	closeOnce sync.Once
	serveErr  chan error

	mu       sync.Mutex
	faults   []*armedFault
	messages []Message
	counts   Counts
	conns    int
}

type armedFault struct {
	Fault
	left int // -1: unlimited
}

// New starts a server for the test and closes it when the test ends. It
// fails the test if the server cannot start.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Start starts a server on 127.0.0.1 with a free port. Close stops it.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, done: make(chan struct{}), serveErr: make(chan error, 1)}
	if opts.StartTLS || opts.ImplicitTLS {
		cert, leaf, err := testCert()
		if err != nil {
			return nil, err
		}
		s.cert = leaf
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s.ln = ln
	s.addr = ln.Addr().(*net.TCPAddr)

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 64 << 20
	srv.MaxRecipients = 100
	srv.AllowInsecureAuth = opts.AllowInsecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if opts.StartTLS && !opts.ImplicitTLS {
		srv.TLSConfig = s.tlsConfig
	}
	s.srv = srv

	var l net.Listener = &faultListener{Listener: ln, s: s}
	if opts.ImplicitTLS {
		l = tls.NewListener(l, s.tlsConfig)
	}
	go func() { s.serveErr <- srv.Serve(l) }()
	return s, nil
}

// Close stops the server: it ends pending delays (their sessions hang up
// instead of going on), closes the listener and every connection. It is
// safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.srv.Close()
		// Serve may not have registered the listener yet: close it here
		// too, so that it returns either way.
		s.ln.Close()
		<-s.serveErr
	})
	return err
}

// Addr is the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr.String() }

// Host is "127.0.0.1".
func (s *Server) Host() string { return s.addr.IP.String() }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.addr.Port }

// Certificate is the generated server certificate, nil without TLS.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// CertPool is a pool trusting the server's certificate, nil without TLS.
func (s *Server) CertPool() *x509.CertPool {
	if s.cert == nil {
		return nil
	}
	p := x509.NewCertPool()
	p.AddCert(s.cert)
	return p
}

// CertPEM is the server certificate in PEM form, nil without TLS. A test
// that runs a client in another process can write it to a file and point
// SSL_CERT_FILE at it: Go's crypto/x509 then trusts it on Linux.
func (s *Server) CertPEM() []byte {
	if s.cert == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})
}

// ClientTLSConfig is a client configuration that trusts the server's
// certificate and verifies it for 127.0.0.1; nil without TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.cert == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.CertPool(), ServerName: s.Host(), MinVersion: tls.VersionTLS12}
}

// SetFaults replaces the armed faults; none clears them. Faults apply to
// the sessions' next commands, including sessions already open.
func (s *Server) SetFaults(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = s.faults[:0]
	for _, f := range faults {
		left := f.Times
		if left <= 0 {
			left = -1
		}
		s.faults = append(s.faults, &armedFault{Fault: f, left: left})
	}
}

// Messages returns a copy of the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Count returns how many accepted messages carry the Message-ID (without <>).
func (s *Server) Count(messageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.messages {
		if m.MessageID == messageID {
			n++
		}
	}
	return n
}

// Counts returns the running totals.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// fault returns the first armed fault for the stage (and recipient) and
// uses one of its shots.
func (s *Server) fault(st Stage, rcpt string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Stage != st {
			continue
		}
		if st == Rcpt && len(f.Rcpts) > 0 && !slices.ContainsFunc(f.Rcpts, func(a string) bool {
			return strings.EqualFold(a, rcpt)
		}) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// wait sleeps for d or until the server closes; it reports whether the
// server is closing, when the session must end rather than go on.
func (s *Server) wait(d time.Duration) (closing bool) {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.done:
		}
	}
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) notify(ev Event) {
	if s.opts.OnStage != nil {
		s.opts.OnStage(ev)
	}
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	fc := rawConn(c.Conn())
	_, isTLS := c.TLSConnectionState()
	s.mu.Lock()
	s.counts.Sessions++
	id := 0
	if fc != nil {
		id = fc.id
	}
	s.mu.Unlock()
	sess := &session{s: s, c: c, fc: fc, id: id, tls: isTLS}
	if err := sess.stage(Event{Stage: Hello}); err != nil {
		return nil, err
	}
	return sess, nil
}

// faultListener wraps accepted connections so that the server can act
// right after a reply was written.
type faultListener struct {
	net.Listener
	s *Server
}

func (l *faultListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.mu.Lock()
	l.s.conns++
	id := l.s.conns
	l.s.mu.Unlock()
	return &faultConn{Conn: c, id: id, s: l.s}, nil
}

type faultConn struct {
	net.Conn
	id      int
	s       *Server
	greeted bool // the first write, the greeting, went through Connect

	mu         sync.Mutex
	afterWrite func()
}

// Write writes, then runs the action armed for after the next reply.
func (c *faultConn) Write(p []byte) (int, error) {
	if !c.greeted {
		c.greeted = true
		if n, err, done := c.connectStage(p); done {
			return n, err
		}
	}
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	f := c.afterWrite
	c.afterWrite = nil
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return n, err
}

// connectStage runs the Connect stage before the first write; done means
// a fault took the write's place.
func (c *faultConn) connectStage(p []byte) (n int, err error, done bool) {
	c.s.notify(Event{Stage: Connect, Session: c.id})
	f, ok := c.s.fault(Connect, "")
	if !ok {
		return 0, nil, false
	}
	closing := c.s.wait(f.Delay)
	switch {
	case f.Drop || closing:
		c.Conn.Close()
		return 0, net.ErrClosed, true
	case f.Code != 0 && !c.s.opts.ImplicitTLS:
		msg := f.Message
		if msg == "" {
			msg = "test fault"
		}
		_, err := fmt.Fprintf(c.Conn, "%d %d.0.0 %s\r\n", f.Code, f.Code/100, msg)
		c.Conn.Close()
		return len(p), err, true
	}
	return 0, nil, false
}

func (c *faultConn) onNextWrite(f func()) {
	c.mu.Lock()
	c.afterWrite = f
	c.mu.Unlock()
}

func rawConn(c net.Conn) *faultConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	fc, _ := c.(*faultConn)
	return fc
}

type session struct {
	s   *Server
	c   *smtp.Conn
	fc  *faultConn
	id  int
	tls bool

	user  string
	from  string
	rcpts []string
}

// stage reports the event, then applies the fault armed for it: an error
// to return as the reply, or nil to go on normally.
func (ss *session) stage(ev Event) error {
	ev.Session, ev.TLS = ss.id, ss.tls
	ss.s.notify(ev)
	f, ok := ss.s.fault(ev.Stage, ev.Rcpt)
	if !ok {
		return nil
	}
	closing := ss.s.wait(f.Delay)
	switch {
	case f.Drop || closing:
		ss.drop()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "connection dropped (test fault)"}
	case f.Code != 0:
		msg := f.Message
		if msg == "" {
			msg = "test fault"
		}
		if f.Code == 421 && ss.fc != nil {
			ss.fc.onNextWrite(ss.drop)
		}
		return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCode{f.Code / 100, 0, 0}, Message: msg}
	}
	return nil
}

func (ss *session) drop() {
	if ss.fc != nil {
		ss.fc.Conn.Close()
		return
	}
	ss.c.Conn().Close()
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	if len(ss.s.opts.Mechanisms) > 0 {
		return ss.s.opts.Mechanisms
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	ss.s.counts.Auths++
	ss.s.mu.Unlock()
	if err := ss.stage(Event{Stage: Auth}); err != nil {
		return nil, err
	}
	if !slices.Contains(ss.AuthMechanisms(), mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return ss.check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: ss.check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) check(user, pass string) error {
	if user != ss.s.opts.Username || pass != ss.s.opts.Password {
		return smtp.ErrAuthFailed
	}
	ss.user = user
	ss.s.mu.Lock()
	ss.s.counts.AuthOK++
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	ss.s.counts.Mails++
	ss.s.mu.Unlock()
	if ss.s.opts.Username != "" && ss.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if err := ss.stage(Event{Stage: Mail}); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.stage(Event{Stage: Rcpt, Rcpt: to}); err != nil {
		return err
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	ss.s.notify(Event{Stage: DataBody, Session: ss.id, TLS: ss.tls})
	if f, ok := ss.s.fault(DataBody, ""); ok {
		closing := ss.s.wait(f.Delay)
		switch {
		case closing:
			ss.drop()
			return errors.New("smtptest: server closed during DATA")
		case f.Drop:
			// Take part of the body, then hang up while the client is
			// still writing.
			_, _ = io.ReadFull(r, make([]byte, 64))
			ss.drop()
			return errors.New("smtptest: connection dropped during DATA")
		case f.Code != 0:
			_, _ = io.Copy(io.Discard, r)
			return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCode{f.Code / 100, 0, 0}, Message: "test fault"}
		}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: ss.from, To: slices.Clone(ss.rcpts), Data: data, TLS: ss.tls, User: ss.user, Session: ss.id}
	if pm, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.Header = pm.Header
		m.MessageID = strings.Trim(strings.TrimSpace(pm.Header.Get("Message-Id")), "<>")
		m.Subject = pm.Header.Get("Subject")
		if dec, err := new(mime.WordDecoder).DecodeHeader(m.Subject); err == nil {
			m.Subject = dec
		}
	}
	if err := ss.stage(Event{Stage: DataEnd, MessageID: m.MessageID}); err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, m)
	ss.s.counts.Accepted++
	ss.s.mu.Unlock()
	if ss.fc != nil {
		ss.fc.onNextWrite(func() {
			ss.s.notify(Event{Stage: Accepted, Session: ss.id, TLS: ss.tls, MessageID: m.MessageID})
			if f, ok := ss.s.fault(Accepted, ""); ok {
				if closing := ss.s.wait(f.Delay); closing || f.Drop {
					ss.drop()
				}
			}
		})
	}
	return nil
}

func (ss *session) Reset() {
	ss.from = ""
	ss.rcpts = nil
}

func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl does not
// provide: it asks for the user name, then the password.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(resp) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user = string(resp)
		l.step = 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}
