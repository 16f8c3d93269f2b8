package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"newswatch/internal/testutil"
	"newswatch/model"
	"newswatch/store"
)

// now is the fixture's present: items are a day or two old.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

const fixtureConfig = `# analyst's watchlist
database = "newswatch.db"

[web]
listen = "127.0.0.1:8080"

[[sources]]
name = "Wire"
feed = "https://wire.example.org/feed"

[[sources]]
name = "Page"
page = "https://page.example.org/"
links = "article a"

# the one we care about
[[companies]]
name = "Alibaba"
aliases = ["Alibaba Group", "Cainiao"] # logistics arm
exclude = ["Alibaba Pictures"]

[[companies]]
name = "Tencent"
all_news = true

[[topics]]
name = "Espionage"
terms = ["espionage", "spying"]

[[topics]]
name = "Zero-day"
terms = ["zero-day"]

[[digests]]
name = "Morning"
schedule = "0 7 * * *"
to = ["analyst@example.org"]
`

// fixture is a console over a configuration file and a database with a
// few items and two digests.
type fixture struct {
	srv    *Server
	h      http.Handler
	st     *store.Store
	path   string
	ids    map[string]int64
	digest int64
}

func newFixture(t testing.TB, token string) *fixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "newswatch.toml")
	cfg := fixtureConfig
	db := filepath.Join(dir, "newswatch.db")
	if strings.HasSuffix(t.Name(), "/postgres") {
		db = testutil.Postgres(t)
		cfg = strings.Replace(cfg, `database = "newswatch.db"`, `database = "`+db+`"`, 1)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	items := []model.Item{
		{Key: "spy", Link: "https://wire.example.org/spy", Title: "Cainiao accused of spying on customers", Body: "Investigators say the Alibaba Group logistics arm ran espionage against rivals.", Published: day(1)},
		{Key: "film", Link: "https://wire.example.org/film", Title: "Alibaba Pictures spying drama", Body: "A film about espionage from Alibaba Pictures.", Published: day(2)},
		{Key: "cloud", Link: "https://wire.example.org/cloud", Title: "Alibaba Cloud price cut", Body: "Prices fall for Alibaba Cloud customers; no spying here, just Alibaba Cloud.", Published: day(3)},
		{Key: "script", Link: "javascript:alert(1)", Title: "Tencent zero-day", Body: `<img src=x onerror=alert(1)> Tencent patched a zero-day; severity <9 & "rising".`, Published: day(1)},
	}
	added, err := st.SaveRun(ctx, model.Run{Source: "Wire", Status: model.StatusOK, Items: len(items), Started: now}, items)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, path: path, ids: map[string]int64{}}
	for _, it := range added {
		f.ids[it.Key] = it.ID
	}
	m := &model.Message{Digest: "Morning", Slot: day(1), Subject: "Morning: 1 item about Alibaba", To: []string{"analyst@example.org"},
		HTML: `<html><body><p style="color:red">Mailed digest</p></body></html>`, Text: "Mailed digest", ItemIDs: []int64{f.ids["spy"]}}
	if err := st.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSent(ctx, m.ID, day(1)); err != nil {
		t.Fatal(err)
	}
	f.digest = m.ID
	if err := st.CreateMessage(ctx, &model.Message{Digest: "Morning", Slot: now, Subject: "Morning: pending", HTML: "<p>pending</p>"}); err != nil {
		t.Fatal(err)
	}
	f.srv, err = New(t.Context(), Options{ConfigPath: path, Store: st, Token: token, Listen: "127.0.0.1:8080", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f.h = f.srv.Handler()
	return f
}

// do sends one request through the handler.
func (f *fixture) do(t testing.TB, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" && strings.HasPrefix(body, "{") {
		r.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Host = "127.0.0.1:8080"
	for k, v := range header {
		switch k {
		case "Host":
			r.Host = v
			continue
		case "RemoteAddr": // the client's address
			r.RemoteAddr = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return v
}

type itemsAnswer struct {
	Total int       `json:"total"`
	Items []apiItem `json:"items"`
}

func titles(items []apiItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.Title)
	}
	return out
}

func TestAPIItems(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			f := newFixture(t, "")
			for name, tc := range map[string]struct {
				query string
				want  []string
			}{
				"all newest first":  {"", []string{"Tencent zero-day", "Cainiao accused of spying on customers", "Alibaba Pictures spying drama", "Alibaba Cloud price cut"}},
				"word":              {"q=spying", []string{"Cainiao accused of spying on customers", "Alibaba Pictures spying drama", "Alibaba Cloud price cut"}},
				"phrase":            {"q=%22alibaba+cloud%22", []string{"Alibaba Cloud price cut"}},
				"excluded":          {"q=spying+-pictures", []string{"Cainiao accused of spying on customers", "Alibaba Cloud price cut"}},
				"company":           {"company=Alibaba", []string{"Cainiao accused of spying on customers", "Alibaba Cloud price cut"}},
				"company and q":     {"company=Alibaba&q=customers", []string{"Cainiao accused of spying on customers", "Alibaba Cloud price cut"}},
				"topic":             {"topic=Zero-day", []string{"Tencent zero-day"}},
				"names in any case": {"company=alibaba&topic=ESPIONAGE", []string{"Cainiao accused of spying on customers", "Alibaba Cloud price cut"}},
				"matched":           {"matched=1", []string{"Tencent zero-day", "Cainiao accused of spying on customers", "Alibaba Cloud price cut"}},
				"source":            {"source=Page", []string{}},
				"dates":             {"since=" + now.AddDate(0, 0, -2).Format(time.RFC3339) + "&until=" + now.AddDate(0, 0, -1).Format(time.RFC3339), []string{"Alibaba Pictures spying drama"}},
				"limit":             {"q=spying&limit=1", []string{"Cainiao accused of spying on customers"}},
			} {
				w := f.do(t, "GET", "/api/items?"+tc.query, "", nil)
				if w.Code != http.StatusOK {
					t.Fatalf("%s: %d %s", name, w.Code, w.Body)
				}
				got := decode[itemsAnswer](t, w)
				if !slices.Equal(titles(got.Items), tc.want) {
					t.Errorf("%s: %q", name, titles(got.Items))
				}
				if got.Total < len(got.Items) || (tc.query == "q=spying&limit=1" && got.Total != 3) {
					t.Errorf("%s: total %d", name, got.Total)
				}
			}
			w := f.do(t, "GET", "/api/items?q=espionage&company=Alibaba", "", nil)
			got := decode[itemsAnswer](t, w)
			if len(got.Items) != 1 {
				t.Fatalf("espionage for Alibaba: %s", w.Body)
			}
			it := got.Items[0]
			if it.ID != f.ids["spy"] || it.Source != "Wire" || it.Published != now.AddDate(0, 0, -1).Format(time.RFC3339) ||
				!slices.Equal(it.Companies, []string{"Alibaba"}) || !slices.Equal(it.Topics, []string{"Espionage"}) ||
				!slices.Contains(it.Terms, "Cainiao") || !slices.Contains(it.Terms, "espionage") || !strings.Contains(it.Snippet, "espionage") {
				t.Errorf("item: %+v", it)
			}
			for q, status := range map[string]int{"company=Nobody": 404, "topic=Nothing": 404, "since=yesterday": 400, "limit=-1": 400} {
				if w := f.do(t, "GET", "/api/items?"+q, "", nil); w.Code != status {
					t.Errorf("%s: %d, want %d", q, w.Code, status)
				}
			}
		})
	}
}

func TestAPIDigests(t *testing.T) {
	f := newFixture(t, "")
	w := f.do(t, "GET", "/api/digests", "", nil)
	got := decode[struct {
		Digests []map[string]any `json:"digests"`
	}](t, w)
	if len(got.Digests) != 2 || got.Digests[0]["status"] != "pending" || got.Digests[1]["status"] != "sent" ||
		got.Digests[1]["sent"] != now.AddDate(0, 0, -1).Format(time.RFC3339) || got.Digests[1]["digest"] != "Morning" {
		t.Errorf("digests: %s", w.Body)
	}
	w = f.do(t, "GET", "/digests/"+itoa(f.digest), "", nil)
	if w.Code != 200 || w.Body.String() != `<html><body><p style="color:red">Mailed digest</p></body></html>` {
		t.Errorf("digest HTML: %d %s", w.Code, w.Body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
		t.Errorf("digest CSP: %s", csp)
	}
	for _, p := range []string{"/digests/999", "/digests/x"} {
		if w := f.do(t, "GET", p, "", nil); w.Code != 404 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}

func itoa(n int64) string { return strings.TrimSpace(strings.Replace(jsonString(n), `"`, "", -1)) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAPIWatchlist(t *testing.T) {
	f := newFixture(t, "")
	w := f.do(t, "GET", "/api/watchlist", "", nil)
	want := `{"companies":[{"aliases":["Alibaba Group","Cainiao"],"all_news":false,"exclude":["Alibaba Pictures"],"name":"Alibaba"},` +
		`{"aliases":[],"all_news":true,"exclude":[],"name":"Tencent"}],` +
		`"topics":[{"exclude":[],"name":"Espionage","terms":["espionage","spying"]},{"exclude":[],"name":"Zero-day","terms":["zero-day"]}]}`
	if strings.TrimSpace(w.Body.String()) != want {
		t.Errorf("watchlist:\n%s\nwant\n%s", w.Body, want)
	}
}

type previewAnswer struct {
	Matches int       `json:"matches"`
	Gained  []apiItem `json:"gained"`
	Lost    []apiItem `json:"lost"`
	Errors  []string  `json:"errors"`
}

func TestAPIPreview(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			f := newFixture(t, "")
			before, _ := os.ReadFile(f.path)
			// Dropping Cainiao loses the item that names only it; dropping
			// the exclusion gains the film.
			w := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group"],"exclude":[],"all_news":false}`, nil)
			got := decode[previewAnswer](t, w)
			if w.Code != 200 || got.Matches != 3 || !slices.Equal(titles(got.Gained), []string{"Alibaba Pictures spying drama"}) ||
				len(got.Lost) != 0 {
				t.Errorf("preview: %d %s", w.Code, w.Body)
			}
			w = f.do(t, "POST", "/api/watchlist/preview", `{"kind":"topic","name":"Espionage","terms":["espionage"],"days":1}`, nil)
			got = decode[previewAnswer](t, w)
			if w.Code != 200 || got.Matches != 1 || len(got.Gained) != 0 || len(got.Lost) != 0 {
				t.Errorf("topic preview over 1 day: %d %s", w.Code, w.Body)
			}
			w = f.do(t, "POST", "/api/watchlist/preview", `{"kind":"topic","name":"Espionage","terms":["zzz"],"days":30}`, nil)
			got = decode[previewAnswer](t, w)
			if got.Matches != 0 || !slices.Equal(titles(got.Lost), []string{"Cainiao accused of spying on customers", "Alibaba Cloud price cut"}) {
				t.Errorf("topic emptied: %s", w.Body)
			}
			for body, want := range map[string]string{
				`{"kind":"company","name":"Alibaba","aliases":["  "]}`:              "companies[0].aliases[0]: empty alias",
				`{"kind":"topic","name":"Espionage","terms":[]}`:                    "topics[0].terms: needs at least one term",
				`{"kind":"topic","name":"Espionage","terms":["x"],"exclude":["y"]}`: "exclude: a topic has no exclude phrases",
				`{"kind":"source","name":"Wire"}`:                                   `kind: must be "company" or "topic"`,
				`{"kind":"company","name":"Alibaba","bogus":1}`:                     "unknown field",
			} {
				w := f.do(t, "POST", "/api/watchlist/preview", body, nil)
				got := decode[previewAnswer](t, w)
				if w.Code != 400 || len(got.Errors) == 0 || !strings.Contains(got.Errors[0], want) {
					t.Errorf("%s: %d %s, want 400 with %q", body, w.Code, w.Body, want)
				}
			}
			if w := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"company","name":"Nobody","aliases":["x"]}`, nil); w.Code != 404 {
				t.Errorf("unknown company: %d", w.Code)
			}
			if after, _ := os.ReadFile(f.path); string(after) != string(before) {
				t.Errorf("preview changed the file")
			}
		})
	}
}

func TestAPISave(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group","Cainiao","Aliyun"],"exclude":["Alibaba Pictures"],"all_news":false}`, nil)
	if w.Code != 200 {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	if got := strings.TrimSpace(w.Body.String()); got != `{"name":"Alibaba","aliases":["Alibaba Group","Cainiao","Aliyun"],"exclude":["Alibaba Pictures"],"all_news":false}` {
		t.Errorf("answer: %s", got)
	}
	after, _ := os.ReadFile(f.path)
	want := strings.Replace(string(before), `aliases = ["Alibaba Group", "Cainiao"] # logistics arm`, `aliases = ["Alibaba Group", "Cainiao", "Aliyun"] # logistics arm`, 1)
	if string(after) != want {
		t.Errorf("file after save:\n%s", after)
	}
	// The console reads the saved file: the API shows the new alias.
	if w := f.do(t, "GET", "/api/watchlist", "", nil); !strings.Contains(w.Body.String(), "Aliyun") {
		t.Errorf("watchlist after save: %s", w.Body)
	}
	// Invalid: 400, file untouched; unknown entry: 404.
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"Espionage","terms":[""]}`, nil); w.Code != 400 {
		t.Errorf("invalid save: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"Nothing","terms":["x"]}`, nil); w.Code != 404 {
		t.Errorf("unknown topic: %d %s", w.Code, w.Body)
	}
	if again, _ := os.ReadFile(f.path); string(again) != want {
		t.Errorf("a refused save changed the file")
	}
}

// TestEntryNameAnyCase: the API finds a watchlist entry by its name in
// any case, as feedback finds a company: a preview of "ALIBABA" is the
// preview of Alibaba, and a save of "alibaba" writes Alibaba's keys,
// leaving its name as the file has it.
func TestEntryNameAnyCase(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	const body = `"aliases":["Alibaba Group"],"exclude":[],"all_news":false}`
	want := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"company","name":"Alibaba",`+body, nil)
	for _, name := range []string{"ALIBABA", "alibaba", " Alibaba "} {
		w := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"company","name":"`+name+`",`+body, nil)
		if w.Code != 200 || w.Body.String() != want.Body.String() {
			t.Errorf("preview of %q: %d %s\nwant the preview of Alibaba: %s", name, w.Code, w.Body, want.Body)
		}
	}
	if w := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"topic","name":"ESPIONAGE","terms":["espionage"],"days":1}`, nil); w.Code != 200 {
		t.Errorf("preview of topic ESPIONAGE: %d %s", w.Code, w.Body)
	}

	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"alibaba","aliases":["Alibaba Group","Cainiao","Aliyun"]}`, nil)
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), `{"name":"Alibaba","aliases":["Alibaba Group","Cainiao","Aliyun"]`) {
		t.Errorf("save of alibaba: %d %s", w.Code, w.Body)
	}
	w = f.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"zero-DAY","terms":["zero-day","0day"]}`, nil)
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), `{"name":"Zero-day"`) {
		t.Errorf("save of zero-DAY: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, "GET", "/watchlist/edit?kind=company&name=alibaba", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "Aliyun") {
		t.Errorf("the editor of alibaba: %d", w.Code)
	}
	after, _ := os.ReadFile(f.path)
	wantFile := strings.NewReplacer(`aliases = ["Alibaba Group", "Cainiao"] # logistics arm`, `aliases = ["Alibaba Group", "Cainiao", "Aliyun"] # logistics arm`,
		`terms = ["zero-day"]`, `terms = ["zero-day", "0day"]`).Replace(string(before))
	if string(after) != wantFile {
		t.Errorf("file after the saves:\n%s\nwant:\n%s", after, wantFile)
	}
}

func TestSaveUnwritable(t *testing.T) {
	f := newFixture(t, "")
	writeFile = func(string, []byte) error { return os.ErrPermission }
	t.Cleanup(func() { writeFile = writeAtomic })
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"Espionage","terms":["espionage","spy"]}`, nil)
	var got struct{ Error, Paste string }
	json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != 500 || !strings.Contains(got.Error, "cannot write") || got.Paste != "[[topics]]\nname = \"Espionage\"\nterms = [\"espionage\", \"spy\"]\n" {
		t.Errorf("unwritable: %d %s", w.Code, w.Body)
	}
}

func TestAPIFeedback(t *testing.T) {
	f := newFixture(t, "")
	target := "/api/items/" + itoa(f.ids["cloud"]) + "/feedback"
	// A company named in another case is the configured one.
	if w := f.do(t, "POST", target, `{"company":"ALIBABA","relevant":false}`, nil); w.Code != http.StatusNoContent {
		t.Fatalf("feedback: %d %s", w.Code, w.Body)
	}
	// The item no longer counts for Alibaba.
	got := decode[itemsAnswer](t, f.do(t, "GET", "/api/items?company=Alibaba", "", nil))
	if !slices.Equal(titles(got.Items), []string{"Cainiao accused of spying on customers"}) {
		t.Errorf("after the mark: %q", titles(got.Items))
	}
	for path, body := range map[string]string{
		"/api/items/999999/feedback": `{"company":"Alibaba","relevant":false}`,
		"/api/items/x/feedback":      `{"company":"Alibaba","relevant":false}`,
		target:                       `{"company":"Nobody","relevant":false}`,
	} {
		if w := f.do(t, "POST", path, body, nil); w.Code != 404 {
			t.Errorf("%s %s: %d", path, body, w.Code)
		}
	}
	if w := f.do(t, "POST", target, `{"company":"Alibaba"}`, nil); w.Code != 400 {
		t.Errorf("no relevant key: %d", w.Code)
	}
	// The watchlist page counts the mark against the alias that matched,
	// and suggests a phrase to exclude.
	w := f.do(t, "GET", "/watchlist", "", nil)
	body := w.Body.String()
	if !regexp.MustCompile(`<td>Alibaba</td><td>\d+</td><td>1</td>`).MatchString(body) || !strings.Contains(body, "“Alibaba Cloud”") {
		t.Errorf("watchlist page after a mark:\n%s", body)
	}
}

const token = "s3cret-token-for-tests"

func TestAuth(t *testing.T) {
	f := newFixture(t, token)
	bearer := map[string]string{"Authorization": "Bearer " + token}
	for i, path := range []string{"/api/items", "/api/digests", "/api/watchlist", "/search", "/digests", "/digests/" + itoa(f.digest), "/watchlist", "/sources"} {
		if w := f.do(t, "GET", path, "", nil); w.Code != 401 {
			t.Errorf("%s without token: %d", path, w.Code)
		}
		// Each from its own client, none over the limit of wrong tokens.
		wrong := map[string]string{"Authorization": "Bearer wrong", "RemoteAddr": fmt.Sprintf("192.0.2.%d:1234", 10+i)}
		if w := f.do(t, "GET", path, "", wrong); w.Code != 401 {
			t.Errorf("%s with a wrong token: %d", path, w.Code)
		}
	}
	if w := f.do(t, "GET", "/api/items", "", bearer); w.Code != 200 {
		t.Errorf("bearer: %d", w.Code)
	}
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"Espionage","terms":["espionage","spying"]}`, bearer); w.Code != 200 {
		t.Errorf("bearer PUT needs no CSRF token: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, "GET", "/search", "", nil); !strings.Contains(w.Body.String(), `name="token"`) {
		t.Errorf("401 page has no login form")
	}
	for _, p := range []string{"/login", "/static/app.css", "/static/preview.js"} {
		if w := f.do(t, "GET", p, "", nil); w.Code != 200 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}

	// Log in: a wrong token is refused, the right one sets the cookie.
	if w := f.do(t, "POST", "/login", "token=wrong&next=/digests", nil); w.Code != 401 {
		t.Errorf("wrong login: %d", w.Code)
	}
	w := f.do(t, "POST", "/login", "token="+token+"&next=/digests", map[string]string{"X-Forwarded-Proto": "https"})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/digests" {
		t.Fatalf("login: %d %v", w.Code, w.Header())
	}
	set := w.Header().Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Secure", "Path=/"} {
		if !strings.Contains(set, attr) {
			t.Errorf("cookie %q lacks %s", set, attr)
		}
	}
	cookie := strings.SplitN(set, ";", 2)[0]
	withCookie := map[string]string{"Cookie": cookie}
	w = f.do(t, "GET", "/search", "", withCookie)
	if w.Code != 200 {
		t.Fatalf("page with cookie: %d", w.Code)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if csrf == nil {
		t.Fatal("no CSRF token in the page")
	}
	if w := f.do(t, "GET", "/api/watchlist", "", withCookie); w.Code != 200 {
		t.Errorf("API with cookie: %d", w.Code)
	}
	// State changes by cookie need the CSRF token.
	preview := `{"kind":"topic","name":"Espionage","terms":["espionage"]}`
	if w := f.do(t, "POST", "/api/watchlist/preview", preview, withCookie); w.Code != 403 {
		t.Errorf("cookie POST without CSRF: %d", w.Code)
	}
	if w := f.do(t, "POST", "/api/watchlist/preview", preview, map[string]string{"Cookie": cookie, csrfHeader: "forged"}); w.Code != 403 {
		t.Errorf("cookie POST with a forged CSRF token: %d", w.Code)
	}
	if w := f.do(t, "POST", "/api/watchlist/preview", preview, map[string]string{"Cookie": cookie, csrfHeader: csrf[1]}); w.Code != 200 {
		t.Errorf("cookie POST with CSRF: %d %s", w.Code, w.Body)
	}
	form := "company=Alibaba&back=/search"
	item := "/items/" + itoa(f.ids["spy"]) + "/not-relevant"
	if w := f.do(t, "POST", item, form, withCookie); w.Code != 403 {
		t.Errorf("form without CSRF: %d", w.Code)
	}
	if w := f.do(t, "POST", item, form+"&csrf="+url.QueryEscape(csrf[1]), withCookie); w.Code != http.StatusSeeOther {
		t.Errorf("form with CSRF: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, "GET", "/", "", withCookie); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/search" {
		t.Errorf("/: %d %v", w.Code, w.Header())
	}
	if w := f.do(t, "POST", "/logout", "", withCookie); w.Code != 403 {
		t.Errorf("log out without CSRF token: %d", w.Code)
	}
	w = f.do(t, "POST", "/logout", "csrf="+url.QueryEscape(csrf[1]), withCookie)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("log out: %d %v", w.Code, w.Header())
	}
	// Another token's session, or an expired one, is no session.
	other := newFixture(t, "another-token-for-tests")
	if w := other.do(t, "GET", "/search", "", withCookie); w.Code != 401 {
		t.Errorf("cookie of another token: %d", w.Code)
	}
	f.srv.opts.Now = func() time.Time { return now.Add(sessionLife + time.Hour) }
	if w := f.do(t, "GET", "/search", "", withCookie); w.Code != 401 {
		t.Errorf("expired cookie: %d", w.Code)
	}
}

// TestLoginRateLimited: five failed logins per client address a minute;
// the right token spends none of them; over the limit every token is
// refused with 429, the right one too (else a guesser ignoring 429 would
// learn when a guess was right), while a session from before still
// serves.
func TestLoginRateLimited(t *testing.T) {
	f := newFixture(t, token)
	w := f.do(t, "POST", "/login", "token="+token, nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	withCookie := map[string]string{"Cookie": strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0]}
	for i := range 5 {
		if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != 401 {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	for _, tok := range []string{"guess", token} {
		if w := f.do(t, "POST", "/login", "token="+tok, nil); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "60" {
			t.Errorf("token %q over the limit: %d, Retry-After %q", tok, w.Code, w.Header().Get("Retry-After"))
		}
	}
	if w := f.do(t, "GET", "/search", "", withCookie); w.Code != 200 {
		t.Errorf("a session from before the limit: %d", w.Code)
	}
	f.srv.opts.Now = func() time.Time { return now.Add(2 * time.Minute) }
	if w := f.do(t, "POST", "/login", "token="+token, nil); w.Code != http.StatusSeeOther {
		t.Errorf("the right token after the window: %d", w.Code)
	}
	if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != 401 {
		t.Errorf("after the window: %d", w.Code)
	}
}

// TestRetryAfterCountsDown: a client over its limit is told in
// Retry-After how many whole seconds remain until its oldest failure
// leaves the window (rounded up, at least one), at the login form and
// for a bearer token alike, by the console's clock.
func TestRetryAfterCountsDown(t *testing.T) {
	f := newFixture(t, token)
	at := now
	f.srv.opts.Now = func() time.Time { return at }
	for i := range 5 {
		at = now.Add(time.Duration(i) * 10 * time.Second)
		if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != 401 {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	// The first failure, at now, leaves the window at now+60s.
	for _, c := range []struct {
		after time.Duration
		login bool
		want  string
	}{
		{45*time.Second + 500*time.Millisecond, true, "15"},
		{50 * time.Second, false, "10"},
		{59*time.Second + 999*time.Millisecond, true, "1"},
		{59*time.Second + 999*time.Millisecond, false, "1"},
	} {
		at = now.Add(c.after)
		var w *httptest.ResponseRecorder
		if c.login {
			w = f.do(t, "POST", "/login", "token=guess", nil)
		} else {
			w = f.do(t, "GET", "/api/items", "", map[string]string{"Authorization": "Bearer " + token})
		}
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != c.want {
			t.Errorf("%v after the first failure (login form %t): %d, Retry-After %q, want 429 and %s", c.after, c.login, w.Code, w.Header().Get("Retry-After"), c.want)
		}
	}
	// At now+60s one more guess is allowed, and the next waits for the
	// failure of now+10s.
	at = now.Add(time.Minute)
	if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != 401 {
		t.Fatalf("a guess once the first failure left the window: %d", w.Code)
	}
	if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "10" ||
		!strings.Contains(w.Body.String(), "try again in 10 seconds") {
		t.Errorf("over the limit again: %d, Retry-After %q, want 429 and 10\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}

// TestBearerRateLimited: wrong bearer tokens count against the client
// address as failed logins do, in the same budget, and are logged; the
// right token spends none of it; over the limit every bearer token gets
// 429 with Retry-After, the right one too, and another address is not
// limited. The scheme is taken in any case.
func TestBearerRateLimited(t *testing.T) {
	f := newFixture(t, token)
	var log testutil.LockedBuffer
	f.srv.opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	wrong := map[string]string{"Authorization": "Bearer guess"}
	for i := range 4 {
		if w := f.do(t, "GET", "/api/items", "", wrong); w.Code != 401 {
			t.Fatalf("wrong bearer token %d: %d", i, w.Code)
		}
		if w := f.do(t, "GET", "/api/items", "", map[string]string{"Authorization": "Bearer " + token}); w.Code != 200 {
			t.Fatalf("the right token after %d wrong ones: %d", i+1, w.Code)
		}
	}
	if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != 401 {
		t.Fatalf("fifth wrong token, at the login form: %d", w.Code)
	}
	for _, path := range []string{"/api/items", "/search"} {
		w := f.do(t, "GET", path, "", wrong)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "60" {
			t.Errorf("%s with a wrong bearer token over the limit: %d, Retry-After %q", path, w.Code, w.Header().Get("Retry-After"))
		}
	}
	if w := f.do(t, "POST", "/login", "token=guess", nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("login over the limit bearer tokens used: %d", w.Code)
	}
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		w := f.do(t, "GET", "/api/items", "", map[string]string{"Authorization": scheme + " " + token})
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "60" {
			t.Errorf("the right token as %q while limited: %d, Retry-After %q", scheme, w.Code, w.Header().Get("Retry-After"))
		}
	}
	if w := f.do(t, "GET", "/api/items", "", map[string]string{"Authorization": "Bearer " + token, "RemoteAddr": "192.0.2.2:1234"}); w.Code != 200 {
		t.Errorf("the right token from another address: %d", w.Code)
	}
	if n := strings.Count(log.String(), "console: wrong token"); n != 5 || !strings.Contains(log.String(), "via=bearer") || !strings.Contains(log.String(), "client=192.0.2.1") {
		t.Errorf("%d wrong tokens logged, want the 5 counted, by client:\n%s", n, log.String())
	}
	if strings.Contains(log.String(), "guess") {
		t.Errorf("the log shows a guessed token:\n%s", log.String())
	}
	f.srv.opts.Now = func() time.Time { return now.Add(2 * time.Minute) }
	if w := f.do(t, "GET", "/api/items", "", wrong); w.Code != 401 {
		t.Errorf("after the window: %d", w.Code)
	}
}

// TestTokenBurstLimited: a burst of wrong tokens sent at once cannot
// pass the limit before any of them is counted: of n concurrent guesses
// at most five are checked (401), the rest get 429, at the login form and
// as bearer tokens alike.
func TestTokenBurstLimited(t *testing.T) {
	for _, how := range []string{"login", "bearer"} {
		t.Run(how, func(t *testing.T) {
			f := newFixture(t, token)
			const n = 20
			codes := make([]int, n)
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range n {
				done.Go(func() {
					start.Wait()
					if how == "login" {
						codes[i] = f.do(t, "POST", "/login", "token=guess", nil).Code
					} else {
						codes[i] = f.do(t, "GET", "/api/items", "", map[string]string{"Authorization": "Bearer guess"}).Code
					}
				})
			}
			start.Done()
			done.Wait()
			count := map[int]int{}
			for _, c := range codes {
				count[c]++
			}
			if count[401] > 5 || count[401]+count[http.StatusTooManyRequests] != n {
				t.Errorf("%d concurrent wrong tokens: %v, want at most 5 × 401, the rest 429", n, count)
			}
		})
	}
}

func TestTokenlessCSRF(t *testing.T) {
	f := newFixture(t, "")
	item := "/items/" + itoa(f.ids["spy"]) + "/not-relevant"
	if w := f.do(t, "POST", item, "company=Alibaba", nil); w.Code != 403 {
		t.Errorf("form without CSRF token: %d", w.Code)
	}
	body := `{"company":"Alibaba","relevant":false}`
	if w := f.do(t, "POST", "/api/items/"+itoa(f.ids["spy"])+"/feedback", body, map[string]string{"Sec-Fetch-Site": "cross-site"}); w.Code != 403 {
		t.Errorf("JSON sent across sites: %d", w.Code)
	}
	if w := f.do(t, "POST", "/api/items/"+itoa(f.ids["spy"])+"/feedback", body, map[string]string{"Origin": "https://evil.example"}); w.Code != 403 {
		t.Errorf("JSON from another origin: %d", w.Code)
	}
	// A script (curl -d sends a form's content type) is no browser.
	r := httptest.NewRequest("POST", "/api/items/"+itoa(f.ids["spy"])+"/feedback", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Host = "127.0.0.1:8080"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent {
		t.Errorf("curl-like request: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, "POST", "/api/items/"+itoa(f.ids["spy"])+"/feedback", body, map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}); w.Code != http.StatusNoContent {
		t.Errorf("same-origin browser request: %d", w.Code)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t, "")
	for path, want := range map[string][]string{
		"/search?q=spying&company=Alibaba": {"<mark>Cainiao</mark> accused of <mark>spying</mark> on customers", "Not about Alibaba", "matches", `rel="noopener noreferrer nofollow"`},
		// Its javascript: link is no link: the title is plain text.
		"/search?q=zero-day": {`<span class="title"><mark>Tencent</mark> <mark>zero-day</mark></span>`, "severity &lt;9 &amp; &#34;rising&#34;"},
		"/digests":           {"Morning: 1 item about Alibaba", `href="/digests/` + itoa(f.digest) + `"`, "pending", "sent"},
		"/watchlist":         {"Alibaba Group", "Cainiao", "Espionage", "zero-day", "Edit"},
		"/watchlist/edit?kind=company&name=Alibaba": {"Alibaba Group\nCainiao</textarea>", "/static/preview.js", `name="csrf"`},
		"/sources": {"Wire", "Cainiao accused of spying", "Never fetched", "Dry run"},
	} {
		w := f.do(t, "GET", path, "", nil)
		if w.Code != 200 {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
			continue
		}
		body := w.Body.String()
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "onerror=alert") && !strings.Contains(body, "onerror=alert(1)&gt;") {
			t.Errorf("%s: feed markup not escaped", path)
		}
		if strings.Contains(body, `href="javascript:`) {
			t.Errorf("%s: javascript: link", path)
		}
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	for path, status := range map[string]int{"/watchlist/edit?kind=company&name=Nobody": 404, "/nowhere": 404, "/search?company=Nobody": 404, "/search?since=bad": 400, "/items/999999": 404, "/items/x": 404} {
		if w := f.do(t, "GET", path, "", nil); w.Code != status {
			t.Errorf("%s: %d, want %d", path, w.Code, status)
		}
	}
}

func TestEditForm(t *testing.T) {
	f := newFixture(t, "")
	w := f.do(t, "GET", "/watchlist/edit?kind=company&name=Alibaba", "", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(w.Body.String())[1]
	form := url.Values{"csrf": {csrf}, "kind": {"company"}, "name": {"Alibaba"}, "aliases": {"Alibaba Group\r\n"}, "exclude": {""}, "days": {"7"}, "action": {"preview"}}
	w = f.do(t, "POST", "/watchlist/edit", form.Encode(), nil)
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "<strong>1</strong> gained") || !strings.Contains(body, "Alibaba Pictures spying drama") {
		t.Errorf("preview without script: %d %s", w.Code, body)
	}
	before, _ := os.ReadFile(f.path)
	form.Set("action", "save")
	form.Set("exclude", "Alibaba Pictures")
	w = f.do(t, "POST", "/watchlist/edit", form.Encode(), nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	after, _ := os.ReadFile(f.path)
	want := strings.Replace(string(before), `aliases = ["Alibaba Group", "Cainiao"]`, `aliases = ["Alibaba Group"]`, 1)
	if string(after) != want {
		t.Errorf("saved file:\n%s", after)
	}
	form.Set("aliases", "Alibaba Group")
	form.Set("all_news", "1")
	form.Del("csrf")
	if w = f.do(t, "POST", "/watchlist/edit", form.Encode(), nil); w.Code != 403 {
		t.Errorf("save without CSRF token: %d", w.Code)
	}
	if again, _ := os.ReadFile(f.path); string(again) != want {
		t.Errorf("a refused save changed the file")
	}
}

func TestCheckAccess(t *testing.T) {
	for _, tc := range []struct {
		addr, env, token string
		ok               bool
	}{
		{"127.0.0.1:8080", "", "", true},
		{"[::1]:8080", "", "", true},
		{"0.0.0.0:8080", "", "", false},
		{"0.0.0.0:8080", "NW_TOKEN", "", false},
		{"0.0.0.0:8080", "NW_TOKEN", "t", true},
	} {
		if err := CheckAccess(tc.addr, tc.env, tc.token); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}

func TestDryRun(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Cainiao &lt;b&gt;opens&lt;/b&gt; a hub</title><link>`+"http://"+r.Host+`/a</link><description>A new hub in Liège.</description></item>
</channel></rss>`)
	}))
	defer feed.Close()
	f := newFixture(t, "")
	cfg, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "https://wire.example.org/feed", feed.URL+"/feed", 1))
	if err := os.WriteFile(f.path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	f.srv.stamp = time.Time{} // read the file again, whatever its time stamp
	page := f.do(t, "GET", "/sources", "", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.Body.String())[1]
	w := f.do(t, "POST", "/sources/dry-run", "source=Wire&csrf="+url.QueryEscape(csrf), nil)
	if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, "Cainiao &lt;b&gt;opens&lt;/b&gt; a hub") && !strings.Contains(body, "Cainiao opens a hub") || !strings.Contains(body, "A new hub in Liège.") {
		t.Errorf("dry run: %d %s", w.Code, body)
	}
	before, _ := f.st.Search(context.Background(), store.SearchQuery{Text: "hub"})
	if before.Total != 0 {
		t.Errorf("the dry run stored %d items", before.Total)
	}
	if w := f.do(t, "POST", "/sources/dry-run", "source=Nowhere&csrf="+url.QueryEscape(csrf), nil); w.Code != 404 {
		t.Errorf("unknown source: %d", w.Code)
	}
	if w := f.do(t, "POST", "/items/999999/not-relevant", "company=Alibaba&csrf="+url.QueryEscape(csrf), nil); w.Code != 404 {
		t.Errorf("unknown item: %d", w.Code)
	}
	if w := f.do(t, "POST", "/items/"+itoa(f.ids["spy"])+"/not-relevant", "company=Nobody&csrf="+url.QueryEscape(csrf), nil); w.Code != 404 {
		t.Errorf("unknown company: %d", w.Code)
	}
}

// A company filter weighs exactUpTo items for its total, then estimates
// the rest from the share that matched.
func TestFilterTotalEstimated(t *testing.T) {
	f := newFixture(t, "")
	defer func(n int) { exactUpTo = n }(exactUpTo)
	exactUpTo = 1
	got := decode[itemsAnswer](t, f.do(t, "GET", "/api/items?company=Alibaba&limit=1", "", nil))
	if !slices.Equal(titles(got.Items), []string{"Cainiao accused of spying on customers"}) || got.Total < 1 {
		t.Errorf("estimated: %d %q", got.Total, titles(got.Items))
	}
	if w := f.do(t, "GET", "/search?company=Alibaba&limit=1", "", nil); !strings.Contains(w.Body.String(), "about ") {
		t.Errorf("the page does not say the total is an estimate")
	}
	exactUpTo = 1000
	if got := decode[itemsAnswer](t, f.do(t, "GET", "/api/items?company=Alibaba&limit=1", "", nil)); got.Total != 2 {
		t.Errorf("exact total %d, want 2", got.Total)
	}
}

// TestSaveJudgesTheFileAsItIs: an edit is compared with the entry as the
// file has it now, not as the console last read it: a rewrite that kept
// the file's size and modification time (the console's cache key) must not
// make a save of the old value a silent no-op.
func TestSaveJudgesTheFileAsItIs(t *testing.T) {
	f := newFixture(t, "")
	if w := f.do(t, "GET", "/api/watchlist", "", nil); w.Code != http.StatusOK { // the console reads the file
		t.Fatalf("watchlist: %d", w.Code)
	}
	info, err := os.Stat(f.path)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(f.path)
	// Same length, same time: "Cainiao" becomes "Cainiax".
	changed := strings.Replace(string(before), `"Cainiao"]`, `"Cainiax"]`, 1)
	if err := os.WriteFile(f.path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	put := `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group","Cainiao"]}`
	if w := f.do(t, "PUT", "/api/watchlist", put, nil); w.Code != http.StatusOK {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	after, _ := os.ReadFile(f.path)
	if string(after) != string(before) {
		t.Errorf("the save of the old aliases left the file as rewritten:\n%s", after)
	}
}

// TestLimiterBounded: the limiter keeps at most maxClients addresses;
// failures from more addresses share one budget, and addresses whose
// failures left the window make room again.
func TestLimiterBounded(t *testing.T) {
	l := newLimiter(5, time.Minute)
	for i := range maxClients {
		l.attempt(fmt.Sprintf("10.0.%d.%d", i/256, i%256), now)
	}
	for i := range 5 {
		ip := fmt.Sprintf("10.1.0.%d", i)
		if _, ok := l.attempt(ip, now); !ok {
			t.Fatalf("new address %d refused before the shared budget was spent", i)
		}
	}
	if _, ok := l.attempt("10.2.0.1", now); ok {
		t.Error("an address beyond the bound allowed after the shared budget was spent")
	}
	if len(l.fails) > maxClients+1 {
		t.Errorf("%d addresses kept, want at most %d", len(l.fails), maxClients+1)
	}
	later := now.Add(2 * time.Minute)
	if _, ok := l.attempt("10.2.0.1", later); !ok {
		t.Error("an address refused after every failure left the window")
	}
	if _, ok := l.fails["10.2.0.1"]; !ok || len(l.fails) != 1 {
		t.Errorf("after the window: %d addresses kept, want the new one alone", len(l.fails))
	}
}

func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:4000":                     "192.0.2.7",
		"[::ffff:192.0.2.7]:4000":            "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:4000":        "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb:cccc:dddd:1]:80": "2001:db8:1:2::/64",
		"@":                                  "@",
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = remote
		if got := clientKey(r); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", remote, got, want)
		}
	}
}

// TestDigestsPageMasksErrors: the digests page shows a failed digest's
// error with the secrets of the configured URLs masked, also an error an
// older version stored unmasked.
func TestDigestsPageMasksErrors(t *testing.T) {
	f := newFixture(t, "")
	const feed = "https://user:hunter2@wire.example.org/feed?apikey=SEKRET123"
	cfg, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.path, []byte(strings.Replace(string(cfg), `feed = "https://wire.example.org/feed"`, `feed = "`+feed+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := &model.Message{Digest: "Morning", Slot: now.Add(-time.Hour), Subject: "Morning: failed", To: []string{"analyst@example.org"}}
	if err := f.st.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := f.st.MarkFailed(ctx, m.ID, "554 message quotes "+feed); err != nil {
		t.Fatal(err)
	}
	w := f.do(t, "GET", "/digests", "", nil)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "554 message quotes https://user:***@wire.example.org/feed?apikey=***") {
		t.Errorf("/digests: %d, want the error masked:\n%s", w.Code, body)
	}
	for _, secret := range []string{"hunter2", "SEKRET123"} {
		if strings.Contains(body, secret) {
			t.Errorf("/digests shows %q", secret)
		}
	}
}
