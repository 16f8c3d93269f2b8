package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/model"
)

// TestFooterMasksStoredErrors: a digest's failed-sources footer, mailed to
// every recipient, shows no secret of a source's URL, also for a failure
// recorded unmasked (by the version before, or by an older daemon on the
// same PostgreSQL database) within the digest's window.
func TestFooterMasksStoredErrors(t *testing.T) {
	const feed = "http://user:hunter2@127.0.0.1:1/rss?apikey=SEKRET"
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	cfg := fmt.Sprintf(`database = "nw.db"
[output]
dir = "out"
[[sources]]
name = "Paid"
feed = %q
[[sources]]
name = "Down"
feed = %q
[[companies]]
name = "Alibaba"
[[topics]]
name = "Espionage"
terms = ["espionage"]
[[digests]]
name = "Brief"
schedule = "0 7 * * *"
to = ["a@example.org"]
send_empty = true
`, feed, feed+"&down=1")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	a, err := Open(context.Background(), s, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	for _, r := range []model.Run{
		{Source: "Paid", Started: now.Add(-2 * time.Hour), Status: model.StatusError, Err: `source "Paid": fetch ` + feed + `: HTTP 500`},
		{Source: "Paid", Started: now.Add(-time.Hour), Status: model.StatusOK},
		{Source: "Down", Started: now.Add(-time.Hour), Status: model.StatusError, Err: `source "Down": fetch ` + feed + `&down=1: HTTP 500`},
	} {
		if _, err := a.Store.SaveRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	spec, ok := a.Spec("Brief")
	if !ok {
		t.Fatal("no spec")
	}
	d, err := a.Composer.Compose(ctx, spec, now, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "SEKRET"} {
		if strings.Contains(d.Message.Text, secret) || strings.Contains(d.Message.HTML, secret) {
			t.Errorf("the digest's footer shows %q:\n%s", secret, d.Message.Text)
		}
	}
}
