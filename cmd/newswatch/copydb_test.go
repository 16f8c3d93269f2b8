package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"newswatch/internal/testutil"
)

// TestCopyDB moves an installation from SQLite to PostgreSQL with copy-db:
// pointed at the copy, once finds nothing new to announce and no digest
// due, and status shows the sources' health carried over.
func TestCopyDB(t *testing.T) {
	path := onceConfig(t, false)
	dir := filepath.Dir(path)
	mails := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "out", "Daily", "*.eml"))
		return len(files)
	}
	if code, out, errb := runCmd(t, "-config", path, "once"); code != 0 || mails() != 1 {
		t.Fatalf("once: exit %d, %d digests\n%s%s", code, mails(), out, errb)
	}

	// The local server trusts its users: the password is there to be masked.
	url := strings.Replace(testutil.Postgres(t), "postgres@", "postgres:s3cret@", 1)
	if code, _, errb := runCmd(t, "-config", path, "copy-db"); code != exitUsage || !strings.Contains(errb, "-to") {
		t.Errorf("copy-db without -to: exit %d: %s", code, errb)
	}
	code, out, errb := runCmd(t, "-config", path, "copy-db", "-to", url)
	if code != 0 || !strings.Contains(out, "1 digest") || !strings.Contains(out, "1 source's health") || strings.Contains(out, "s3cret") {
		t.Fatalf("copy-db: exit %d\n%s%s", code, out, errb)
	}
	if code, _, errb := runCmd(t, "-config", path, "copy-db", "-to", url); code != exitFailure || !strings.Contains(errb, "already holds items or digests") || strings.Contains(errb, "store:") {
		t.Errorf("second copy-db: exit %d: %s", code, errb)
	}

	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), `database = "nw.db"`, `database = "`+url+`"`, 1))
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errb := runCmd(t, "-config", path, "once"); code != 0 || mails() != 1 || !strings.Contains(out, "0 new") {
		t.Errorf("once on the copy: exit %d, %d digests; want nothing new, nothing sent\n%s%s", code, mails(), out, errb)
	}
	if code, out, errb := runCmd(t, "-config", path, "status"); code != 0 || !strings.Contains(out, "Markets Wire") ||
		strings.Contains(out, "never fetched") || !strings.Contains(out, "Database: postgres://postgres:xxxxx@") || strings.Contains(out, "s3cret") {
		t.Errorf("status on the copy: exit %d\n%s%s", code, out, errb)
	}
}
