package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusMissingDatabase: status on a config whose database does not
// exist says so and creates nothing.
func TestStatusMissingDatabase(t *testing.T) {
	path := onceConfig(t, false)
	code, _, errOut := runCmd(t, "-config", path, "status")
	if code != exitFailure || !strings.Contains(errOut, "no database at") {
		t.Errorf("status without a database: exit %d, stderr %q", code, errOut)
	}
	// The health check says it with its exit code alone.
	if code, out, errOut := runCmd(t, "-config", path, "status", "-q"); code != exitFailure || out != "" || errOut != "" {
		t.Errorf("status -q without a database: exit %d, stdout %q, stderr %q; want 1 and nothing printed", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "nw.db")); err == nil {
		t.Error("status created the database")
	}
}

// TestStatusRows: a 304 shows as "not modified", an error does not repeat
// the source's name, and each digest's last delivery is listed.
func TestStatusRows(t *testing.T) {
	path := onceConfig(t, false)
	for range 2 { // the second fetch of the file is not modified
		if code, out, errOut := runCmd(t, "-config", path, "once"); code != exitOK {
			t.Fatalf("once: exit %d\n%s%s", code, out, errOut)
		}
	}
	code, out, errOut := runCmd(t, "-config", path, "status")
	if code != exitOK {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "not modified") {
		t.Errorf("status does not show the 304 as not modified:\n%s", out)
	}
	if !strings.Contains(out, "Last delivered:") || strings.Contains(out, "Daily  never") {
		t.Errorf("status does not show Daily's last delivery:\n%s", out)
	}

	broken := onceConfig(t, true)
	runCmd(t, "-config", broken, "once")
	_, out, _ = runCmd(t, "-config", broken, "status")
	if strings.Count(out, "Markets Wire") != 1 {
		t.Errorf("the failing source's name is repeated in its row:\n%s", out)
	}
}

// TestStatusQuiet: status -q prints nothing and its exit code is a health
// check: 0 when a source worked, 1 when every source failed.
func TestStatusQuiet(t *testing.T) {
	good := onceConfig(t, false)
	runCmd(t, "-config", good, "once")
	if code, out, errOut := runCmd(t, "-config", good, "status", "-q"); code != exitOK || out != "" || errOut != "" {
		t.Errorf("status -q, healthy: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	broken := onceConfig(t, true)
	runCmd(t, "-config", broken, "once")
	if code, out, _ := runCmd(t, "-config", broken, "status", "-q"); code != exitFailure || out != "" {
		t.Errorf("status -q, every source failing: exit %d, stdout %q", code, out)
	}
}

// TestLogTimesInConfigZone: log lines carry the configuration's zone.
func TestLogTimesInConfigZone(t *testing.T) {
	path := onceConfig(t, false) // Europe/Brussels
	_, _, errOut := runCmd(t, "-config", path, "-v", "-log-format", "json", "fetch")
	line, _, _ := strings.Cut(errOut, "\n")
	var rec struct {
		Time string `json:"time"`
	}
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("first log line %q: %v", line, err)
	}
	if !strings.HasSuffix(rec.Time, "+01:00") && !strings.HasSuffix(rec.Time, "+02:00") {
		t.Errorf("log time %q is not in Brussels time", rec.Time)
	}
}
