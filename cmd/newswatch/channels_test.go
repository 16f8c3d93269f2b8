package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"newswatch/deliver"
	"newswatch/digest"
)

// hookRecorder is a webhook receiver answering code, recording requests.
type hookRecorder struct {
	mu     sync.Mutex
	code   int
	bodies []string
	keys   []string
	sigs   []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, string(b))
	h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
	h.sigs = append(h.sigs, r.Header.Get(deliver.SignatureHeader))
	w.WriteHeader(h.code)
	if strings.HasPrefix(r.URL.Path, "/ntfy/") {
		io.WriteString(w, `{}`)
	}
}

func (h *hookRecorder) posts() ([]string, []string, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...), append([]string(nil), h.keys...), append([]string(nil), h.sigs...)
}

// A digest with a webhook and an ntfy channel besides mail: send delivers
// each once (the webhook signed, keyed by the Message-ID, with the JSON
// document; ntfy with the text), a second send sends nothing, and preview
// -format json prints the document a webhook would get.
func TestNotifyChannels(t *testing.T) {
	srv := feedServer(t)
	hook := &hookRecorder{code: 200}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	hu, _ := url.Parse(hsrv.URL)
	t.Setenv("NW_TEST_HOOK_TOKEN", "tok-5ecret-5ecret")
	t.Setenv("NW_TEST_SECRET", "s1gning")
	cfg := writeConfig(t, srv.URL, fmt.Sprintf(`notify = ["%s/hook/${NW_TEST_HOOK_TOKEN}", "ntfy://%s/ntfy/news?scheme=http"]
webhook_secret_env = "NW_TEST_SECRET"
`, hsrv.URL, hu.Host))

	if code, out, errOut := runCmd(t, "-config", cfg, "fetch"); code != exitOK && code != exitFailure {
		t.Fatalf("fetch exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, "-config", cfg, "preview", "-format", "json")
	if code != exitOK {
		t.Fatalf("preview -format json exit %d\n%s\n%s", code, out, errOut)
	}
	var doc digest.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("preview -format json is not one document: %v\n%s", err, out)
	}
	if doc.Digest != "Morning brief" || len(doc.Stories) == 0 || doc.Stories[0].Link == "" || doc.Stories[0].Company != "Alibaba" ||
		len(doc.Stories[0].Matched) == 0 || doc.Stories[0].Published.IsZero() {
		t.Fatalf("preview document: %+v", doc)
	}

	code, out, errOut = runCmd(t, "-config", cfg, "send")
	if code != exitOK {
		t.Fatalf("send exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "5ecret") {
		t.Errorf("send printed the token:\n%s\n%s", out, errOut)
	}
	bodies, keys, sigs := hook.posts()
	if len(bodies) != 2 {
		t.Fatalf("%d posts, want one to the webhook and one to ntfy\n%s", len(bodies), out)
	}
	hookBody, ntfyBody := bodies[0], bodies[1]
	if strings.HasPrefix(hookBody, `"`) || !strings.HasPrefix(strings.TrimSpace(hookBody), "{") {
		hookBody, ntfyBody = ntfyBody, hookBody
	}
	var sent digest.Document
	if err := json.Unmarshal([]byte(hookBody), &sent); err != nil {
		t.Fatalf("webhook body is not the document: %v\n%s", err, hookBody)
	}
	if sent.MessageID == "" || !contains(keys, sent.MessageID) {
		t.Errorf("Idempotency-Key %q, want the Message-ID %q", keys, sent.MessageID)
	}
	if !contains(sigs, deliver.Sign("s1gning", []byte(hookBody))) {
		t.Errorf("signature %q does not verify", sigs)
	}
	if !strings.Contains(ntfyBody, sent.Stories[0].Link) || !strings.Contains(ntfyBody, "Morning brief") {
		t.Errorf("ntfy got %q, want the text rendering", ntfyBody)
	}
	if !strings.Contains(out, "delivered to ntfy://") || !strings.Contains(out, "delivered to http://") {
		t.Errorf("send does not report the channels:\n%s", out)
	}

	if code, out, errOut := runCmd(t, "-config", cfg, "send"); code != exitOK {
		t.Fatalf("second send exit %d\n%s\n%s", code, out, errOut)
	}
	if bodies, _, _ := hook.posts(); len(bodies) != 2 {
		t.Errorf("second send posted again: %d posts", len(bodies))
	}
}

// A webhook answering 410 fails for good: send says so, status lists it
// with the URL masked, status -q fails, and the next digest's footer names it.
func TestNotifyGone(t *testing.T) {
	srv := feedServer(t)
	hook := &hookRecorder{code: http.StatusGone}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	t.Setenv("NW_TEST_HOOK_TOKEN", "tok-5ecret-5ecret")
	cfg := writeConfig(t, srv.URL, fmt.Sprintf("notify = [\"%s/hook?token=${NW_TEST_HOOK_TOKEN}\"]\nsend_empty = true\n", hsrv.URL))
	runCmd(t, "-config", cfg, "fetch")
	code, out, errOut := runCmd(t, "-config", cfg, "send")
	if code != exitFailure || !strings.Contains(out, "failed for good") || !strings.Contains(out, "410") {
		t.Fatalf("send to a gone webhook: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "-config", cfg, "status")
	if code != exitOK || !strings.Contains(out, "Channels in the outbox") || !strings.Contains(out, "?token=${NW_TEST_HOOK_TOKEN}") ||
		!strings.Contains(out, "410 Gone") || strings.Contains(out, "5ecret") {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "-config", cfg, "status", "-q"); code == exitOK {
		t.Errorf("status -q passes with a channel failed for good")
	}
	code, out, _ = runCmd(t, "-config", cfg, "preview")
	if flat := strings.Join(strings.Fields(out), " "); code != exitOK || !strings.Contains(flat, "digest Morning brief via http://") || !strings.Contains(flat, "could not be delivered") {
		t.Errorf("next digest's footer does not name the failed channel:\n%s", out)
	}

	// The URL corrected in the config: the failure of the old one is
	// nothing left to repair, and no longer fails the health check.
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(text), "/hook?token=", "/hook2?token=", 1)
	if err := os.WriteFile(cfg, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "-config", cfg, "status", "-q"); code != exitOK {
		t.Errorf("status -q fails for a channel no longer configured: exit %d\n%s", code, out)
	}
	if err := os.WriteFile(cfg, text, 0o644); err != nil {
		t.Fatal(err)
	}

	// The webhook is back: once a later digest went through it, the old
	// failure no longer fails the health check.
	hook.mu.Lock()
	hook.code = http.StatusOK
	hook.mu.Unlock()
	if code, out, errOut := runCmd(t, "-config", cfg, "send"); code != exitOK {
		t.Fatalf("send after the webhook is back: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := runCmd(t, "-config", cfg, "status", "-q"); code != exitOK {
		t.Errorf("status -q still fails after a later delivery went through: exit %d\n%s", code, out)
	}
}

// send -test goes through every channel; check warns about unset variables.
func TestNotifySendTestAndCheck(t *testing.T) {
	srv := feedServer(t)
	hook := &hookRecorder{code: 200}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	hu, _ := url.Parse(hsrv.URL)
	cfg := writeConfig(t, srv.URL, fmt.Sprintf(`notify = ["%s/hook", "ntfy://%s/ntfy/test?scheme=http&title=${NW_TEST_UNSET_TITLE}"]
webhook_secret_env = "NW_TEST_UNSET_SECRET"
`, hsrv.URL, hu.Host))
	code, out, _ := runCmd(t, "-config", cfg, "check")
	if code != exitOK || !strings.Contains(out, "NW_TEST_UNSET_SECRET") || !strings.Contains(out, "NW_TEST_UNSET_TITLE") {
		t.Fatalf("check with unset variables: exit %d, want 0 and warnings naming them\n%s", code, out)
	}
	t.Setenv("NW_TEST_UNSET_SECRET", "x")
	t.Setenv("NW_TEST_UNSET_TITLE", "Newswatch")
	code, out, errOut := runCmd(t, "-config", cfg, "send", "-test")
	if code != exitOK || !strings.Contains(out, "accepted by webhook http://") || !strings.Contains(out, "accepted by ntfy://") {
		t.Fatalf("send -test: exit %d\n%s\n%s", code, out, errOut)
	}
	if bodies, _, _ := hook.posts(); len(bodies) != 2 || !strings.Contains(strings.Join(bodies, "\n"), `"test": true`) {
		t.Errorf("send -test posted %q", bodies)
	}
	// With -to, the mail alone: the channels are not posted to.
	code, out, errOut = runCmd(t, "-config", cfg, "send", "-test", "-to", "me@example.org")
	if code != exitOK || !strings.Contains(out, "notify channels are not tried") {
		t.Fatalf("send -test -to: exit %d\n%s\n%s", code, out, errOut)
	}
	if bodies, _, _ := hook.posts(); len(bodies) != 2 {
		t.Errorf("send -test -to posted to the channels: %d posts", len(bodies))
	}
}
