package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/internal/smtptest"
	"newswatch/model"
	"newswatch/store"
)

// smtpConfig adds an [smtp] table with a login to onceConfig's config: the
// password in $NW_TEST_SMTP_PASSWORD, the server msrv on loopback.
func smtpConfig(t *testing.T, msrv *smtptest.Server) string {
	t.Helper()
	path := onceConfig(t, false)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	smtp := fmt.Sprintf(`[smtp]
host = "127.0.0.1"
port = %d
security = "none"
username = "newswatch"
password_env = "NW_TEST_SMTP_PASSWORD"
from = "Newswatch <newswatch@example.org>"
`, msrv.Port())
	if err := os.WriteFile(path, []byte(strings.Replace(string(cfg), "[output]", smtp+"[output]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWrongPasswordKeepsTheDigest: a refused login (535) or an unset
// password variable is the user's to fix, not the message's: send exits 1
// saying the digest is kept, status shows it pending with the error, and
// the first send or once after the fix delivers it.
func TestWrongPasswordKeepsTheDigest(t *testing.T) {
	for _, tt := range []struct {
		name, password, want string
		fix                  []string
	}{
		{"535 then send", "wrong", "535", []string{"send", "Daily"}},
		{"unset then once", "", "NW_TEST_SMTP_PASSWORD", []string{"once", "-q"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
			path := smtpConfig(t, msrv)
			t.Setenv("NW_TEST_SMTP_PASSWORD", tt.password)
			code, out, errOut := runCmd(t, "-config", path, "send", "Daily")
			if code != exitFailure || !strings.Contains(out, "kept in the outbox until the mail settings are fixed") || !strings.Contains(out, tt.want) {
				t.Fatalf("send with a bad login: exit %d, want 1 and the digest kept\n%s%s", code, out, errOut)
			}
			if strings.Contains(errOut, "msg=") || strings.Contains(errOut, `"msg"`) {
				t.Errorf("send printed log records besides its own lines:\n%s", errOut)
			}
			code, out, _ = runCmd(t, "-config", path, "status")
			if code != exitOK || !strings.Contains(out, "pending") || !strings.Contains(out, tt.want) {
				t.Fatalf("status after a bad login: exit %d, want the digest pending with the error\n%s", code, out)
			}
			// The next digest's footer says so too.
			code, out, _ = runCmd(t, "-config", path, "preview", "Daily")
			if flat := strings.Join(strings.Fields(out), " "); code != exitOK || !strings.Contains(flat, "kept in the outbox, not sent yet") || !strings.Contains(flat, tt.want) {
				t.Fatalf("preview after a bad login: exit %d, want the held digest in the footer\n%s", code, out)
			}
			if n := len(msrv.Messages()); n != 0 {
				t.Fatalf("%d messages accepted before the fix", n)
			}

			t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
			code, out, errOut = runCmd(t, append([]string{"-config", path}, tt.fix...)...)
			if code != exitOK {
				t.Fatalf("%v after the fix: exit %d\n%s%s", tt.fix, code, out, errOut)
			}
			if n := len(msrv.Messages()); n < 1 {
				t.Fatalf("%v after the fix sent nothing\n%s", tt.fix, out)
			}
			code, out, _ = runCmd(t, "-config", path, "status")
			if code != exitOK || !strings.Contains(out, "none pending or failed") || strings.Contains(out, "Daily  never") {
				t.Errorf("status after the fix: exit %d, want the digest delivered\n%s", code, out)
			}
		})
	}
}

// TestStatusAfterAFailedDigest: a digest refused for good (550) makes
// status -q exit 1 printing nothing, and status list it with its slot in
// the config's zone; once a later digest went out, status -q is 0 and the
// failed one leaves the outbox list.
func TestStatusAfterAFailedDigest(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := smtpConfig(t, msrv)
	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	msrv.SetFaults(smtptest.Fault{Stage: smtptest.DataEnd, Code: 550, Times: 1})
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure || !strings.Contains(out, "failed for good") {
		t.Fatalf("send refused with 550: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, "-config", path, "status", "-q")
	if code != exitFailure || out != "" || errOut != "" {
		t.Fatalf("status -q after a failed digest: exit %d, stdout %q, stderr %q; want 1 and nothing printed", code, out, errOut)
	}
	code, out, _ = runCmd(t, "-config", path, "status")
	if code != exitOK || !strings.Contains(out, "failed") || !strings.Contains(out, "CET") {
		t.Fatalf("status after a failed digest: exit %d\n%s", code, out)
	}
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitOK {
		t.Fatalf("second send: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "-config", path, "status", "-q"); code != exitOK || out+errOut != "" {
		t.Errorf("status -q after a later digest went out: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "-config", path, "status")
	if code != exitOK || !strings.Contains(out, "none pending or failed") {
		t.Errorf("status lists a failed digest a later one replaced:\n%s", out)
	}
}

// TestSendNamesWhatItDidNotSend: a send whose digest another sender holds
// at that moment says so and exits 1, rather than 0 having sent nothing.
func TestSendNamesWhatItDidNotSend(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := smtpConfig(t, msrv)
	t.Setenv("NW_TEST_SMTP_PASSWORD", "wrong")
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure {
		t.Fatalf("send with a wrong password: exit %d\n%s%s", code, out, errOut)
	}
	st, err := store.Open(t.Context(), filepath.Join(filepath.Dir(path), "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pending, err := st.Messages(t.Context(), model.MessagePending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %v, %v", pending, err)
	}
	if err := st.Lease(t.Context(), pending[0].ID); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	code, out, errOut := runCmd(t, "-config", path, "send", "Daily")
	if code != exitFailure || !strings.Contains(out, "is being sent by another newswatch right now") {
		t.Errorf("send of a digest another sender holds: exit %d, want 1 and why\n%s%s", code, out, errOut)
	}
}

// TestOnceQuietWithAWrongPassword: under cron, once -q with a refused login
// prints the digest kept and why, as plain lines (no log records), and
// exits 1.
func TestOnceQuietWithAWrongPassword(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := smtpConfig(t, msrv)
	t.Setenv("NW_TEST_SMTP_PASSWORD", "wrong")
	code, out, errOut := runCmd(t, "-config", path, "once", "-q")
	if code != exitFailure || !strings.Contains(out, "kept in the outbox until the mail settings are fixed") {
		t.Fatalf("once -q with a wrong password: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "{") || strings.Contains(out, "Markets Wire:") {
		t.Errorf("once -q printed log records or the fetch listing:\n%s%s", out, errOut)
	}
}

// TestSendAfterTheFixNamesTheHeldDigest: with send_empty = false, a send
// after the fix has nothing new of its own; it says that the digest held
// back is the one tried, and sends it.
func TestSendAfterTheFixNamesTheHeldDigest(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := offlineConfig(t, `max_age = "87600h"`)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	smtp := fmt.Sprintf("[smtp]\nhost = \"127.0.0.1\"\nport = %d\nsecurity = \"none\"\nusername = \"newswatch\"\npassword_env = \"NW_TEST_SMTP_PASSWORD\"\nfrom = \"n@example.org\"\n\n", msrv.Port())
	if err := os.WriteFile(path, []byte(strings.Replace(string(cfg), "[output]", smtp+"[output]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "-config", path, "fetch"); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("NW_TEST_SMTP_PASSWORD", "wrong")
	if code, out, errOut := runCmd(t, "-config", path, "send", "Offline brief"); code != exitFailure {
		t.Fatalf("send with a wrong password: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	code, out, errOut := runCmd(t, "-config", path, "send", "Offline brief")
	if code != exitOK || len(msrv.Messages()) != 1 || strings.Contains(out, "nothing sent") ||
		(!strings.Contains(out, "still in the outbox") && !strings.Contains(out, "nothing new beyond the digest of")) {
		t.Errorf("send after the fix: exit %d, %d messages\n%s%s", code, len(msrv.Messages()), out, errOut)
	}
}

// TestPreviewBesideAHeldDigest: preview, while a digest is held back by a
// wrong password, says that the new items are in that digest.
func TestPreviewBesideAHeldDigest(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := offlineConfig(t, `max_age = "87600h"`)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	smtp := fmt.Sprintf("[smtp]\nhost = \"127.0.0.1\"\nport = %d\nsecurity = \"none\"\nusername = \"newswatch\"\npassword_env = \"NW_TEST_SMTP_PASSWORD\"\nfrom = \"n@example.org\"\n\n", msrv.Port())
	if err := os.WriteFile(path, []byte(strings.Replace(string(cfg), "[output]", smtp+"[output]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NW_TEST_SMTP_PASSWORD", "wrong")
	if code, out, errOut := runCmd(t, "-config", path, "once"); code != exitFailure {
		t.Fatalf("once with a wrong password: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, "-config", path, "preview")
	if code != exitOK || !strings.Contains(out, "still in the outbox") {
		t.Errorf("preview beside a held digest: exit %d\n%s%s", code, out, errOut)
	}
}

// TestHeldDigestIsNeverGivenUp: a digest held back by the mail settings
// is still pending four days later (a temporary failure is given up after
// 72 hours), and goes out once the password is right.
func TestHeldDigestIsNeverGivenUp(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := smtpConfig(t, msrv)
	t.Setenv("NW_TEST_SMTP_PASSWORD", "wrong")
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure {
		t.Fatalf("send with a wrong password: exit %d\n%s%s", code, out, errOut)
	}
	a, _, _ := onceApp(t, path)
	later := time.Now().Add(96 * time.Hour)
	a.Now = func() time.Time { return later }
	if err := a.DeliverPending(t.Context(), io.Discard, nil, false, true); err == nil {
		t.Fatal("delivery with the wrong password four days later succeeded")
	}
	pending, err := a.Store.Messages(t.Context(), model.MessagePending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("four days later: %d pending (%v), want the digest still pending", len(pending), err)
	}
	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	if err := a.DeliverPending(t.Context(), io.Discard, nil, false, true); err != nil || len(msrv.Messages()) != 1 {
		t.Errorf("after the fix: %v, %d messages", err, len(msrv.Messages()))
	}
}
