package faulttest

// Fault cases 14–17 (see the package doc): conditional GET after a failed run, hostile text
// in the mail, and SMTP faults, through `newswatch once` and `send` (and,
// for what the binary cannot reach in reasonable time, the outbox's Deliver
// with the real store and SMTP sender).

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"newswatch/config"
	"newswatch/deliver"
	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// dbLock holds the database's write lock from the test process, as a
// long write by another process would.
type dbLock struct {
	db   *sql.DB
	conn *sql.Conn
}

// lockDB takes the write lock of the SQLite file at path (BEGIN IMMEDIATE).
func lockDB(t *testing.T, path string) *dbLock {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)")
	if err != nil {
		t.Error(err)
		return nil
	}
	conn, err := db.Conn(context.Background())
	if err == nil {
		_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	}
	if err != nil {
		t.Errorf("lock %s: %v", path, err)
		db.Close()
		return nil
	}
	return &dbLock{db: db, conn: conn}
}

func (l *dbLock) release() {
	if l == nil {
		return
	}
	_, _ = l.conn.ExecContext(context.Background(), "ROLLBACK")
	l.conn.Close()
	l.db.Close()
}

// TestFault14ETag304AfterFailedProcessing: the validators of a fetch are
// kept only once its items are committed, and a 304 never hides items that
// were stored but not yet delivered.
func TestFault14ETag304AfterFailedProcessing(t *testing.T) {
	t.Parallel()
	type server struct {
		mu          sync.Mutex
		inm         []string // If-None-Match of each request
		notModified int
		onServe     func() // before the body is written (first request only)
	}
	feedServer := func(t *testing.T, s *server, body string) string {
		return testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.inm = append(s.inm, r.Header.Get("If-None-Match"))
			hook := s.onServe
			s.onServe = nil
			if r.Header.Get("If-None-Match") == `"v1"` {
				s.notModified++
				s.mu.Unlock()
				w.WriteHeader(http.StatusNotModified)
				return
			}
			s.mu.Unlock()
			if hook != nil {
				hook()
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = io.WriteString(w, body)
		}).URL + "/feed"
	}

	t.Run("killed before the items commit", func(t *testing.T) {
		t.Parallel()
		s := &server{}
		w := newWorld(t, conf{sources: []src{{name: "Feed", feed: feedServer(t, s, testutil.RSS(story("t14killed")))}}}, smtptest.Options{})
		served := make(chan *dbLock, 1)
		s.mu.Lock()
		s.onServe = func() { served <- lockDB(t, filepath.Join(w.dir, "nw.db")) }
		s.mu.Unlock()
		p := w.start("once")
		var lock *dbLock
		select {
		case lock = <-served:
		case <-time.After(30 * time.Second):
			t.Fatal("the feed was never requested")
		}
		time.Sleep(50 * time.Millisecond) // the response is read; the insert waits for the lock
		p.kill()
		lock.release()
		if etag, _, _ := w.store().Validators(context.Background(), "Feed"); etag != "" {
			t.Errorf("ETag %q saved by a run that stored no items", etag)
		}
		w.mustRun(0, "once")
		s.mu.Lock()
		inm := slices.Clone(s.inm)
		s.mu.Unlock()
		if len(inm) != 2 || inm[1] != "" {
			t.Errorf("If-None-Match of the requests: %q; want none after the failed run", inm)
		}
		wantDeliveredOnce(t, w.letters(), "t14killed")
	})

	t.Run("item insert fails", func(t *testing.T) {
		t.Parallel()
		s := &server{}
		w := newWorld(t, conf{sources: []src{{name: "Feed", feed: feedServer(t, s, testutil.RSS(story("t14insert")))}}}, smtptest.Options{})
		w.store() // creates the database
		db, err := sql.Open("sqlite", "file:"+filepath.Join(w.dir, "nw.db")+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TRIGGER fail_items BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
			t.Fatal(err)
		}
		r := w.run("once")
		if !strings.Contains(r.stdout+r.stderr, "injected failure") {
			t.Errorf("the failed insert is not reported:\n%s", r)
		}
		if _, err := db.Exec(`DROP TRIGGER fail_items`); err != nil {
			t.Fatal(err)
		}
		w.mustRun(0, "once")
		s.mu.Lock()
		inm := slices.Clone(s.inm)
		s.mu.Unlock()
		if len(inm) != 2 || inm[1] != "" {
			t.Errorf("If-None-Match of the requests: %q; want none after the failed run", inm)
		}
		// The first once completed the digest's slot with nothing to send:
		// the story waits for the next slot, or a send.
		w.mustRun(0, "send")
		wantDeliveredOnce(t, w.letters(), "t14insert")
	})

	t.Run("delivery failed after the items commit", func(t *testing.T) {
		t.Parallel()
		s := &server{}
		w := newWorld(t, conf{sources: []src{{name: "Feed", feed: feedServer(t, s, testutil.RSS(story("t14pending")))}}}, smtptest.Options{})
		w.mail.SetFaults(smtptest.Fault{Stage: smtptest.Connect, Code: 421})
		w.mustRun(1, "once")
		w.mail.SetFaults()
		w.mustRun(0, "once")
		s.mu.Lock()
		nm := s.notModified
		s.mu.Unlock()
		if nm != 1 {
			t.Errorf("the second fetch got %d 304s, want 1", nm)
		}
		wantDeliveredOnce(t, w.letters(), "t14pending")
	})
}

// htmlProblems lists what could execute or load in an HTML part: script-
// capable elements, event handler attributes, links and sources that are not
// http(s) or mailto, and styles that call url() or expression().
func htmlProblems(doc string) []string {
	var out []string
	bad := map[string]bool{"script": true, "iframe": true, "frame": true, "object": true, "embed": true, "svg": true,
		"math": true, "img": true, "form": true, "input": true, "button": true, "base": true, "link": true, "style": true,
		"video": true, "audio": true, "source": true, "applet": true, "meta": false}
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if bad[tok.Data] {
			out = append(out, "element <"+tok.Data+">")
		}
		for _, a := range tok.Attr {
			key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(key, "on"):
				out = append(out, fmt.Sprintf("attribute %s=%q on <%s>", a.Key, a.Val, tok.Data))
			case key == "href" || key == "src" || key == "action" || key == "formaction" || key == "background" || key == "poster":
				if u, err := url.Parse(val); val != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto")) {
					out = append(out, fmt.Sprintf("%s=%q on <%s>", a.Key, a.Val, tok.Data))
				}
			case key == "style" && (strings.Contains(val, "url(") || strings.Contains(val, "expression(") || strings.Contains(val, "javascript:")):
				out = append(out, fmt.Sprintf("style %q on <%s>", a.Val, tok.Data))
			case key == "http-equiv" && val == "refresh":
				out = append(out, "meta refresh")
			}
		}
	}
}

// TestFault15ScriptInTitle: titles, summaries and links carrying <script>,
// event handlers, javascript: and data: URLs leave nothing executable in the
// HTML part; the stories themselves are still delivered, as text.
func TestFault15ScriptInTitle(t *testing.T) {
	t.Parallel()
	// Six different events (each title names its own), so that story
	// grouping shows each with its own title rather than as "also reported".
	items := []string{
		testutil.Item(`<![CDATA[<script>alert(1)</script> Cainiao espionage: Rotterdam customs raid warehouse t15a]]>`, "https://x.example/a", "", "Spying."),
		testutil.Item(`Cainiao espionage &lt;img src=x onerror=alert(2)&gt; Hamburg court hears dockworkers t15b`, "https://x.example/b", "",
			`<![CDATA[<a href="javascript:alert(3)" onclick="alert(4)">click</a> spying <iframe src="data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg=="></iframe><img src=x onerror="alert(6)"><svg onload="alert(7)"></svg><p style="background:url(javascript:alert(8))">styled</p>]]>`),
		testutil.Item(`Cainiao espionage: Madrid regulator fines courier t15c`, "javascript:alert(9)", "c-guid", "Spying with a javascript: link."),
		testutil.Item(`Cainiao espionage: Warsaw parliament debates ban t15d`, "data:text/html,&lt;script&gt;alert(10)&lt;/script&gt;", "d-guid", "Spying with a data: link."),
		testutil.Item(`&lt;script&gt;alert(11)&lt;/script&gt; Cainiao espionage: Lisbon minister resigns t15e`, "https://x.example/e\" onmouseover=\"alert(12)", "", "Quote in the link."),
		testutil.Item(`<![CDATA[<a href="vbscript:msgbox(13)">Cainiao</a> espionage: Oslo embassy expels attaché <b onmouseover=alert(14)>t15f</b>]]>`, "https://x.example/f", "", "<![CDATA[<meta http-equiv=refresh content=0;url=javascript:alert(15)> spying]]>"),
	}
	w := newWorld(t, conf{sources: []src{{name: "Hostile <b>source</b>", feed: serveFeed(t, testutil.RSS(items...)).URL}}}, smtptest.Options{})
	w.mustRun(0, "once")
	ls := w.letters()
	if len(ls) != 1 {
		t.Fatalf("%d digests, want 1", len(ls))
	}
	for _, p := range htmlProblems(ls[0].html) {
		t.Errorf("HTML part: %s", p)
	}
	if strings.Contains(strings.ToLower(ls[0].html), "<script") {
		t.Error("HTML part contains <script")
	}
	// The javascript: and data: links are dropped: their stories carry no
	// link at all, not an empty one.
	if strings.Contains(ls[0].html, `href=""`) {
		t.Error(`HTML part has an empty href=""`)
	}
	if m := regexp.MustCompile(`(?m)^\[\d+\] *$`).FindString(ls[0].text); m != "" {
		t.Errorf("text part lists an empty link %q", m)
	}
	for _, tok := range []string{"t15a", "t15b", "t15c", "t15d", "t15e", "t15f"} {
		if !strings.Contains(ls[0].html, tok) || mentions(ls, tok) != 1 {
			t.Errorf("story %s not delivered", tok)
		}
	}
	if t.Failed() || os.Getenv("FAULTTEST_SHOW") != "" {
		t.Logf("HTML part:\n%s\ntext part:\n%s", ls[0].html, ls[0].text)
	}
}

// headerProblems checks the raw header section of a message: one Subject,
// no Bcc or Cc, no bare CR or LF, every line a header or a continuation.
func headerProblems(data []byte) []string {
	var out []string
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		return []string{"no end of header"}
	}
	head := string(data[:end])
	subjects := 0
	name := regexp.MustCompile(`^[!-9;-~]+:`)
	for _, line := range strings.Split(head, "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			out = append(out, fmt.Sprintf("bare CR or LF in %q", line))
		}
		if len(line) > 998 {
			out = append(out, fmt.Sprintf("line of %d characters", len(line)))
		}
		switch {
		case line == "":
			out = append(out, "empty header line")
		case line[0] == ' ' || line[0] == '\t':
		case !name.MatchString(line):
			out = append(out, fmt.Sprintf("not a header line: %q", line))
		default:
			h := strings.ToLower(line[:strings.IndexByte(line, ':')])
			if h == "subject" {
				subjects++
			}
			if h == "bcc" || h == "cc" {
				out = append(out, "header "+line)
			}
		}
	}
	if subjects != 1 {
		out = append(out, fmt.Sprintf("%d Subject headers", subjects))
	}
	return out
}

// subjectAttacks are subjects (or titles) that try to add a header.
var subjectAttacks = map[string]string{
	"crlf":         "Cainiao espionage t16crlf\r\nBcc: crlf@evil.example",
	"encoded crlf": "Cainiao espionage t16word =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("\r\nBcc: word@evil.example")) + "?=",
	"lone lf":      "Cainiao espionage t16lf\nBcc: lf@evil.example\n\nbody",
	"long":         "Cainiao espionage t16long " + strings.Repeat("ab", 1000),
	"unicode":      "Cainiao espionage t16uni\u2028Bcc: ls@evil.example\u0085x\u202E",
}

// TestFault16SubjectInjection: CR LF, character references, encoded-words
// that decode to CR LF and 2,000-character text, in feed titles and in the
// company names the subject lists, give one folded Subject header and no new
// header, and the message reaches the configured recipient only. The outbox
// subtest hands the same attacks to the sender as the stored subject.
func TestFault16SubjectInjection(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, ms []smtptest.Message, want int) {
		t.Helper()
		if len(ms) != want {
			t.Fatalf("%d messages, want %d", len(ms), want)
		}
		for _, m := range ms {
			for _, p := range headerProblems(m.Data) {
				t.Errorf("message %s: %s", m.MessageID, p)
			}
			if len(m.To) != 1 || m.To[0] != "analyst@example.org" {
				t.Errorf("message %s went to %q", m.MessageID, m.To)
			}
			if strings.ContainsAny(m.Subject, "\r\n") || strings.Contains(m.Subject, "evil.example>") {
				t.Errorf("decoded subject %q", m.Subject)
			}
			if n := len([]rune(m.Subject)); n > deliver.MaxSubject {
				t.Errorf("subject of %d characters", n)
			}
		}
	}

	t.Run("feed titles and company names", func(t *testing.T) {
		t.Parallel()
		var items []string
		for name, title := range subjectAttacks {
			items = append(items, testutil.Item("<![CDATA["+title+"]]>", "https://x.example/"+strings.ReplaceAll(name, " ", "-"), "", "Spying."))
		}
		items = append(items, testutil.Item("Cainiao espionage t16refs&#13;&#10;Bcc: refs@evil.example", "https://x.example/refs", "", "Spying."))
		// Companies with hostile names, each with more stories than
		// Alibaba so that the subject lists all three.
		for alias, n := range map[string]int{"t16evil": 9, "t16enc": 8, "t16long": 7} {
			for i := range n {
				items = append(items, testutil.Item(fmt.Sprintf("Dispatch %d on %s", i, alias), fmt.Sprintf("https://x.example/%s/%d", alias, i), "",
					strings.Repeat(fmt.Sprintf("u%d%s ", i, alias), 5)))
			}
		}
		companies := `
[[companies]]
name = "Evil\r\nBcc: company@evil.example"
aliases = ["t16evil"]
all_news = true

[[companies]]
name = "=?UTF-8?B?` + base64.StdEncoding.EncodeToString([]byte("\r\nBcc: encoded@evil.example")) + `?="
aliases = ["t16enc"]
all_news = true

[[companies]]
name = "` + strings.Repeat("Long", 500) + `"
aliases = ["t16long"]
all_news = true
`
		w := newWorld(t, conf{company: companies, sources: []src{{name: "Hostile", feed: serveFeed(t, testutil.RSS(items...)).URL}}}, smtptest.Options{})
		r := w.run("once")
		if r.code == 2 {
			t.Logf("config refused the hostile company names: %s", r.stderr)
			w.write(conf{sources: []src{{name: "Hostile", feed: serveFeed(t, testutil.RSS(items...)).URL}}})
			r = w.run("once")
		}
		if r.code != 0 {
			t.Fatalf("once: %s", r)
		}
		check(t, w.mail.Messages(), 1)
		t.Logf("subject: %q", w.mail.Messages()[0].Subject)
	})

	t.Run("digest name", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, conf{digest: "Brief\nBcc: name@evil.example", sources: []src{goodSource(t, "t16name")}}, smtptest.Options{})
		r := w.mustRun(2, "once")
		if !strings.Contains(r.stderr, "digests[0].name") || !strings.Contains(r.stderr, "control characters") {
			t.Errorf("the refusal does not name the key and the reason:\n%s", r.stderr)
		}
		if n := len(w.mail.Messages()); n != 0 {
			t.Errorf("%d messages sent", n)
		}
	})

	t.Run("outbox subject", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.New(t, smtptest.Options{})
		st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "nw.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		slot := time.Date(2026, 1, 5, 7, 0, 0, 0, time.UTC)
		for name, subject := range subjectAttacks {
			slot = slot.Add(time.Hour)
			m := model.Message{Digest: "Brief", Slot: slot, MessageID: fmt.Sprintf("<%d@faulttest.example>", slot.Unix()),
				Subject: subject, To: []string{"analyst@example.org"}, Text: name, HTML: "<p>" + name + "</p>", Created: slot, CoveredUntil: slot}
			if err := st.CreateMessage(context.Background(), &m); err != nil {
				t.Fatal(err)
			}
		}
		sender := deliver.NewSMTPSender(config.SMTP{Host: srv.Host(), Port: srv.Port(), Security: "none", From: "Newswatch <nw@faulttest.example>"}, nil)
		rep, err := deliver.Deliver(context.Background(), st, sender, time.Now(), deliver.RetryPolicy{Immediate: true})
		if err != nil || len(rep.Sent) != len(subjectAttacks) {
			t.Fatalf("deliver: %v, report %+v", err, rep)
		}
		check(t, srv.Messages(), len(subjectAttacks))
	})
}

// TestFault17SMTP: each SMTP fault through `newswatch once`: a temporary
// one (421, 451 at RCPT or at the end of DATA, a reset during DATA) keeps the
// digest pending and the next `send` delivers it exactly once with all its
// stories; a permanent one (550, 552 also to the trimmed resend) marks it failed with the server's
// reply and releases its stories for the next digest; a 452 for one of two
// recipients keeps the digest for that one alone, and the next `send`
// delivers it to them with the same Message-ID; 250 then a dropped
// connection counts as delivered; STARTTLS missing under security =
// "starttls" fails before any AUTH or MAIL.
func TestFault17SMTP(t *testing.T) {
	t.Parallel()
	feed := serveFeed(t, testutil.RSS(story("t17one"), testutil.Item("Cainiao spying second t17two", "https://news.example/t17two", "", "Another spying story entirely.")))
	sources := []src{{name: "Wire", feed: feed.URL}}
	tokens := []string{"t17one", "t17two"}

	outbox := func(t *testing.T, w *world) []model.Message {
		t.Helper()
		ms, err := w.store().Messages(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}

	temporary := []struct {
		name  string
		fault smtptest.Fault
		want  string // in the outbox's last error
	}{
		{"421 greeting", smtptest.Fault{Stage: smtptest.Connect, Code: 421}, "421"},
		{"421 at MAIL", smtptest.Fault{Stage: smtptest.Mail, Code: 421}, "421"},
		{"451 at RCPT", smtptest.Fault{Stage: smtptest.Rcpt, Code: 451}, "451"},
		{"451 at end of DATA", smtptest.Fault{Stage: smtptest.DataEnd, Code: 451}, "451"},
		{"reset during DATA", smtptest.Fault{Stage: smtptest.DataBody, Drop: true}, "smtp"},
	}
	for _, tt := range temporary {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, conf{sources: sources}, smtptest.Options{})
			w.mail.SetFaults(tt.fault)
			r := w.mustRun(1, "once")
			if !strings.Contains(r.stdout, "will retry") {
				t.Errorf("once does not say it will retry:\n%s", r)
			}
			ms := outbox(t, w)
			if len(ms) != 1 || ms[0].Status != model.MessagePending || !strings.Contains(ms[0].LastError, tt.want) {
				t.Fatalf("outbox after the fault: %+v", ms)
			}
			if n := len(w.mail.Messages()); n != 0 {
				t.Errorf("%d messages accepted during the fault", n)
			}
			w.mail.SetFaults()
			w.mustRun(0, "send")
			ls := w.letters()
			if len(ls) != 1 || ls[0].msg.MessageID != strings.Trim(ms[0].MessageID, "<>") {
				t.Fatalf("after the retry: %d messages, want 1 with Message-ID %s", len(ls), ms[0].MessageID)
			}
			wantDeliveredOnce(t, ls, tokens...)
			w.mustRun(0, "send")
			if n := len(w.mail.Messages()); n != 1 {
				t.Errorf("a further send delivered %d messages in all", n)
			}
		})
	}

	permanent := []struct {
		name  string
		fault smtptest.Fault
		want  string
	}{
		{"550 at RCPT", smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Message: "no such user"}, "550"},
		{"552 at end of DATA", smtptest.Fault{Stage: smtptest.DataEnd, Code: 552}, "552"},
	}
	for _, tt := range permanent {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, conf{sources: sources}, smtptest.Options{})
			w.mail.SetFaults(tt.fault)
			r := w.mustRun(1, "once")
			if !strings.Contains(r.stdout, "failed for good") || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("once does not report the refusal:\n%s", r)
			}
			ms := outbox(t, w)
			if len(ms) != 1 || ms[0].Status != model.MessageFailed || !strings.Contains(ms[0].LastError, tt.want) {
				t.Fatalf("outbox after the refusal: %+v", ms)
			}
			if st := w.mustRun(0, "status"); !strings.Contains(st.stdout, "failed") || !strings.Contains(st.stdout, tt.want) {
				t.Errorf("status does not show the failed digest:\n%s", st.stdout)
			}
			// The stories are released: the next digest carries them, and
			// names the one that failed.
			p := w.mustRun(0, "preview")
			for _, tok := range tokens {
				if !strings.Contains(p.stdout, tok) {
					t.Errorf("story %s is not in the next digest:\n%s", tok, p.stdout)
				}
			}
			if !strings.Contains(p.stdout, tt.want) {
				t.Errorf("the next digest does not name the failed one:\n%s", p.stdout)
			}
		})
	}

	t.Run("550 for one of two recipients", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, conf{sources: sources, to: []string{"analyst@example.org", "gone@example.org"}}, smtptest.Options{})
		w.mail.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Code: 550, Rcpts: []string{"gone@example.org"}})
		r := w.mustRun(0, "once")
		if !strings.Contains(r.stdout, "gone@example.org rejected") {
			t.Errorf("the rejected recipient is not reported:\n%s", r)
		}
		ls := w.letters()
		if len(ls) != 1 || !slices.Equal(ls[0].msg.To, []string{"analyst@example.org"}) {
			t.Fatalf("messages: %d", len(ls))
		}
		if ms := outbox(t, w); ms[0].Status != model.MessageSent {
			t.Errorf("status %q, want sent", ms[0].Status)
		}
	})

	// One recipient refused for now while the other accepts: the digest
	// stays in the outbox for that one alone, and the next send delivers
	// it to them, with the same Message-ID and every story.
	t.Run("452 for one recipient", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, conf{sources: sources, to: []string{"analyst@example.org", "deputy@example.org"}}, smtptest.Options{})
		w.mail.SetFaults(smtptest.Fault{Stage: smtptest.Rcpt, Code: 452, Message: "mailbox full", Rcpts: []string{"deputy@example.org"}})
		r := w.mustRun(1, "once")
		if !strings.Contains(r.stdout, "recipient deputy@example.org rejected: 452") || !strings.Contains(r.stdout, "will retry deputy@example.org alone") {
			t.Errorf("once does not say whom it will retry:\n%s", r)
		}
		ms := outbox(t, w)
		if len(ms) != 1 || ms[0].Status != model.MessagePending || strings.Join(ms[0].To, ",") != "deputy@example.org" {
			t.Fatalf("outbox after the partial delivery: %+v", ms)
		}
		if st := w.mustRun(0, "status"); !strings.Contains(st.stdout, "delivered to the other recipients") {
			t.Errorf("status does not show the digest owed to deputy:\n%s", st.stdout)
		}
		w.mail.SetFaults()
		w.mustRun(0, "send")
		ls := w.letters()
		if len(ls) != 2 {
			t.Fatalf("%d messages, want one per recipient", len(ls))
		}
		for i, want := range []string{"analyst@example.org", "deputy@example.org"} {
			l := ls[i]
			if strings.Join(l.msg.To, ",") != want || l.msg.MessageID != strings.Trim(ms[0].MessageID, "<>") {
				t.Errorf("message %d: to %v, Message-ID %s; want to %s with %s", i, l.msg.To, l.msg.MessageID, want, ms[0].MessageID)
			}
			wantDeliveredOnce(t, ls[i:i+1], tokens...)
		}
		w.mustRun(0, "send")
		if n := len(w.mail.Messages()); n != 2 {
			t.Errorf("a further send delivered %d messages in all", n)
		}
	})

	t.Run("250 then dropped before RSET", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, conf{sources: sources}, smtptest.Options{})
		w.mail.SetFaults(smtptest.Fault{Stage: smtptest.Accepted, Drop: true})
		w.mustRun(0, "once")
		if ms := outbox(t, w); len(ms) != 1 || ms[0].Status != model.MessageSent {
			t.Fatalf("outbox: %+v", ms)
		}
		w.mustRun(0, "send")
		ls := w.letters()
		if len(ls) != 1 {
			t.Fatalf("%d messages, want 1", len(ls))
		}
		wantDeliveredOnce(t, ls, tokens...)
	})

	t.Run("STARTTLS not offered", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, conf{sources: sources}, smtptest.Options{Username: "nw", Password: "secret", AllowInsecureAuth: true})
		w.env = append(w.env, "NEWSWATCH_SMTP_PASSWORD=secret")
		w.write(conf{sources: sources, smtp: fmt.Sprintf(`[smtp]
host = "127.0.0.1"
port = %d
security = "starttls"
username = "nw"
password_env = "NEWSWATCH_SMTP_PASSWORD"
from = "Newswatch <newswatch@faulttest.example>"`, w.mail.Port())})
		r := w.mustRun(1, "once")
		if !strings.Contains(r.stdout+r.stderr, "STARTTLS") {
			t.Errorf("the error does not name STARTTLS:\n%s", r)
		}
		if c := w.mail.Counts(); c.Auths != 0 || c.Mails != 0 || c.Accepted != 0 {
			t.Errorf("server saw %+v, want no AUTH, no MAIL", c)
		}
		ms := outbox(t, w)
		if len(ms) != 1 || ms[0].Status == model.MessageSent {
			t.Fatalf("outbox: %+v", ms)
		}
		if strings.Contains(r.stdout+r.stderr, "secret") {
			t.Error("the password is printed")
		}
	})

	// [smtp] timeout (default 30 s) bounds connecting and each command: a
	// server that hangs at MAIL or before its reply to DATA leaves the
	// digest pending, and the next send delivers it (twice at most when the
	// slow server accepted the first copy after all, with one Message-ID).
	t.Run("reply slower than the client timeout", func(t *testing.T) {
		t.Parallel()
		for _, stage := range []smtptest.Stage{smtptest.Mail, smtptest.DataEnd} {
			t.Run(stage.String(), func(t *testing.T) {
				w := newWorld(t, conf{sources: sources}, smtptest.Options{})
				w.write(conf{sources: sources, smtp: fmt.Sprintf(`[smtp]
host = "127.0.0.1"
port = %d
security = "none"
from = "Newswatch <newswatch@faulttest.example>"
timeout = "1s"`, w.mail.Port())})
				w.mail.SetFaults(smtptest.Fault{Stage: stage, Delay: 10 * time.Second, Times: 1})
				r := w.mustRun(1, "once")
				if !strings.Contains(r.stdout, "will retry") || !strings.Contains(r.stdout, "no reply within 1s") {
					t.Errorf("once does not say the server timed out and it will retry:\n%s", r)
				}
				ms := outbox(t, w)
				if len(ms) != 1 || ms[0].Status != model.MessagePending {
					t.Fatalf("outbox after the timeout: %+v", ms)
				}
				w.mustRun(0, "send")
				w.mail.Close() // ends the delayed session: its message is recorded or not by now
				n := w.mail.Count(strings.Trim(ms[0].MessageID, "<>"))
				switch {
				case n == 0:
					t.Error("never delivered")
				case n > 1 && stage != smtptest.DataEnd:
					t.Errorf("delivered %d times after a timeout before DATA", n)
				case n > 2:
					t.Errorf("delivered %d times", n)
				}
			})
		}
	})
}
