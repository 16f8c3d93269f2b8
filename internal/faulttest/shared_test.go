package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
)

// fetchEvery is the fetch schedule of TestSharedDaemonsKilled: its slots
// are multiples of it, the same in every daemon.
const fetchEvery = 2 * time.Second

// feedLog records when each source's feed was requested.
type feedLog struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (l *feedLog) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.times[name] = append(l.times[name], time.Now())
}

// within counts the requests of name in [from, to].
func (l *feedLog) within(name string, from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.times[name] {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// sharedStories are the matching stories of TestSharedDaemonsKilled, one a
// source, each with a token of its own: unrelated enough that no digest
// groups two of them as one story (a later report of a delivered story is
// shown with it, as an update).
var sharedStories = map[string][2]string{
	"Alpha":   {"Cainiao espionage probe widens to Rotterdam warehouse sharedalpha", "Dutch prosecutors searched a depot near the harbour."},
	"Bravo":   {"Alibaba cloud unit faces spying allegations in Berlin sharedbravo", "German regulators opened a formal inquiry on Monday."},
	"Charlie": {"Cainiao courier arrested over espionage at Lagos airport sharedcharlie", "Nigerian police detained a freight manager overnight."},
	"Delta":   {"Alibaba shareholders question spying fallout in Tokyo shareddelta", "Japanese investors demanded answers at the annual meeting."},
	"Slow":    {"Cainiao fined after espionage audit in Santiago sharedslow", "Chilean customs officials levied a record penalty."},
}

// sharedStory is the feed item of a source of TestSharedDaemonsKilled.
func sharedStory(source string) string {
	st := sharedStories[source]
	return testutil.Item(st[0], "https://news.example/"+strings.ToLower(source), "", st[1])
}

// TestSharedDaemonsKilled: three `newswatch run` daemons share one
// PostgreSQL database with fast schedules. While all three live, each
// source is fetched once per fetch slot, not once per daemon. Then the
// daemon fetching one source is killed with SIGKILL mid-fetch, and the
// daemon sending the next digest is killed mid-send (the server holds the
// session before the body): the last daemon takes both over. Every
// matching item is delivered, once; no digest slot is delivered twice.
func TestSharedDaemonsKilled(t *testing.T) {
	t.Parallel()
	dbURL := testutil.Postgres(t)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	log := &feedLog{times: map[string][]time.Time{}}
	regular := []string{"Alpha", "Bravo", "Charlie", "Delta"}
	var srcs []src
	for _, name := range regular {
		body := []byte(testutil.RSS(sharedStory(name)))
		srv := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
			log.add(name)
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(body)
		})
		srcs = append(srcs, src{name: name, feed: srv.URL + "/feed.xml"})
	}
	// Slow serves nothing until armed; armed, its next request hangs
	// until the test lets it go, and it then serves its story.
	var (
		slowArmed atomic.Bool
		slowOnce  sync.Once
		slowHit   = make(chan struct{})
		slowFree  = make(chan struct{})
	)
	slowBody := []byte(testutil.RSS(sharedStory("Slow")))
	slow := testutil.Serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		if !slowArmed.Load() {
			w.Write([]byte(testutil.RSS()))
			return
		}
		held := false
		slowOnce.Do(func() { held = true })
		if held {
			close(slowHit)
			<-slowFree
			return
		}
		w.Write(slowBody)
	})
	t.Cleanup(func() {
		select {
		case <-slowFree:
		default:
			close(slowFree)
		}
	})
	srcs = append(srcs, src{name: "Slow", feed: slow.URL + "/feed.xml"})

	// The mail server holds, once armed, the next session before it reads
	// the body.
	var (
		mailArmed atomic.Bool
		mailOnce  sync.Once
		mailHit   = make(chan struct{})
		mailFree  = make(chan struct{})
	)
	accepted := make(chan struct{}, 1) // a message was accepted: waitFor judges again
	onStage := func(ev smtptest.Event) {
		if ev.Stage == smtptest.Accepted {
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
		if ev.Stage != smtptest.DataBody || !mailArmed.Load() {
			return
		}
		held := false
		mailOnce.Do(func() { held = true })
		if held {
			close(mailHit)
			<-mailFree
		}
	}
	t.Cleanup(func() {
		select {
		case <-mailFree:
		default:
			close(mailFree)
		}
	})
	w := newWorld(t, conf{
		timeout:  "30s",
		database: dbURL,
		sources:  srcs,
		schedule: "@every 4s",
		topLevel: fmt.Sprintf("fetch_schedule = %q", "@every "+fetchEvery.String()),
	}, smtptest.Options{OnStage: onStage})

	daemons := map[int]*proc{}
	for range 3 {
		p := w.start("run")
		daemons[p.cmd.Process.Pid] = p
	}
	logs := func() string {
		var b strings.Builder
		for pid, p := range daemons {
			fmt.Fprintf(&b, "--- daemon %d:\n%s\n", pid, p.stderr.String())
		}
		return b.String()
	}
	// waitFor judges cond (what the mail server got) now and after each
	// message it accepts.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		timeout := time.After(2 * time.Minute)
		for !cond() {
			select {
			case <-accepted:
			case <-timeout:
				t.Fatalf("timed out waiting for %s\n%s", what, logs())
			}
		}
	}
	delivered := func(token string) func() bool {
		return func() bool { return mentions(w.letters(), token) > 0 }
	}
	// owner's process: leases are held by "host:pid:random".
	killOwner := func(query string) int {
		t.Helper()
		var owner string
		if err := db.QueryRowContext(context.Background(), query).Scan(&owner); err != nil {
			t.Fatalf("%s: %v\n%s", query, err, logs())
		}
		parts := strings.Split(owner, ":")
		pid, err := strconv.Atoi(parts[len(parts)-2])
		p, ok := daemons[pid]
		if err != nil || !ok {
			t.Fatalf("lease owner %q is none of the daemons", owner)
		}
		p.kill()
		if p.res.code != -1 || !strings.Contains(p.cmd.ProcessState.String(), syscall.SIGKILL.String()) {
			t.Logf("daemon %d ended: %s", pid, p.cmd.ProcessState)
		}
		return pid
	}

	// All three live: the regular stories go out in the first digests, and
	// each source is fetched once per fetch slot.
	for _, name := range regular {
		waitFor(name+"'s story delivered", delivered("shared"+strings.ToLower(name)))
	}
	from := time.Now()
	// Time passing is the point: four fetch slots are watched.
	time.Sleep(4 * fetchEvery)
	to := time.Now()
	slots := int(to.Truncate(fetchEvery).Sub(from.Truncate(fetchEvery))/fetchEvery) + 1
	for _, name := range regular {
		// One more than the slots: a slot's fetch may start in the next.
		n := log.within(name, from, to)
		t.Logf("%s: fetched %d times in %d fetch slots", name, n, slots)
		if n > slots+1 || n == 0 {
			t.Errorf("%s fetched %d times in %d fetch slots while three daemons ran, want at most one a slot", name, n, slots)
		}
	}

	// Killed mid-fetch: the daemon whose request to Slow hangs.
	slowArmed.Store(true)
	select {
	case <-slowHit:
	case <-time.After(time.Minute):
		t.Fatalf("Slow never fetched once armed\n%s", logs())
	}
	fetchVictim := killOwner(`SELECT owner FROM leases WHERE name = 'source:Slow'`)
	close(slowFree)

	// Killed mid-send: the daemon sending the digest with Slow's story.
	mailArmed.Store(true)
	select {
	case <-mailHit:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no digest sent after the first kill\n%s", logs())
	}
	sendVictim := killOwner(`SELECT lease_owner FROM messages WHERE status = 'pending' AND lease_until IS NOT NULL`)
	// The held session hangs up with the body half read: nothing delivered.
	w.mail.SetFaults(smtptest.Fault{Stage: smtptest.DataBody, Drop: true, Times: 1})
	close(mailFree)

	t.Logf("killed daemon %d mid-fetch, daemon %d mid-send", fetchVictim, sendVictim)
	waitFor("Slow's story delivered by the last daemon", delivered("sharedslow"))
	for pid, p := range daemons {
		if pid == fetchVictim || pid == sendVictim {
			continue
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		if r := p.wait(); r.code != 0 {
			t.Errorf("last daemon: %s", r)
		}
	}

	ls := w.letters()
	wantDeliveredOnce(t, ls, "sharedalpha", "sharedbravo", "sharedcharlie", "shareddelta", "sharedslow")
	seen := map[string]bool{}
	for _, m := range w.mail.Messages() {
		if seen[m.MessageID] {
			t.Errorf("digest %s delivered twice", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM messages WHERE status != 'sent'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d digests not sent (%v)", left, err)
	}
	// And by the outbox: every item in one sent digest.
	var twice int
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT mi.item_id FROM message_items AS mi
		JOIN messages AS m ON m.id = mi.message_id GROUP BY mi.item_id HAVING count(*) > 1) AS d`).Scan(&twice); err != nil || twice != 0 {
		t.Errorf("%d items in more than one digest (%v)", twice, err)
	}
	if t.Failed() {
		t.Log(logs())
	}
}
