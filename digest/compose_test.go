package digest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newswatch/match"
	"newswatch/model"
	"newswatch/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// composeFixture stores a handful of items from two sources and returns a
// Composer over them.
func composeFixture(t *testing.T) (*Composer, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "nw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	batches := map[string][]model.Item{
		"Euronews": {
			{Key: "https://euronews.example/belgium-alibaba", Link: "https://euronews.example/belgium-alibaba",
				Title:     "Belgium monitoring China's Alibaba over spying concerns",
				Summary:   "<p>Belgium's intelligence service is monitoring the main European logistics hub of Alibaba Group over concern about possible <b>espionage</b>, the FT reports. The hub in Liège is run by its logistics arm Cainiao.</p>",
				Published: pub("2026-11-22T16:20:00Z")},
			{Key: "https://euronews.example/huawei-sanctions", Link: "https://euronews.example/huawei-sanctions",
				Title:     "US widens sanctions on Huawei chip suppliers",
				Summary:   "Washington added a dozen suppliers of Huawei to the entity list, tightening export controls on advanced chips &amp;amp; tools.",
				Published: pub("2026-11-22T09:00:00Z")},
		},
		"The Record": {
			{Key: "https://therecord.example/belgium-vsse-alibaba", Link: "https://therecord.example/belgium-vsse-alibaba",
				Title:     "Belgian State Security Service watches Alibaba logistics hub in Liège",
				Summary:   "The VSSE said it is monitoring Alibaba's Cainiao hub at Liège airport for possible espionage or interference, according to the Financial Times, citing intelligence assessments of the Liège operation.",
				Published: pub("2026-11-22T18:05:00Z")},
			{Key: "https://therecord.example/ivanti-cve", Link: "https://therecord.example/ivanti-cve",
				Title:     "Chinese spies exploit Ivanti zero-day CVE-2026-12345 against Alibaba Cloud customers",
				Summary:   "Attackers linked to Chinese espionage exploited CVE-2026-12345, a zero-day in Ivanti gateways, researchers said; Alibaba Cloud customers were among the targets.",
				Published: pub("2026-11-23T05:30:00Z")},
			{Key: "https://therecord.example/alibaba-results", Link: "https://therecord.example/alibaba-results",
				Title:     "Alibaba beats revenue forecasts",
				Summary:   "Alibaba's cloud unit grew 20% in the quarter.",
				Published: pub("2026-11-22T07:00:00Z")},
		},
	}
	for _, src := range []string{"Euronews", "The Record"} {
		if _, err := st.SaveRun(ctx, model.Run{Source: src, Started: time.Now(), Status: model.StatusOK, Items: len(batches[src])}, batches[src]); err != nil {
			t.Fatal(err)
		}
	}
	wl, err := match.Compile(
		[]match.Company{
			{Name: "Alibaba", Aliases: []string{"Alibaba Group", "Alibaba Cloud", "Cainiao", "阿里巴巴"}},
			{Name: "Huawei", Aliases: []string{"华为"}},
		},
		[]match.Topic{
			{Name: "Espionage", Terms: []string{"espionage", "spying", "spies", "intelligence service"}},
			{Name: "Sanctions", Terms: []string{"sanctions", "entity list", "export controls"}},
			{Name: "Vulnerabilities", Terms: []string{"zero-day", "CVE"}},
		})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	return &Composer{Store: st, Watchlist: wl, Templates: tmpl, MaxAge: 72 * time.Hour,
		Sources: []string{"Euronews", "The Record"}, Domain: "example.org"}, st
}

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

var fixtureNow = time.Date(2026, 11, 23, 7, 0, 0, 0, brussels)

func morningSpec() Spec {
	return Spec{Name: "Morning brief", To: []string{"analyst@example.org"}, Location: brussels}
}

func TestComposeGolden(t *testing.T) {
	c, _ := composeFixture(t)
	d, err := c.Compose(context.Background(), morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "morning.txt", d.Message.Text)
	golden(t, "morning.html", d.Message.HTML)
	if want := "Morning brief · Mon 23 Nov · 3 stories: Alibaba, Huawei"; d.Message.Subject != want {
		t.Errorf("subject = %q, want %q", d.Message.Subject, want)
	}
	if d.Message.MessageID != MessageID("Morning brief", fixtureNow, "example.org") {
		t.Errorf("Message-ID %q is not the slot's", d.Message.MessageID)
	}
	if !strings.Contains(d.Message.HTML, `href="https://nvd.nist.gov/vuln/detail/CVE-2026-12345"`) {
		t.Error("CVE identifier not linked to NVD")
	}
	if len(d.Message.ItemIDs) != 4 {
		t.Errorf("claimed %d items, want 4 (the results story is no match)", len(d.Message.ItemIDs))
	}
}

func TestComposeSelection(t *testing.T) {
	ctx := context.Background()
	c, _ := composeFixture(t)
	spec := morningSpec()
	spec.Companies = []string{"Huawei"}
	d, err := c.Compose(ctx, spec, fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.View.Count != 1 || !strings.Contains(d.Message.Text, "Huawei chip suppliers") || strings.Contains(d.Message.Text, "Belgium") {
		t.Fatalf("company filter: %d stories\n%s", d.View.Count, d.Message.Text)
	}

	// Recorded digests claim their items: the next one has nothing new.
	d, err = c.Compose(ctx, morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Record(ctx, &d); err != nil {
		t.Fatal(err)
	}
	next, err := c.Compose(ctx, morningSpec(), fixtureNow.Add(24*time.Hour), fixtureNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !next.Empty || !strings.Contains(next.Message.Subject, "nothing new") {
		t.Fatalf("second digest not empty: %q\n%s", next.Message.Subject, next.Message.Text)
	}

	// max_age: items published longer ago are left out.
	c.MaxAge = 10 * time.Minute
	spec = morningSpec()
	spec.Name = "Late brief"
	late, err := c.Compose(ctx, spec, fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if late.View.Count != 0 {
		t.Fatalf("max_age 10m kept %d stories", late.View.Count)
	}
}

func TestComposeEscapesFeedHTML(t *testing.T) {
	ctx := context.Background()
	c, st := composeFixture(t)
	evil := model.Item{Key: "https://evil.example/x", Link: "javascript:alert(1)",
		Title:   `Alibaba espionage <script>alert(1)</script><img src=x onerror=alert(2)>`,
		Summary: `<a href="javascript:alert(3)">Alibaba</a> spying <iframe src="data:text/html,boom"></iframe> &lt;script&gt;alert(4)&lt;/script&gt;`}
	if _, err := st.SaveRun(ctx, model.Run{Source: "Evil", Started: time.Now(), Status: model.StatusOK, Items: 1}, []model.Item{evil}); err != nil {
		t.Fatal(err)
	}
	d, err := c.Compose(ctx, morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	html := strings.ToLower(d.Message.HTML)
	for _, bad := range []string{"<script", "<img", "<iframe", "javascript:", "onerror=", "data:text"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./digest -run Golden -update to accept):\n%s", name, got)
	}
}

// TestComposeHealthFooter: a failing source is named with its error, and one
// that failed since the last digest but recovered is named too.
func TestComposeHealthFooter(t *testing.T) {
	ctx := context.Background()
	c, st := composeFixture(t)
	c.Sources = append(c.Sources, "Broken", "Flaky")
	runs := []model.Run{
		{Source: "Flaky", Started: time.Now(), Status: model.StatusError, Err: "fetch: 503 Service Unavailable"},
		{Source: "Flaky", Started: time.Now(), Status: model.StatusOK},
		{Source: "Broken", Started: time.Now(), Status: model.StatusError, Err: "parse feed: XML syntax error on line 3"},
	}
	for _, r := range runs {
		if _, err := st.SaveRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.Compose(ctx, morningSpec(), fixtureNow, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"3 sources fetched fine in the last 24 hours; 1 failing.", // no digest was sent before this one,
		"Broken failing since",
		"XML syntax error",
		"Flaky recovered after 1 failed fetch from",
	} {
		if !strings.Contains(d.Message.Text, want) {
			t.Errorf("text footer lacks %q:\n%s", want, d.Message.Text)
		}
		if !strings.Contains(d.Message.HTML, want) {
			t.Errorf("HTML footer lacks %q", want)
		}
	}
}
