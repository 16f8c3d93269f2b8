package faulttest

// Fault cases 18 and 19 (see the package doc), and the send crash test: newswatch killed
// with SIGKILL at chosen and at random points, and two processes writing one
// database.

import (
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
)

// stageGate blocks the first session's given stage until released, and
// reports when a session got there.
type stageGate struct {
	stage   smtptest.Stage
	once    sync.Once
	hit     chan smtptest.Event
	release chan struct{}
	done    chan struct{} // closed when the held session goes on
}

func newStageGate(stage smtptest.Stage) *stageGate {
	return &stageGate{stage: stage, hit: make(chan smtptest.Event, 1), release: make(chan struct{}), done: make(chan struct{})}
}

func (g *stageGate) onStage(ev smtptest.Event) {
	if ev.Stage != g.stage || ev.Session != 1 {
		return
	}
	g.once.Do(func() {
		g.hit <- ev
		<-g.release
		close(g.done)
	})
}

// TestFault18SendKilledAtSMTPStages is the send crash test: `newswatch send`
// is killed with SIGKILL while the server holds the session at one stage,
// then started again; the server counts the messages. Killed before DATA or
// during DATA (the body not fully received), the digest arrives once; killed
// after the server committed it (while it delays its final reply, or after
// the 250), it arrives twice, both with the same Message-ID (at-least-once).
func TestFault18SendKilledAtSMTPStages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stage smtptest.Stage
		fault *smtptest.Fault // applied when the gate opens
		want  int
	}{
		{"before the greeting", smtptest.Connect, nil, 1},
		{"before DATA", smtptest.Rcpt, nil, 1},
		// The gate holds the server before it reads the body; the fault
		// then takes 64 bytes and hangs up, as when the client dies with
		// the body half sent.
		{"during DATA", smtptest.DataBody, &smtptest.Fault{Stage: smtptest.DataBody, Drop: true, Times: 1}, 1},
		{"final reply delayed", smtptest.DataEnd, nil, 2},
		{"after the 250", smtptest.Accepted, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gate := newStageGate(tt.stage)
			feed := serveFeed(t, testutil.RSS(story("t18one"), testutil.Item("Cainiao spying second t18two", "https://news.example/t18two", "", "Another spying case.")))
			w := newWorld(t, conf{sources: []src{{name: "Wire", feed: feed.URL}}}, smtptest.Options{OnStage: gate.onStage})
			w.mustRun(0, "fetch")
			p := w.start("send")
			select {
			case <-gate.hit:
			case <-time.After(30 * time.Second):
				close(gate.release)
				t.Fatalf("the session never reached %s: %s", tt.stage, p.wait())
			}
			p.kill()
			if tt.fault != nil {
				w.mail.SetFaults(*tt.fault)
			}
			close(gate.release)
			<-gate.done // the fault, if any, is for this session, not the next one
			w.mustRun(0, "send")
			w.mail.Close() // the killed session is over, whatever it did
			ms := w.mail.Messages()
			if len(ms) != tt.want {
				t.Fatalf("%d messages at the server, want %d", len(ms), tt.want)
			}
			for _, m := range ms {
				if m.MessageID != ms[0].MessageID || m.MessageID == "" {
					t.Errorf("Message-IDs %q and %q differ", ms[0].MessageID, m.MessageID)
				}
			}
			wantDeliveredOnce(t, w.letters()[:1], "t18one", "t18two")
			if st := w.mustRun(0, "status"); !strings.Contains(st.stdout, "none pending or failed") {
				t.Errorf("outbox not empty after the restart:\n%s", st.stdout)
			}
		})
	}
}

// killPoint is where TestFault18KillNine kills a run.
type killPoint int

const (
	afterFetch  killPoint = iota // the feed was served; the items are not committed (the test holds the write lock)
	afterInsert                  // the items are committed; the SMTP greeting is held back
	after250                     // the server accepted the digest; the client waits for QUIT's reply
	atRandom                     // any time from start to about the end of a run
	killPoints
)

var killPointNames = [...]string{"after the fetch", "after the item insert", "after the SMTP 250", "at a random time"}

// killRound is one randomised round of TestFault18KillNine: a fresh
// installation, runs of `newswatch once` killed at random points, then a
// run that completes.
type killRound struct {
	t   *testing.T
	rng *rand.Rand
	w   *world
	db  string

	mu        sync.Mutex
	items     []string // the feed's items
	matched   []string // tokens of the matched items
	decoys    []string
	point     killPoint
	armed     bool
	gen       int                 // the run in progress
	sessions  map[int]int         // SMTP session → the run that opened it
	accepted  map[string][]int    // Message-ID → runs whose sessions the server accepted it from
	served    chan *dbLock        // afterFetch: the feed was served with the lock taken
	reached   chan smtptest.Event // after250: a session got there
	holdGreet chan struct{}       // afterInsert: closed to let greetings through
	holdAcc   chan struct{}       // after250: closed to let the session go on
}

func (k *killRound) addItems(round, n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for range n {
		i := len(k.items)
		tok := fmt.Sprintf("k%02dm%d", round, i)
		k.matched = append(k.matched, tok)
		k.items = append(k.items, testutil.Item("Cainiao espionage case "+tok, "https://news.example/"+tok, "",
			strings.Repeat(tok+"x ", 6)+"Investigators suspect spying."))
		if k.rng.IntN(3) == 0 {
			dec := fmt.Sprintf("k%02dd%d", round, i)
			k.decoys = append(k.decoys, dec)
			k.items = append(k.items, testutil.Item("Harbour log "+dec, "https://news.example/"+dec, "", "Cargo volumes rose."))
		}
	}
}

func (k *killRound) serveFeed(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	body := testutil.RSS(k.items...)
	var lock *dbLock
	if k.armed && k.point == afterFetch {
		k.armed = false
		lock = lockDB(k.t, k.db)
	}
	k.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = io.WriteString(w, body)
	w.(http.Flusher).Flush()
	if lock != nil {
		k.served <- lock
	}
}

func (k *killRound) onStage(ev smtptest.Event) {
	k.mu.Lock()
	gen, point, armed := k.gen, k.point, k.armed
	switch ev.Stage {
	case smtptest.Connect:
		k.sessions[ev.Session] = gen
	case smtptest.Accepted:
		k.accepted[ev.MessageID] = append(k.accepted[ev.MessageID], k.sessions[ev.Session])
	}
	hold := k.holdGreet
	if ev.Stage == smtptest.Accepted {
		hold = k.holdAcc
	}
	if armed && point == after250 && ev.Stage == smtptest.Accepted {
		k.armed = false
	}
	k.mu.Unlock()
	switch {
	case ev.Stage == smtptest.Connect && point == afterInsert && armed:
		<-hold
	case ev.Stage == smtptest.Accepted && point == after250 && armed:
		k.reached <- ev
		<-hold
	}
}

// killedRun starts `once`, kills it at point and returns a description, and
// whether the point was reached before the run ended by itself.
func (k *killRound) killedRun(point killPoint, typical time.Duration) (string, bool) {
	t := k.t
	k.mu.Lock()
	k.gen++
	k.point, k.armed = point, point != atRandom
	k.holdGreet, k.holdAcc = make(chan struct{}), make(chan struct{})
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.armed = false
		close(k.holdGreet)
		close(k.holdAcc)
		k.mu.Unlock()
	}()
	p := k.w.start("once")
	reached := false
	timeout := time.After(30 * time.Second)
	// The kill lands at a random moment within max of the point reached:
	// time passing is the point of this sleep.
	jitter := func(max time.Duration) { time.Sleep(time.Duration(k.rng.Int64N(int64(max) + 1))) }
	switch point {
	case afterFetch:
		select {
		case lock := <-k.served:
			reached = true
			jitter(20 * time.Millisecond)
			p.kill()
			lock.release()
		case <-p.done:
		case <-timeout:
		}
	case afterInsert:
		db, err := sql.Open("sqlite", "file:"+k.db+"?mode=ro&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
	poll:
		for !k.fetchedSince(db, p.start.UnixNano()) {
			select {
			case <-p.done:
				break poll
			case <-timeout:
				break poll
			case <-time.After(time.Millisecond):
			}
		}
		reached = k.fetchedSince(db, p.start.UnixNano())
		db.Close()
		jitter(15 * time.Millisecond)
		p.kill()
	case after250:
		select {
		case <-k.reached:
			reached = true
			p.kill()
		case <-p.done:
		case <-timeout:
		}
	case atRandom:
		jitter(typical * 3 / 2)
		p.kill()
		reached = true
	}
	p.kill()
	res := p.wait()
	reached = reached && res.code == -1
	return fmt.Sprintf("run %d killed %s (exit %d after %v)", k.gen, killPointNames[point], res.code, res.took.Round(time.Millisecond)), reached
}

// fetchedSince reports whether a fetch that started after start (the
// process's start) has committed its source run.
func (k *killRound) fetchedSince(db *sql.DB, start int64) bool {
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM sources WHERE last_run >= ?`, start).Scan(&n)
	return n > 0
}

// TestFault18KillNine: 50 rounds (10 with -short), each on a fresh
// installation: `newswatch once` is killed with SIGKILL once or twice at
// randomly chosen points — after the fetch, after the item insert, after the
// SMTP 250 but before the outbox records it, or at a random time — and then
// runs to the end. Whatever the points: every matched item is delivered or
// waiting in the next digest (preview shows it), no decoy is sent, no item
// is in two different digests, and a Message-ID arrives more than once only
// if the server had accepted it from a run that was then killed.
func TestFault18KillNine(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("FAULTTEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (FAULTTEST_SEED=%d repeats this run's choices)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 18))
	typical := 60 * time.Millisecond
	start := time.Now()
	counts, reachedAt := make([]int, killPoints), make([]int, killPoints)
	for round := range rounds {
		k := &killRound{t: t, rng: rng, accepted: map[string][]int{}, sessions: map[int]int{},
			served: make(chan *dbLock, 1), reached: make(chan smtptest.Event, 1)}
		k.addItems(round, 1+rng.IntN(3))
		feed := testutil.Serve(t, k.serveFeed)
		k.w = newWorld(t, conf{sources: []src{{name: "Wire", feed: feed.URL + "/feed"}}}, smtptest.Options{OnStage: k.onStage})
		k.db = filepath.Join(k.w.dir, "nw.db")

		var log []string
		kills := 1 + rng.IntN(2)
		resent := 0 // kills after a 250: each makes one more copy
		for i := range kills {
			point := killPoint(rng.IntN(int(killPoints)))
			counts[point]++
			what, reached := k.killedRun(point, typical)
			log = append(log, what)
			if reached {
				reachedAt[point]++
				if point == after250 {
					resent++
				}
			}
			if i == 0 && rng.IntN(2) == 0 {
				k.addItems(round, 1) // news arrives between the crash and the restart
			}
		}
		k.mu.Lock()
		k.gen++
		k.mu.Unlock()
		final := k.w.run("once")
		if final.code != 0 {
			t.Fatalf("round %d: %s\nthe run after the crashes: %s", round, strings.Join(log, "; "), final)
		}
		if round == 0 {
			typical = final.took
		}
		k.check(round, log, resent)
		if t.Failed() {
			t.FailNow()
		}
	}
	var summary []string
	for p := range killPoints {
		summary = append(summary, fmt.Sprintf("%s %d (%d reached)", killPointNames[p], counts[p], reachedAt[p]))
	}
	t.Logf("%d rounds in %v; kills: %s", rounds, time.Since(start).Round(time.Millisecond), strings.Join(summary, ", "))
}

// check asserts the outcome of a round; resent is how many kills came right
// after a 250 (each must have caused one more copy).
func (k *killRound) check(round int, log []string, resent int) {
	t := k.t
	t.Helper()
	k.w.mail.Close()
	ls := k.w.letters()
	var preview string
	missing := false
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, tok := range k.matched {
		if mentions(ls, tok) == 0 {
			missing = true
		}
	}
	if missing {
		preview = k.w.mustRun(0, "preview").stdout
	}
	where := fmt.Sprintf("round %d (%s)", round, strings.Join(log, "; "))
	for _, tok := range k.matched {
		ids := map[string]bool{}
		for _, l := range ls {
			if strings.Contains(l.text, tok) {
				ids[l.msg.MessageID] = true
			}
		}
		if len(ids) > 1 {
			t.Errorf("%s: %s is in %d different digests", where, tok, len(ids))
		}
		if len(ids) == 0 && !strings.Contains(preview, tok) {
			t.Errorf("%s: %s lost: neither delivered nor in the next digest", where, tok)
		}
	}
	wantNotDelivered(t, ls, k.decoys...)
	copies := map[string]int{}
	for _, l := range ls {
		copies[l.msg.MessageID]++
	}
	for id, n := range copies {
		killed := 0
		for _, gen := range k.accepted[id] {
			if gen != k.gen { // accepted from a run that was killed
				killed++
			}
		}
		if n > 1+killed {
			t.Errorf("%s: %s arrived %d times, but only %d killed runs had it accepted", where, id, n, killed)
		}
	}
	if len(ls) < len(copies)+resent {
		t.Errorf("%s: %d messages for %d Message-IDs after %d kills between the 250 and the outbox record: the kill missed its window",
			where, len(ls), len(copies), resent)
	}
}

// TestFault19TwoWriters: a `run` daemon and manual `fetch` and `send`
// commands share one database while the feed grows: no command fails, no
// SQLITE_BUSY or "database is locked" reaches the user or the daemon's log,
// no item is stored twice and none is in two digests. The race of two
// senders for one message is forced: the first message to reach the end of
// DATA is held there until a `send` beside the daemon has tried the outbox.
func TestFault19TwoWriters(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var items []string
	for i := range 2000 {
		items = append(items, testutil.Item(fmt.Sprintf("Harbour log %d", i), fmt.Sprintf("https://log.example/%d", i), "", "Cargo volumes."))
	}
	feed := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := len(items)
		tok := fmt.Sprintf("t19m%03d", i)
		items = append(items, testutil.Item("Cainiao espionage case "+tok, "https://news.example/"+tok+"?utm_source=rss", "", strings.Repeat(tok+"x ", 5)+"Spying."))
		body := testutil.RSS(items...)
		mu.Unlock()
		_, _ = io.WriteString(w, body)
	})
	held := make(chan string, 1) // the Message-ID held mid-DATA
	release := make(chan struct{})
	var holdOnce, releaseOnce sync.Once
	releaseHeld := func() { releaseOnce.Do(func() { close(release) }) }
	onStage := func(ev smtptest.Event) {
		if ev.Stage != smtptest.DataEnd {
			return
		}
		first := false
		holdOnce.Do(func() { first = true })
		if first {
			held <- ev.MessageID
			<-release
		}
	}
	w := newWorld(t, conf{
		topLevel: `fetch_schedule = "@every 1s"`,
		schedule: "@every 2s",
		sources:  []src{{name: "Wire", feed: feed.URL + "/a"}, {name: "Mirror", feed: feed.URL + "/b"}},
	}, smtptest.Options{OnStage: onStage})
	t.Cleanup(releaseHeld) // before the server's Close, which waits for the held session
	daemon := w.start("-log-format", "text", "run")
	daemon.waitLog(t, "fetch done") // its first fetch, at start-up

	// The daemon's first digest is held after its body, before the
	// server's reply; a `send` now finds it pending, and must leave it to
	// the daemon, which holds its lease.
	var id string
	select {
	case id = <-held:
	case <-time.After(time.Minute):
		t.Fatal("no digest reached the SMTP server within a minute")
	}
	r := w.run("send")
	if !strings.Contains(r.stdout+r.stderr, "being sent by another newswatch right now") {
		t.Errorf("send while the daemon is mid-DATA on %s: %s\nwant it left to the daemon", id, r)
	}
	if n := w.mail.Count(id); n != 0 {
		t.Errorf("%s reached the SMTP server %d times while the daemon was still sending it", id, n)
	}
	releaseHeld()
	// Two manual loops beside the daemon: one fetching back to back, one
	// alternating fetch and send.
	var outMu sync.Mutex
	var outputs []string
	var wg sync.WaitGroup
	for loop := range 2 {
		wg.Go(func() {
			for i := range 8 {
				cmd := "fetch"
				if loop == 1 && i%2 == 1 {
					cmd = "send"
				}
				r := w.start(cmd).wait()
				outMu.Lock()
				outputs = append(outputs, r.stdout+r.stderr)
				outMu.Unlock()
				// A send that finds the daemon sending a digest leaves it
				// to the daemon and says so (exit 1); nothing else fails.
				leftToDaemon := cmd == "send" && strings.Contains(r.stdout+r.stderr, "being sent by another newswatch right now")
				if r.code != 0 && !leftToDaemon {
					t.Errorf("%s beside the daemon: %s", cmd, r)
				}
			}
		})
	}
	wg.Wait()
	if err := daemon.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if r := daemon.wait(); r.code != 0 {
		t.Errorf("daemon: %s", r)
	}
	outputs = append(outputs, daemon.res.stderr)
	for _, out := range outputs {
		for _, bad := range []string{"SQLITE_BUSY", "SQLITE_LOCKED", "database is locked"} {
			if strings.Contains(out, bad) {
				t.Errorf("output contains %q:\n%s", bad, out)
			}
		}
	}
	var dups int
	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.dir, "nw.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT key FROM items GROUP BY key HAVING count(*) > 1)`).Scan(&dups); err != nil || dups != 0 {
		t.Errorf("%d keys stored more than once (%v)", dups, err)
	}
	stored := map[string]int{}
	for _, it := range w.items() {
		stored[strings.TrimSuffix(strings.TrimSuffix(it.Link, "?utm_source=rss"), "/")]++
	}
	for link, n := range stored {
		if n > 1 {
			t.Errorf("%s stored %d times", link, n)
		}
	}
	mu.Lock()
	served := len(items)
	mu.Unlock()
	if len(stored) > served || len(stored) < 2000 {
		t.Errorf("%d items stored of %d served", len(stored), served)
	}
	// Each digest reached the SMTP server once, however many writers
	// raced to send it.
	ids := map[string]int{}
	for _, m := range w.mail.Messages() {
		if ids[m.MessageID]++; ids[m.MessageID] == 2 {
			t.Errorf("Message-ID %s reached the SMTP server more than once", m.MessageID)
		}
	}
	ls := w.letters()
	for link := range stored {
		tok := link[strings.LastIndexByte(link, '/')+1:]
		if !strings.HasPrefix(tok, "t19m") {
			continue
		}
		if n := mentions(ls, tok); n > 1 {
			t.Errorf("%s delivered in %d digests", tok, n)
		}
	}
	t.Logf("%d items stored, %d digests sent", len(stored), len(ls))
}
