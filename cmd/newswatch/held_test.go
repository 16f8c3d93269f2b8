package main

import (
	"os"
	"strings"
	"testing"

	"newswatch/internal/smtptest"
)

// TestStatusQuietWhileHeld: the health check (status -q) fails, printing
// nothing, while a configured digest is held back by the mail settings,
// and status says so; a try that fails for another reason, the digest no
// longer configured, or the fix make the check pass.
func TestStatusQuietWhileHeld(t *testing.T) {
	msrv := smtptest.New(t, smtptest.Options{Username: "newswatch", Password: "secret", AllowInsecureAuth: true})
	path := smtpConfig(t, msrv)
	quiet := func(step string, want int) {
		t.Helper()
		code, out, errOut := runCmd(t, "-config", path, "status", "-q")
		if code != want || out+errOut != "" {
			t.Fatalf("status -q %s: exit %d, want %d and nothing printed\n%s%s", step, code, want, out, errOut)
		}
	}
	t.Setenv("NW_TEST_SMTP_PASSWORD", "wrong")
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure {
		t.Fatalf("send with a wrong password: exit %d\n%s%s", code, out, errOut)
	}
	quiet("while the digest is held", exitFailure)
	code, out, _ := runCmd(t, "-config", path, "status")
	if code != exitOK || !strings.Contains(out, "held until the mail settings are fixed") || !strings.Contains(out, "535") {
		t.Fatalf("status while the digest is held: exit %d, want it held with the server's refusal\n%s", code, out)
	}

	// The server unreachable for a moment: the last try's failure is no
	// longer the settings'.
	msrv.SetFaults(smtptest.Fault{Stage: smtptest.Connect, Code: 421, Times: 1})
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure || strings.Contains(out, "mail settings") {
		t.Fatalf("send refused with 421: exit %d, want 1 and a retry\n%s%s", code, out, errOut)
	}
	quiet("after a try that failed for another reason", exitOK)
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitFailure {
		t.Fatalf("send with a wrong password again: exit %d\n%s%s", code, out, errOut)
	}
	quiet("held again", exitFailure)

	// A digest renamed since is no longer the user's concern.
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.Replace(string(cfg), `name = "Daily"`, `name = "Morning"`, 1)
	if err := os.WriteFile(path, []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	quiet("with the held digest renamed", exitOK)
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Setenv("NW_TEST_SMTP_PASSWORD", "secret")
	if code, out, errOut := runCmd(t, "-config", path, "send", "Daily"); code != exitOK {
		t.Fatalf("send after the fix: exit %d\n%s%s", code, out, errOut)
	}
	quiet("after the fix", exitOK)
}
