package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"newswatch/config"
	"newswatch/internal/smtptest"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// hangingHook is a webhook receiver that answers no post until released;
// entered is closed at the first post.
type hangingHook struct {
	entered chan struct{}
	once    sync.Once
	release chan struct{}
	freed   sync.Once
	posts   atomic.Int32
}

// free lets the posts in flight and later ones be answered.
func (h *hangingHook) free() { h.freed.Do(func() { close(h.release) }) }

// newHangingHook starts a hangingHook and returns it with its URL; the
// test releases it (before the daemon stops: a shutdown waits for the
// posts in flight).
func newHangingHook(t *testing.T) (*hangingHook, string) {
	h := &hangingHook{entered: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL + "/hook"
}

// posted reports whether the hook was posted to.
func (h *hangingHook) posted() bool {
	select {
	case <-h.entered:
		return true
	default:
		return false
	}
}

// hangingConfig writes the daemon's configuration, its fetch schedule a
// year away, with the replacements made and "HOOK" in them standing for
// the URL of a hangingHook; it returns the folder and the file, the mail
// server, the hook and its URL.
func hangingConfig(t *testing.T, replace ...string) (dir, cfgPath string, msrv *smtptest.Server, hook *hangingHook, hookURL string) {
	fsrv := httptest.NewServer(&liveFeed{})
	t.Cleanup(fsrv.Close)
	msrv = newSMTP(t)
	hook, hookURL = newHangingHook(t)
	for i := 1; i < len(replace); i += 2 {
		replace[i] = strings.ReplaceAll(replace[i], "HOOK", hookURL)
	}
	dir = t.TempDir()
	cfgPath = writeDaemonConfig(t, dir, msrv.Port(), fsrv.URL, "",
		append([]string{`fetch_schedule = "@every 1s"`, `fetch_schedule = "0 0 1 1 *"`}, replace...)...)
	return dir, cfgPath, msrv, hook, hookURL
}

// startHanging starts the daemon on cfgPath, whose webhook is h: h is
// released before the daemon stops, and the log shown if the test failed.
func startHanging(t *testing.T, cfgPath string, h *hangingHook) *testutil.LockedBuffer {
	_, log := startDaemon(t, cfgPath, nil)
	t.Cleanup(func() {
		h.free()
		if t.Failed() {
			t.Logf("daemon log:\n%s", log.String())
		}
	})
	return log
}

func (h *hangingHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.posts.Add(1)
	h.once.Do(func() { close(h.entered) })
	wake()
	<-h.release
}

// missedSince records, for each digest, a digest sent at last, and two
// stored items that match them all: at start-up each has missed its slots
// since last, and has something to send.
func missedSince(t *testing.T, dir string, last time.Time, digests ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range digests {
		m := model.Message{Digest: name, Slot: last, MessageID: fmt.Sprintf("<old-%s@example.org>", name), Subject: "old",
			To: []string{"analyst@example.org"}, Created: last, CoveredUntil: last}
		if err := st.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkSent(ctx, m.ID, last); err != nil {
			t.Fatal(err)
		}
	}
	items := []model.Item{
		{Key: "https://news.example/c1", Link: "https://news.example/c1", Title: "Cainiao espionage probe widens", Summary: "Spying claims."},
		{Key: "https://news.example/c2", Link: "https://news.example/c2", Title: "Alibaba faces sanctions", Summary: "Cainiao too."},
	}
	if _, err := st.SaveRun(ctx, model.Run{Source: "Live", Started: time.Now(), Status: model.StatusOK, Items: 2}, items); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonCatchUpsApart: after a restart, a digest whose webhook never
// answers does not hold back the catch-up of the digest after it, nor
// does the delivery of what that webhook was still owed: the other
// digest's mail goes out while the webhook hangs (a webhook's timeout is
// 30 s; the test waits 10 s at most).
func TestDaemonCatchUpsApart(t *testing.T) {
	dir, cfgPath, msrv, hook, hookURL := hangingConfig(t, `schedule = "@every 2s"`, `schedule = "0 7 * * *"`,
		"[[digests]]\nname = \"Brief\"", "[[digests]]\nname = \"Hang\"\nschedule = \"0 7 * * *\"\nnotify = [\"HOOK\"]\n\n[[digests]]\nname = \"Brief\"")
	last := time.Now().AddDate(0, 0, -3).Truncate(24 * time.Hour).Add(7 * time.Hour)
	missedSince(t, dir, last, "Brief")
	st, err := store.Open(context.Background(), filepath.Join(dir, "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	owed := model.Message{Digest: "Hang", Slot: last, MessageID: "<owed@example.org>", Subject: "owed", Doc: `{"digest":"Hang"}`,
		Created: last, CoveredUntil: last, Channels: []model.Channel{{Key: config.ChannelKey(hookURL), Name: hookURL}}}
	if err := st.CreateMessage(context.Background(), &owed); err != nil {
		t.Fatal(err)
	}
	st.Close()

	startHanging(t, cfgPath, hook)
	waitFor(t, 10*time.Second, "Brief's catch-up mail while Hang's webhook hangs", func() bool {
		return hook.posted() && deliveredWith(msrv, "Cainiao espionage probe widens") == 1
	})
}

// TestDaemonDigestJobNotRunTwice: a digest's catch-up and its ticks do
// not run beside each other: while the job of one of them runs (here it
// hangs on the webhook), the others' slots are noted, logged, and the
// latest of them composed once it is done.
func TestDaemonDigestJobNotRunTwice(t *testing.T) {
	dir, cfgPath, _, hook, _ := hangingConfig(t, `schedule = "@every 2s"`, "schedule = \"@every 1s\"\nnotify = [\"HOOK\"]",
		`to = ["analyst@example.org"]`, `to = []`)
	missedSince(t, dir, time.Now().Add(-time.Minute), "Brief")

	log := startHanging(t, cfgPath, hook)
	// The catch-up starts at once, the first tick a second later: the
	// slot of the one that comes second, or of a later tick, is noted to
	// follow the running job.
	waitFor(t, 10*time.Second, "the webhook posted to, and a slot of the digest noted to follow", func() bool {
		return hook.posted() && strings.Contains(log.String(), "digest job still running: this slot follows it")
	})
	if n := hook.posts.Load(); n != 1 {
		t.Errorf("%d posts to the webhook, want the hanging one alone", n)
	}
	// Once the hanging post is answered, the slot that came meanwhile is
	// composed, not lost.
	hook.free()
	waitFor(t, 10*time.Second, "the slot that came while the job ran composed after it", func() bool {
		return strings.Contains(log.String(), "digest slot that came while its job ran")
	})
}
