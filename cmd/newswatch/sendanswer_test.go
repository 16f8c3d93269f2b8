package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestSendShowsTheWebhookAnswer: a real send shows, under each webhook it
// delivered to (its URL masked), the status and the start of the answer,
// as send -test does; the URL's secret is not printed.
func TestSendShowsTheWebhookAnswer(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"queued": true, "id": "`+strings.Repeat("x", 400)+`"}`)
	}))
	t.Cleanup(hook.Close)
	path := onceConfig(t, false)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), "send_empty = true\n", "send_empty = true\nnotify = [\""+hook.URL+"/hook?token=5ecret\"]\n", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "-config", path, "send", "Daily")
	if code != exitOK {
		t.Fatalf("send: exit %d\n%s%s", code, out, errOut)
	}
	_, after, ok := strings.Cut(out, "Daily: delivered to "+hook.URL+"/hook")
	if !ok || !strings.Contains(after, "\n  answered 202 Accepted {\"queued\": true, \"id\": \"xxx") {
		t.Errorf("send: want the webhook's status and answer under its line\n%s", out)
	}
	if strings.Contains(out+errOut, "5ecret") {
		t.Errorf("send printed the webhook's token:\n%s%s", out, errOut)
	}
	if strings.Contains(out, strings.Repeat("x", 300)) {
		t.Errorf("send printed the whole answer, want its start:\n%s", out)
	}
}
