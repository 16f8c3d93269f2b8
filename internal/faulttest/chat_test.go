package faulttest

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
)

// gotifyServer is a Gotify server: it answers the codes in turn (the last
// one for ever after) and records the messages posted.
type gotifyServer struct {
	mu     sync.Mutex
	codes  []int
	bodies []string
}

func (g *gotifyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	code := g.codes[min(len(g.bodies), len(g.codes)-1)]
	g.bodies = append(g.bodies, string(body))
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if code == http.StatusOK {
		io.WriteString(w, `{"id":1,"appid":1,"message":"ok","title":"","priority":0,"date":"2026-12-02T07:00:00Z"}`)
	} else {
		fmt.Fprintf(w, `{"error":"%s","errorCode":%d,"errorDescription":"refused"}`, http.StatusText(code), code)
	}
}

func (g *gotifyServer) posts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.bodies...)
}

// gotifyToken is a Gotify token of the form the masking once let through
// (letters, dots, dashes and underscores, 15 characters).
const gotifyToken = "AbC.dEf-GhI_jKl"

// oldSchema creates an SQLite database at schema version 9 (before
// channels had keys), applying this repository's migrations 1 to 9.
func oldSchema(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := filepath.Glob(filepath.Join("..", "..", "store", "migrations", "000*.sql"))
	if err != nil || len(files) != 9 {
		t.Fatalf("migrations 1 to 9: %q, %v", files, err)
	}
	sort.Strings(files)
	if _, err := db.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_version VALUES (?, ?, ?)`, i+1, filepath.Base(f), time.Now().UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestFaultChatUpgradePending: a database written by a version that named
// channels by their masked URL (which then showed this Gotify token) holds
// a delivery pending through Gotify. The new binary migrates it and
// delivers it once to the configured URL, instead of failing it as "no
// longer in the notify list" because the masking rules changed. And the
// token, written in the config, is printed, stored or shown nowhere by
// this version: not by send, once or status, nor in the footer of the
// next digest when the channel fails.
func TestFaultChatUpgradePending(t *testing.T) {
	t.Parallel()
	gotify := &gotifyServer{codes: []int{200, 400, 200}}
	gsrv := httptest.NewServer(gotify)
	t.Cleanup(gsrv.Close)
	host := strings.TrimPrefix(gsrv.URL, "http://")
	notify := "gotify://" + host + "/" + gotifyToken + "?disabletls=yes"
	feed := serveFeed(t, testutil.RSS(story("up1grade")))
	w := newWorld(t, conf{sources: []src{{name: "Wire", feed: feed.URL}}, noSMTP: true, to: []string{"analyst@example.org"},
		digestKV: fmt.Sprintf("notify = [%q]\nsend_empty = true\n", notify)}, smtptest.Options{})

	db := oldSchema(t, filepath.Join(w.dir, "nw.db"))
	// A digest composed by the old version, its Gotify delivery pending
	// (a 503 before the upgrade), named as that version masked the URL.
	oldName := "gotify://" + host + "/" + gotifyToken + "?disabletls=***"
	slot := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC).UnixNano()
	doc := `{"digest":"Brief","subject":"Brief · Tue 1 Dec · pending at the upgrade","slot":"2026-12-01T06:00:00Z","message_id":"<brief.1764568800@faulttest.example>","summary":"","stories":[]}`
	if _, err := db.Exec(`INSERT INTO messages (digest, slot, message_id, subject, to_json, text, html, status, attempts,
		last_error, next_attempt, created, sent, covered_until, doc)
		VALUES ('Brief', ?, '<brief.1764568800@faulttest.example>', 'Brief · Tue 1 Dec · pending at the upgrade', '[]', '', '', 'pending', 1, '', NULL, ?, ?, ?, ?)`,
		slot, slot, slot, slot, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO deliveries (message_id, channel, status, attempts, last_error) VALUES (1, ?, 'pending', 1, '503 Service Unavailable')`, oldName); err != nil {
		t.Fatal(err)
	}
	db.Close()

	w.mustRun(0, "fetch") // upgrades the database
	r := w.run("send", "Brief")
	posts := gotify.posts()
	if len(posts) < 1 || !strings.Contains(posts[0], "pending at the upgrade") {
		t.Fatalf("the delivery pending at the upgrade was not posted first: %q\n%s", posts, r)
	}
	// The new digest's post is refused for good (400): status shows it,
	// and the next digest's footer reports it.
	outputs := r.stdout + r.stderr
	for _, args := range [][]string{{"status"}, {"send", "Brief"}, {"once"}, {"status"}} {
		res := w.run(args...)
		outputs += res.stdout + res.stderr
	}
	if n := strings.Count(strings.Join(gotify.posts(), "\n"), "pending at the upgrade"); n != 1 {
		t.Errorf("the pending digest was posted %d times, want once", n)
	}
	if strings.Contains(outputs, gotifyToken) {
		t.Errorf("the Gotify token was printed:\n%s", outputs)
	}
	if !strings.Contains(outputs, "gotify://"+host+"/***") {
		t.Errorf("the channel is not shown masked:\n%s", outputs)
	}
	// Stored nowhere but in the row the old version wrote.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.dir, "nw.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM deliveries WHERE message_id > 1 AND (instr(channel, ?) > 0 OR instr(name, ?) > 0 OR instr(last_error, ?) > 0)`,
		gotifyToken, gotifyToken, gotifyToken).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		t.Errorf("%d deliveries recorded since the upgrade hold the token", n)
	}
	var docs string
	if err := db.QueryRow(`SELECT group_concat(text || html || doc, ' ') FROM messages WHERE id > 1`).Scan(&docs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(docs, gotifyToken) {
		t.Errorf("a digest (its footer) holds the token")
	}
	if !strings.Contains(docs, "gotify://"+host+"/***") {
		t.Errorf("no digest's footer names the failed channel (masked)")
	}
}

// TestFaultFullDiskReported: with the database's disk full, every fetch
// fails to store its items and even to record its failure, so the
// sources' health stays "ok" as last recorded. status and status -q (the
// image's health check) judge by the age of the newest record against
// fetch_schedule, and report it (stood in for here by a record two hours
// old under a schedule of every ten minutes).
func TestFaultFullDiskReported(t *testing.T) {
	t.Parallel()
	w := newWorld(t, conf{sources: []src{goodSource(t, "fu1ldisk")}, topLevel: `fetch_schedule = "*/10 * * * *"`}, smtptest.Options{})
	w.mustRun(0, "fetch")
	w.mustRun(0, "status", "-q")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(w.dir, "nw.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE sources SET last_run = last_run - ?, last_success = last_success - ?`,
		(2 * time.Hour).Nanoseconds(), (2 * time.Hour).Nanoseconds()); err != nil {
		t.Fatal(err)
	}
	r := w.run("status", "-q")
	if r.code != 1 {
		t.Fatalf("status -q with no fetch recorded for two hours: %s", r)
	}
	r = w.mustRun(0, "status")
	if !strings.Contains(flat(r.stdout), "fetches are not being recorded: the last fetch recorded was at") {
		t.Fatalf("status does not say fetches are not recorded:\n%s", r.stdout)
	}
}
