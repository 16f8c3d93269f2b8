package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/app"
	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// TestSendSaysChannelWaits: a webhook whose last try had no answer in
// time waits out its delay even for send (each try may post the message
// again): send, with the digest's name or without, says so with the time
// it waits until, in the config's zone, posts nothing, and exits 1 as for
// any digest not delivered, also when the digest has nothing new to send.
func TestSendSaysChannelWaits(t *testing.T) {
	path, hsrv, hook := pendingWebhook(t)

	// The next try got no answer in time: it waits an hour.
	next := time.Now().Add(time.Hour)
	st, err := store.Open(t.Context(), filepath.Join(filepath.Dir(path), "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.Deliveries(t.Context(), model.MessagePending)
	if err != nil || len(ds) != 1 {
		st.Close()
		t.Fatalf("pending deliveries %+v, %v; want the webhook's", ds, err)
	}
	err = st.MarkDeliveryUnanswered(context.Background(), ds[0].Message.ID, ds[0].Key, "webhook "+hsrv.URL+"/hook?token=5ecret: no answer in 30s", next, false) // as an older version stored it
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	posts, _, _ := hook.posts()
	for _, args := range [][]string{{"send", "Daily"}, {"send"}} {
		code, out, errOut := runCmd(t, append([]string{"-config", path}, args...)...)
		want := "Daily: not delivered to " + hsrv.URL + "/hook?token=*** yet: waiting until " + app.When(next, loc)
		if code != exitFailure || !strings.Contains(out, want) || !strings.Contains(out, "no answer in 30s") {
			t.Errorf("%s with the webhook waiting: exit %d, want 1 and %q\n%s%s", args, code, want, out, errOut)
		}
		if strings.Contains(out+errOut, "5ecret") {
			t.Errorf("%s printed the webhook's token:\n%s%s", args, out, errOut)
		}
	}
	if now, _, _ := hook.posts(); len(now) != len(posts) {
		t.Errorf("send posted to the waiting webhook: %d posts, want %d", len(now), len(posts))
	}
}

// TestSendSaysChannelBusy: a webhook delivery another newswatch is making
// at that moment is not tried by send or once, which say so; send exits 1
// (what it was asked to deliver now was not delivered by it), once, from
// cron, does not (the other sender delivers it), and once -q says
// nothing of it.
func TestSendSaysChannelBusy(t *testing.T) {
	path, hsrv, hook := pendingWebhook(t)
	st, err := store.Open(t.Context(), filepath.Join(filepath.Dir(path), "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ds, err := st.Deliveries(t.Context(), model.MessagePending)
	if err != nil || len(ds) != 1 {
		t.Fatalf("pending deliveries %+v, %v; want the webhook's", ds, err)
	}
	if err := st.LeaseDelivery(t.Context(), ds[0].Message.ID, ds[0].Key); err != nil {
		t.Fatal(err)
	}
	_, stop := st.HoldDelivery(t.Context(), ds[0].Message.ID, ds[0].Key) // the other newswatch, at work
	defer stop()
	posts, _, _ := hook.posts()
	want := "Daily: not delivered to " + hsrv.URL + "/hook?token=*** by this one: it is being sent by another newswatch right now"
	for _, c := range []struct {
		args []string
		code int
		says bool
	}{
		{[]string{"send"}, exitFailure, true},
		{[]string{"once"}, exitOK, true},
		{[]string{"once", "-q"}, exitOK, false},
	} {
		code, out, errOut := runCmd(t, append([]string{"-config", path}, c.args...)...)
		if code != c.code || strings.Contains(out, want) != c.says {
			t.Errorf("%s with the webhook's delivery held by another: exit %d, want %d; saying %q: %v, want %v\n%s%s",
				c.args, code, c.code, want, !c.says, c.says, out, errOut)
		}
	}
	if now, _, _ := hook.posts(); len(now) != len(posts) {
		t.Errorf("send or once posted to a webhook another sender holds: %d posts, want %d", len(now), len(posts))
	}
}

// pendingWebhook is a config (its path) with a digest "Daily" notifying a
// webhook (the server and what it received) that answered 503 to the
// digest send made of a fetched story: its delivery is pending.
func pendingWebhook(t *testing.T) (string, *httptest.Server, *hookRecorder) {
	t.Helper()
	hook := &hookRecorder{code: http.StatusServiceUnavailable}
	hsrv := httptest.NewServer(hook)
	t.Cleanup(hsrv.Close)
	path := onceConfig(t, false)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("send_empty = true\n", "notify = [\""+hsrv.URL+"/hook?token=5ecret\"]\n",
		`feed = "file://`, `feed = "file:wire.rss" # `).Replace(string(cfg))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	story := testutil.Item("Cainiao accused of spying", "https://news.example/cainiao-spying", "", "Espionage claims.")
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "wire.rss"), []byte(testutil.RSS(story)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "-config", path, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure || !strings.Contains(out, "will retry") {
		t.Fatalf("send to a webhook answering 503: exit %d\n%s%s", code, out, errOut)
	}
	return path, hsrv, hook
}
