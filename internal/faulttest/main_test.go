package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// nwBin is the newswatch binary TestMain builds.
var nwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "newswatch-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		os.Exit(1)
	}
	nwBin = filepath.Join(dir, "newswatch")
	build := exec.Command("go", "build", "-o", nwBin, "newswatch/cmd/newswatch")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "faulttest: build newswatch:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// src is one [[sources]] entry.
type src struct {
	name, feed string
	extra      string // more keys of the entry
}

// conf is what a test's configuration varies in.
type conf struct {
	timeout  string // [http] timeout; default 2s
	maxBody  string // [http] max_body; default the built-in
	sources  []src
	smtp     string   // the whole [smtp] table; default: security none to the test server
	noSMTP   bool     // no [smtp]: file delivery into out/
	digest   string   // digest name; default "Brief"
	schedule string   // digest schedule; default "0 7 * * *"
	to       []string // default analyst@example.org
	topLevel string   // more top-level keys
	database string   // default nw.db in the world's folder
	digestKV string   // more keys of the [[digests]] entry
	company  string   // more [[companies]] entries
}

// world is one test's newswatch installation: a folder with the config and
// the database, a loopback SMTP server, and the environment runs get.
type world struct {
	t    *testing.T
	dir  string
	cfg  string
	mail *smtptest.Server
	env  []string
}

// newWorld starts an SMTP server with opts and writes the config c.
func newWorld(t *testing.T, c conf, opts smtptest.Options) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), mail: smtptest.New(t, opts)}
	w.cfg = filepath.Join(w.dir, "newswatch.toml")
	w.write(c)
	return w
}

// write (re)writes the configuration.
func (w *world) write(c conf) {
	w.t.Helper()
	if c.timeout == "" {
		c.timeout = "2s"
	}
	if c.digest == "" {
		c.digest = "Brief"
	}
	if c.database == "" {
		c.database = "nw.db"
	}
	if c.schedule == "" {
		c.schedule = "0 7 * * *"
	}
	if len(c.to) == 0 {
		c.to = []string{"analyst@example.org"}
	}
	var to []string
	for _, a := range c.to {
		to = append(to, fmt.Sprintf("%q", a))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "timezone = \"Europe/Brussels\"\ndatabase = %q\nmax_age = \"87600h\"\n%s\n", c.database, c.topLevel)
	fmt.Fprintf(&b, "[http]\ntimeout = %q\nper_host_delay = \"0s\"\nrespect_robots = false\n", c.timeout)
	if c.maxBody != "" {
		fmt.Fprintf(&b, "max_body = %q\n", c.maxBody)
	}
	switch {
	case c.noSMTP:
		b.WriteString("\n[output]\ndir = \"out\"\n")
	case c.smtp != "":
		b.WriteString("\n" + c.smtp + "\n")
	default:
		fmt.Fprintf(&b, "\n[smtp]\nhost = \"127.0.0.1\"\nport = %d\nsecurity = \"none\"\nfrom = \"Newswatch <newswatch@faulttest.example>\"\n", w.mail.Port())
	}
	for _, s := range c.sources {
		fmt.Fprintf(&b, "\n[[sources]]\nname = %q\nfeed = %q\n%s\n", s.name, s.feed, s.extra)
	}
	b.WriteString(`
[[companies]]
name = "Alibaba"
aliases = ["Cainiao"]
` + c.company + `
[[topics]]
name = "Espionage"
terms = ["espionage", "spying", "шпионаж"]

[[digests]]
name = ` + fmt.Sprintf("%q", c.digest) + `
schedule = ` + fmt.Sprintf("%q", c.schedule) + `
to = [` + strings.Join(to, ", ") + `]
` + c.digestKV + `
`)
	if err := os.WriteFile(w.cfg, []byte(b.String()), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// result is how a run of newswatch ended.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
	maxRSS         int64 // bytes
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// proc is a running newswatch.
type proc struct {
	cmd    *exec.Cmd
	start  time.Time
	stdout testutil.LockedBuffer
	stderr testutil.LockedBuffer
	done   chan struct{}
	res    result
}

// start runs newswatch with the world's config and args, without waiting.
func (w *world) start(args ...string) *proc {
	w.t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(nwBin, append([]string{"-config", w.cfg}, args...)...)
	p.cmd.Dir = w.dir
	p.cmd.Env = w.environ()
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		p.res = result{code: p.cmd.ProcessState.ExitCode(), took: time.Since(p.start),
			stdout: p.stdout.String(), stderr: p.stderr.String()}
		if err != nil && p.res.code == 0 {
			p.res.code = -1
		}
		if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.res.maxRSS = int64(ru.Maxrss) * 1024
		}
		close(p.done)
	}()
	w.t.Cleanup(func() { p.kill() })
	return p
}

// wait waits for the process to end, killing it after a minute.
func (p *proc) wait() result {
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.kill()
	}
	return p.res
}

// waitLog waits until the process wrote want to its standard error (a
// daemon's log line), failing the test after 30 s or when it ended first.
func (p *proc) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr.String(), want) {
		select {
		case <-p.done:
			t.Fatalf("ended before logging %q: %s", want, p.res)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged in 30 s:\n%s", want, p.stderr.String())
		}
	}
}

// kill sends SIGKILL and reaps the process, so that its PID is gone (an
// outbox lease held by it is then free).
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// run runs newswatch to the end.
func (w *world) run(args ...string) result {
	w.t.Helper()
	return w.start(args...).wait()
}

// mustRun runs newswatch and fails the test unless it exits with code.
func (w *world) mustRun(code int, args ...string) result {
	w.t.Helper()
	r := w.run(args...)
	if r.code != code {
		w.t.Fatalf("newswatch %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	return r
}

func (w *world) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NEWSWATCH_") && !strings.HasPrefix(kv, "TZ=") {
			env = append(env, kv)
		}
	}
	return append(env, w.env...)
}

// store opens the world's database (after or beside a run).
func (w *world) store() *store.Store {
	w.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(w.dir, "nw.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { st.Close() })
	return st
}

// health returns the recorded health of a source.
func (w *world) health(name string) store.Health {
	w.t.Helper()
	hs, err := w.store().Health(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, h := range hs {
		if h.Source == name {
			return h
		}
	}
	w.t.Fatalf("no health recorded for source %q", name)
	return store.Health{}
}

// items returns every stored item.
func (w *world) items() []model.Item {
	w.t.Helper()
	its, err := w.store().Items(context.Background(), store.ItemQuery{})
	if err != nil {
		w.t.Fatal(err)
	}
	return its
}

// letter is an accepted message, decoded.
type letter struct {
	msg    smtptest.Message
	header mail.Header
	text   string // text/plain part, decoded
	html   string // text/html part, decoded
}

// letters returns the messages the SMTP server accepted, decoded.
func (w *world) letters() []letter {
	w.t.Helper()
	var out []letter
	for _, m := range w.mail.Messages() {
		out = append(out, decode(w.t, m))
	}
	return out
}

func decode(t *testing.T, m smtptest.Message) letter {
	t.Helper()
	l := letter{msg: m}
	pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("message %s: %v", m.MessageID, err)
	}
	l.header = pm.Header
	mt, params, err := mime.ParseMediaType(pm.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("message %s: Content-Type: %v", m.MessageID, err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(pm.Body)
		l.text = string(b)
		return l
	}
	mr := multipart.NewReader(pm.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message %s: %v", m.MessageID, err)
		}
		b, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatalf("message %s: part: %v", m.MessageID, err)
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			l.text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			l.html = string(b)
		}
	}
	return l
}

// mentions counts the letters whose text part contains s, white space
// runs (the text part is wrapped at 72 columns) counting as one space.
func mentions(ls []letter, s string) int {
	n := 0
	for _, l := range ls {
		if strings.Contains(flat(l.text), flat(s)) {
			n++
		}
	}
	return n
}

// flat collapses white space runs into single spaces.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// wantDeliveredOnce fails unless each token is in exactly one letter.
func wantDeliveredOnce(t *testing.T, ls []letter, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if n := mentions(ls, tok); n != 1 {
			t.Errorf("%q is in %d delivered digests, want 1", tok, n)
		}
	}
}

// wantNotDelivered fails if a letter contains one of the strings.
func wantNotDelivered(t *testing.T, ls []letter, strs ...string) {
	t.Helper()
	for _, s := range strs {
		for _, l := range ls {
			if strings.Contains(l.text, s) || strings.Contains(l.html, s) {
				t.Errorf("delivered digest %s contains %q", l.msg.MessageID, s)
			}
		}
	}
}

// story is a matching item whose title carries token.
func story(token string) string {
	return testutil.Item("Cainiao espionage probe "+token, "https://news.example/"+token, "", "Investigators suspect spying at the Cainiao hub.")
}

// serveFeed serves body as an RSS feed on every path.
func serveFeed(t *testing.T, body string) *httptest.Server {
	t.Helper()
	return testutil.ServeBytes(t, "application/rss+xml", []byte(body))
}

// goodSource is a healthy source with one matching story, token.
func goodSource(t *testing.T, token string) src {
	t.Helper()
	return src{name: "Good", feed: serveFeed(t, testutil.RSS(story(token))).URL + "/feed.xml"}
}
