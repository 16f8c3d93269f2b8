package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"newswatch/model"
	"newswatch/store"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A page on a name an attacker re-points at 127.0.0.1 (DNS rebinding) is
// same-origin with the console in the browser: the console must refuse
// any Host that is not its own.
func TestForeignHostRefused(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	evil := map[string]string{"Host": "rebind.attacker.example:8080"}
	for _, path := range []string{"/api/watchlist", "/search", "/watchlist/edit?kind=company&name=Alibaba", "/login", "/static/app.css"} {
		w := f.do(t, "GET", path, "", evil)
		if w.Code != http.StatusMisdirectedRequest || !strings.Contains(w.Body.String(), "own address") {
			t.Errorf("GET %s with a foreign Host: %d %s", path, w.Code, w.Body)
		}
		// The API answers its refusals in JSON, as every other error.
		if strings.HasPrefix(path, "/api/") && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Errorf("GET %s with a foreign Host: Content-Type %q, want JSON", path, w.Header().Get("Content-Type"))
		}
	}
	put := `{"kind":"company","name":"Alibaba","aliases":["REBIND"]}`
	if w := f.do(t, "PUT", "/api/watchlist", put, map[string]string{"Host": "rebind.attacker.example:8080", "Origin": "http://rebind.attacker.example:8080", "Sec-Fetch-Site": "same-origin"}); w.Code != http.StatusMisdirectedRequest {
		t.Errorf("PUT with a foreign Host: %d", w.Code)
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Fatal("a foreign Host changed the file")
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.0.0.2:9"} {
		if w := f.do(t, "GET", "/api/watchlist", "", map[string]string{"Host": host}); w.Code != 200 {
			t.Errorf("Host %s: %d", host, w.Code)
		}
	}
	// A state change whose Origin is another site (or another port).
	for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1:9999", "http://localhost:8080.evil.example"} {
		if w := f.do(t, "PUT", "/api/watchlist", put, map[string]string{"Origin": origin}); w.Code != http.StatusForbidden {
			t.Errorf("Origin %s: %d %s", origin, w.Code, w.Body)
		}
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Fatal("a foreign Origin changed the file")
	}
	// Even a form carrying a good CSRF token (scraped by a rebound page).
	csrf := formCSRF(t, f, "/watchlist/edit?kind=company&name=Alibaba", nil)
	form := "csrf=" + csrf + "&kind=company&name=Alibaba&aliases=FORMREBIND&action=save"
	if w := f.do(t, "POST", "/watchlist/edit", form, map[string]string{"Origin": "http://evil.example"}); w.Code != http.StatusForbidden {
		t.Errorf("form from another Origin: %d", w.Code)
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Fatal("a foreign Origin changed the file")
	}
	if w := f.do(t, "PUT", "/api/watchlist", put, map[string]string{"Origin": "http://127.0.0.1:8080"}); w.Code != 200 {
		t.Errorf("own Origin: %d %s", w.Code, w.Body)
	}
}

// The host of [web] url is the console's own (behind a reverse proxy
// passing Host); a token on a wildcard listen accepts any name.
func TestHostOfURL(t *testing.T) {
	f := newFixture(t, token)
	data, _ := os.ReadFile(f.path)
	os.WriteFile(f.path, []byte(strings.Replace(string(data), `listen = "127.0.0.1:8080"`, `listen = "127.0.0.1:8080"`+"\nurl = \"https://news.example.org\"", 1)), 0o644)
	srv, err := New(t.Context(), Options{ConfigPath: f.path, Store: f.st, Token: token, Listen: "127.0.0.1:8080", Now: f.srv.opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.h = srv.Handler()
	bearer := map[string]string{"Authorization": "Bearer " + token, "Host": "news.example.org"}
	if w := f.do(t, "GET", "/api/items", "", bearer); w.Code != 200 {
		t.Errorf("Host of [web] url: %d", w.Code)
	}
	bearer["Host"] = "other.example.org"
	if w := f.do(t, "GET", "/api/items", "", bearer); w.Code != http.StatusMisdirectedRequest {
		t.Errorf("another Host: %d", w.Code)
	}
	bearer["Host"] = "news.example.org"
	bearer["Origin"] = "https://news.example.org"
	if w := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"topic","name":"Espionage","terms":["spying"]}`, bearer); w.Code != 200 {
		t.Errorf("Origin of [web] url: %d %s", w.Code, w.Body)
	}
	wide, err := New(t.Context(), Options{ConfigPath: f.path, Store: f.st, Token: token, Listen: "0.0.0.0:8080", Now: f.srv.opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.h = wide.Handler()
	bearer["Host"] = "box.lan:8080"
	delete(bearer, "Origin")
	if w := f.do(t, "GET", "/api/items", "", bearer); w.Code != 200 {
		t.Errorf("token on every interface, any Host: %d", w.Code)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func formCSRF(t *testing.T, f *fixture, path string, header map[string]string) string {
	t.Helper()
	w := f.do(t, "GET", path, "", header)
	m := csrfRE.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no CSRF token on %s: %d", path, w.Code)
	}
	return url.QueryEscape(m[1])
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/digests?x=1":     "/digests?x=1",
		"/search?q=a+b":    "/search?q=a+b",
		"":                 "/",
		"//evil.com":       "/",
		"/\\evil.com":      "/",
		"/\t/evil.com":     "/",
		"/\n/evil.com":     "/",
		"/\r/evil.com":     "/",
		"/x\x00":           "/",
		"/x\u0085":         "/",
		"https://evil.com": "/",
		"evil.com":         "/",
		"/login":           "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
	f := newFixture(t, token)
	w := f.do(t, "POST", "/login", url.Values{"token": {token}, "next": {"/\t/evil.com"}}.Encode(), nil)
	if loc := w.Header().Get("Location"); loc != "/" {
		t.Errorf("login redirects to %q", loc)
	}
	if w := f.do(t, "GET", "/login?next=/%09/evil.com", "", nil); strings.Contains(w.Body.String(), "evil.com") {
		t.Errorf("login form keeps the foreign next")
	}
}

// The login form is public: its body is bounded before anything reads it,
// also when the client is over its limit.
func TestLoginBodyBounded(t *testing.T) {
	f := newFixture(t, token)
	big := "token=" + strings.Repeat("a", 1<<20)
	if w := f.do(t, "POST", "/login", big, nil); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MB login: %d", w.Code)
	}
	for range 6 {
		f.do(t, "POST", "/login", "token=guess", nil)
	}
	if w := f.do(t, "POST", "/login", big, nil); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MB login while limited: %d", w.Code)
	}
}

func login(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	w := f.do(t, "POST", "/login", "token="+url.QueryEscape(token), nil)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	return map[string]string{"Cookie": strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0]}
}

// Logging out ends that session on the server too, and in every console
// on the database, also after a restart; another session lives on.
func TestLogoutEndsSession(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, testLogoutEndsSession)
	}
}

func testLogoutEndsSession(t *testing.T) {
	f := newFixture(t, token)
	a, b := login(t, f), login(t, f)
	if a["Cookie"] == b["Cookie"] {
		t.Fatal("two logins got the same session")
	}
	csrf := formCSRF(t, f, "/search", a)
	if w := f.do(t, "POST", "/logout", "csrf="+csrf, a); w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	if w := f.do(t, "GET", "/watchlist", "", a); w.Code != 401 {
		t.Errorf("the copied cookie after logout: %d", w.Code)
	}
	if w := f.do(t, "GET", "/watchlist", "", b); w.Code != 200 {
		t.Errorf("the other session: %d", w.Code)
	}

	// The console restarted, or another one on the same database.
	st, err := store.Open(context.Background(), f.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.srv, err = New(t.Context(), Options{ConfigPath: f.path, Store: st, Token: token, Listen: "127.0.0.1:8080", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f.h = f.srv.Handler()
	if w := f.do(t, "GET", "/watchlist", "", a); w.Code != 401 {
		t.Errorf("the copied cookie after a restart: %d", w.Code)
	}
	if w := f.do(t, "GET", "/watchlist", "", b); w.Code != 200 {
		t.Errorf("the other session after a restart: %d", w.Code)
	}
}

// Without a token, a form loaded before the console restarted (or from
// another console on the same database) is still taken after it: the
// key of its CSRF token is kept in the database. Another database has
// another key.
func TestCSRFSurvivesRestart(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, testCSRFSurvivesRestart)
	}
}

func testCSRFSurvivesRestart(t *testing.T) {
	f := newFixture(t, "")
	csrf := formCSRF(t, f, "/watchlist/edit?kind=company&name=Alibaba", nil)
	form := "csrf=" + csrf + "&kind=company&name=Alibaba&aliases=Alibaba+Group&action=preview"
	if w := f.do(t, "POST", "/watchlist/edit", form, nil); w.Code != 200 {
		t.Fatalf("the form before a restart: %d", w.Code)
	}
	st, err := store.Open(t.Context(), f.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.srv, err = New(t.Context(), Options{ConfigPath: f.path, Store: st, Listen: "127.0.0.1:8080", Now: f.srv.opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.h = f.srv.Handler()
	if w := f.do(t, "POST", "/watchlist/edit", form, nil); w.Code != 200 {
		t.Errorf("the form loaded before a restart, sent after it: %d %s", w.Code, w.Body)
	}
	if w := f.do(t, "POST", "/watchlist/edit", strings.Replace(form, csrf, "forged", 1), nil); w.Code != 403 {
		t.Errorf("a forged CSRF token after a restart: %d", w.Code)
	}
	other := newFixture(t, "")
	if w := other.do(t, "POST", "/watchlist/edit", form, nil); w.Code != 403 {
		t.Errorf("the form of a console on another database: %d, want 403", w.Code)
	}
}

// A token is taken without the spaces around it, by header and by form;
// without a token the login page leads to the console.
func TestTokenSpaces(t *testing.T) {
	f := newFixture(t, " "+token+" \n")
	if w := f.do(t, "GET", "/api/items", "", map[string]string{"Authorization": "Bearer " + token + " "}); w.Code != 200 {
		t.Errorf("bearer: %d", w.Code)
	}
	if w := f.do(t, "POST", "/login", "token="+url.QueryEscape(token+" "), nil); w.Code != http.StatusSeeOther {
		t.Errorf("form: %d", w.Code)
	}
	open := newFixture(t, "")
	if w := open.do(t, "GET", "/login", "", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Errorf("tokenless /login: %d %v", w.Code, w.Header())
	}
}

func TestShortTokenWarned(t *testing.T) {
	f := newFixture(t, token)
	var log strings.Builder
	if _, err := New(t.Context(), Options{ConfigPath: f.path, Store: f.st, Token: "short", Logger: slog.New(slog.NewTextHandler(&log, nil))}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "shorter than 16") {
		t.Errorf("no warning: %q", log.String())
	}
}

// A long q is refused with its limit named; a database error never
// reaches the client.
func TestLongQuery(t *testing.T) {
	f := newFixture(t, "")
	var words []string
	for i := range 1000 {
		words = append(words, "华"+strconv.Itoa(i))
	}
	for _, q := range []string{strings.Join(words[:40], " "), strings.Repeat("a", 600)} {
		w := f.do(t, "GET", "/api/items?q="+url.QueryEscape(q), "", nil)
		if w.Code != 400 || !strings.Contains(w.Body.String(), "q: at most") {
			t.Errorf("long q: %d %s", w.Code, w.Body)
		}
		if w := f.do(t, "GET", "/search?q="+url.QueryEscape(q), "", nil); w.Code != 400 || !strings.Contains(w.Body.String(), "q: at most") {
			t.Errorf("long q page: %d", w.Code)
		}
	}
	if w := f.do(t, "GET", "/api/items?q="+url.QueryEscape(strings.Join(words[:32], " ")), "", nil); w.Code != 200 {
		t.Errorf("32 words: %d %s", w.Code, w.Body)
	}
	// A store failure: its text stays in the log.
	f.st.Close()
	for _, path := range []string{"/api/items?q=spying", "/search?q=spying"} {
		w := f.do(t, "GET", path, "", nil)
		if w.Code != 500 || strings.Contains(w.Body.String(), "sql") || !strings.Contains(w.Body.String(), "internal error") {
			t.Errorf("%s with a closed store: %d %s", path, w.Code, w.Body)
		}
	}
}

// Dates at the extremes bound as written: a window after everything or
// before everything is empty.
func TestExtremeDates(t *testing.T) {
	f := newFixture(t, "")
	for query, want := range map[string]int{
		"since=9999-12-31": 0, "until=0001-01-01": 0, "since=2030-01-01": 0,
		"since=0001-01-01": 4, "until=9999-12-31": 4, "since=2026-03-09&until=2026-03-08": 0,
	} {
		w := f.do(t, "GET", "/api/items?"+query, "", nil)
		if got := decode[itemsAnswer](t, w); w.Code != 200 || got.Total != want {
			t.Errorf("%s: %d, total %d, want %d", query, w.Code, got.Total, want)
		}
	}
}

// An entry with very many terms is refused with the limit named, by API
// and form; so are control characters.
func TestEntryBounds(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	many := make([]string, 1001)
	for i := range many {
		many[i] = "w" + strconv.Itoa(i)
	}
	body := func(kind, key string, list []string) string {
		b, _ := json.Marshal(list)
		name := "Espionage"
		if kind == "company" {
			name = "Alibaba"
		}
		return `{"kind":"` + kind + `","name":"` + name + `","` + key + `":` + string(b) + `}`
	}
	for _, tc := range []struct{ body, want string }{
		{body("topic", "terms", many), "terms: at most 1000 phrases, not 1001"},
		{body("company", "aliases", many), "aliases: at most 1000 phrases, not 1001"},
		{body("company", "aliases", []string{"ok", "nl\nx"}), `aliases[1]: "nl\nx" contains a control character`},
		{body("topic", "terms", []string{"c\u0000d"}), `terms[0]: "c\x00d" contains a control character`},
		{body("company", "exclude", []string{"tab\there"}), `exclude[0]: "tab\there" contains a control character`},
		{body("topic", "terms", []string{strings.Repeat("x", 201)}), "terms[0]: at most 200 bytes"},
	} {
		for _, method := range []string{"POST /api/watchlist/preview", "PUT /api/watchlist"} {
			m, path, _ := strings.Cut(method, " ")
			w := f.do(t, m, path, tc.body, nil)
			var got struct{ Errors []string }
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != 400 || len(got.Errors) == 0 || !strings.Contains(got.Errors[0], tc.want) {
				t.Errorf("%s %.60s: %d %.200s", method, tc.body, w.Code, w.Body)
			}
		}
	}
	csrf := formCSRF(t, f, "/watchlist/edit?kind=topic&name=Espionage", nil)
	form := "csrf=" + csrf + "&kind=topic&name=Espionage&action=preview&terms=" + url.QueryEscape(strings.Join(many, "\n"))
	if w := f.do(t, "POST", "/watchlist/edit", form, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "at most 1000 phrases") {
		t.Errorf("form with 1001 terms: %d", w.Code)
	}
	small := "csrf=" + csrf + "&kind=topic&name=Espionage&action=preview&terms=spy&pad=" + strings.Repeat("x", 2<<20)
	if w := f.do(t, "POST", "/watchlist/edit", small, nil); w.Code != http.StatusForbidden {
		t.Errorf("2 MB form: %d", w.Code)
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Fatal("a refused entry changed the file")
	}
}

// A configuration file its owner made read-only is not replaced: the
// answer says so and gives the lines to paste.
func TestSaveReadOnlyFile(t *testing.T) {
	f := newFixture(t, "")
	if err := os.Chmod(f.path, 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(f.path)
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"Espionage","terms":["espionage","RO"]}`, nil)
	var got struct{ Error, Paste string }
	json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != 500 || !strings.Contains(got.Error, "read-only") || !strings.Contains(got.Paste, `terms = ["espionage", "RO"]`) {
		t.Errorf("read-only file: %d %s", w.Code, w.Body)
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Error("a read-only file was replaced")
	}
}

// An entry written as an inline table cannot be edited in place: the
// message and the lines to paste, by API and form.
func TestSaveInlineEntry(t *testing.T) {
	f := newFixture(t, "")
	data, _ := os.ReadFile(f.path)
	inline := strings.Replace(string(data), "[[companies]]\nname = \"Tencent\"\nall_news = true\n", "", 1)
	inline = strings.Replace(inline, "# the one we care about\n[[companies]]\nname = \"Alibaba\"\naliases = [\"Alibaba Group\", \"Cainiao\"] # logistics arm\nexclude = [\"Alibaba Pictures\"]\n", "", 1)
	inline = strings.Replace(inline, "[web]", "companies = [{name = \"Alibaba\"}, {name = \"Tencent\", aliases = [\"QQ\"], all_news = true}]\n\n[web]", 1)
	if err := os.WriteFile(f.path, []byte(inline), 0o644); err != nil {
		t.Fatal(err)
	}
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Tencent","aliases":["QQ","WeChat"]}`, nil)
	var got struct{ Error, Paste string }
	json.Unmarshal(w.Body.Bytes(), &got)
	want := "[[companies]]\nname = \"Tencent\"\naliases = [\"QQ\", \"WeChat\"]\nexclude = []\nall_news = true\n"
	if w.Code != 500 || !strings.Contains(got.Error, "in place") || got.Paste != want {
		t.Errorf("inline entry: %d %s", w.Code, w.Body)
	}
	csrf := formCSRF(t, f, "/watchlist/edit?kind=company&name=Tencent", nil)
	w = f.do(t, "POST", "/watchlist/edit", "csrf="+csrf+"&kind=company&name=Tencent&aliases=QQ%0AWeChat&all_news=1&action=save", nil)
	if w.Code != 500 || !strings.Contains(w.Body.String(), "aliases = [&#34;QQ&#34;, &#34;WeChat&#34;]") {
		t.Errorf("inline entry by form: %d %s", w.Code, w.Body)
	}
	if after, _ := os.ReadFile(f.path); string(after) != inline {
		t.Error("the file changed")
	}
}

// While the file on disk has an error, a save is refused with check's
// file:line message, and the pages say the file is invalid.
func TestSaveBrokenFile(t *testing.T) {
	f := newFixture(t, "")
	data, _ := os.ReadFile(f.path)
	broken := string(data) + "fetch_schedule = \"broken\n"
	if err := os.WriteFile(f.path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["B1"]}`, nil)
	var got struct{ Errors []string }
	json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != http.StatusConflict || len(got.Errors) == 0 || !strings.HasPrefix(got.Errors[0], f.path+":") {
		t.Errorf("save into a broken file: %d %s", w.Code, w.Body)
	}
	for _, path := range []string{"/search", "/watchlist", "/sources"} {
		if w := f.do(t, "GET", path, "", nil); !strings.Contains(w.Body.String(), "The configuration file on disk has an error ("+f.path+":") {
			t.Errorf("%s has no banner", path)
		}
	}
	if after, _ := os.ReadFile(f.path); string(after) != broken {
		t.Error("the file changed")
	}
	os.WriteFile(f.path, data, 0o644)
	os.Chtimes(f.path, now, now.Add(time.Minute))
	if w := f.do(t, "GET", "/search", "", nil); strings.Contains(w.Body.String(), "has an error") {
		t.Error("banner after the fix")
	}
}

// A save made on a version of the file that changed since is refused (the
// change made meanwhile stays); the version comes with the page and as
// the ETag of GET /api/watchlist.
func TestSaveStale(t *testing.T) {
	f := newFixture(t, "")
	etag := f.do(t, "GET", "/api/watchlist", "", nil).Header().Get("ETag")
	page := f.do(t, "GET", "/watchlist/edit?kind=company&name=Alibaba", "", nil).Body.String()
	version := regexp.MustCompile(`name="version" value="([^"]+)"`).FindStringSubmatch(page)
	if etag == "" || version == nil || `"`+version[1]+`"` != etag {
		t.Fatalf("etag %q, page version %v", etag, version)
	}
	// A hand edit meanwhile.
	data, _ := os.ReadFile(f.path)
	edited := strings.Replace(string(data), `"Cainiao"]`, `"Cainiao", "Aliyun"]`, 1)
	os.WriteFile(f.path, []byte(edited), 0o644)
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group"],"version":"`+version[1]+`"}`, nil)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "changed since") {
		t.Errorf("stale PUT: %d %s", w.Code, w.Body)
	}
	w = f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group"]}`, map[string]string{"If-Match": etag})
	if w.Code != http.StatusConflict {
		t.Errorf("stale PUT by If-Match: %d %s", w.Code, w.Body)
	}
	csrf := formCSRF(t, f, "/search", nil)
	w = f.do(t, "POST", "/watchlist/edit", "csrf="+csrf+"&kind=company&name=Alibaba&aliases=Alibaba+Group&action=save&version="+version[1], nil)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "changed since") {
		t.Errorf("stale form: %d", w.Code)
	}
	if after, _ := os.ReadFile(f.path); string(after) != edited {
		t.Error("a stale save changed the file")
	}
	fresh := f.do(t, "GET", "/api/watchlist", "", nil).Header().Get("ETag")
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group"]}`, map[string]string{"If-Match": fresh}); w.Code != 200 {
		t.Errorf("fresh PUT: %d %s", w.Code, w.Body)
	}
}

// A PUT's If-Match: "*" matches the file as it is, a list matches when one
// of its tags does, a weak tag never; a saved PUT carries the file's new
// ETag, on which the client can save again without a GET.
func TestSaveConditional(t *testing.T) {
	f := newFixture(t, "")
	put := func(ifMatch string, aliases string) *httptest.ResponseRecorder {
		t.Helper()
		return f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":[`+aliases+`]}`, map[string]string{"If-Match": ifMatch})
	}
	first := f.do(t, "GET", "/api/watchlist", "", nil).Header().Get("ETag")
	w := put("*", `"Alibaba Group"`)
	second := w.Header().Get("ETag")
	if w.Code != 200 || second == "" || second == first {
		t.Fatalf(`If-Match: *: %d, ETag %q (before %q) %s`, w.Code, second, first, w.Body)
	}
	if now := f.do(t, "GET", "/api/watchlist", "", nil).Header().Get("ETag"); now != second {
		t.Errorf("PUT's ETag %s, GET's after it %s", second, now)
	}
	w = put(second, `"Cainiao"`)
	third := w.Header().Get("ETag")
	if w.Code != 200 || third == "" || third == second {
		t.Fatalf("PUT on the ETag of the last PUT: %d, ETag %q %s", w.Code, third, w.Body)
	}
	for _, stale := range []string{first, "W/" + third, `"nope"`} {
		if w := put(stale, `"X"`); w.Code != http.StatusConflict {
			t.Errorf("If-Match: %s: %d, want 409", stale, w.Code)
		}
	}
	if w := put(`"nope", `+third, `"Alibaba Group"`); w.Code != 200 {
		t.Errorf("If-Match: a list holding the version: %d %s", w.Code, w.Body)
	}
}

// Feedback without a company is a bad request naming the field, not an
// unknown company "".
func TestFeedbackNeedsCompany(t *testing.T) {
	f := newFixture(t, "")
	w := f.do(t, "POST", "/api/items/"+itoa(f.ids["spy"])+"/feedback", `{"relevant":false}`, nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "company: missing") {
		t.Errorf("feedback without a company: %d %s", w.Code, w.Body)
	}
}

// Trailing data after the JSON object is refused; a key left out of a PUT
// stays as it is.
func TestSaveBodyHygiene(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["X"]}{"x":1}`, nil); w.Code != 400 {
		t.Errorf("trailing JSON: %d %s", w.Code, w.Body)
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Fatal("refused body changed the file")
	}
	w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","exclude":[]}`, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"aliases":["Alibaba Group","Cainiao"]`) {
		t.Errorf("PUT without aliases: %d %s", w.Code, w.Body)
	}
	after, _ := os.ReadFile(f.path)
	if !strings.Contains(string(after), `aliases = ["Alibaba Group", "Cainiao"]`) || !strings.Contains(string(after), "exclude = []") {
		t.Errorf("file:\n%s", after)
	}
}

// addSource puts a source with that name and feed URL first in the
// fixture's configuration, dated so that the console reads it again.
func (f *fixture) addSource(t *testing.T, name, feed string) {
	t.Helper()
	data, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("[[sources]]\nname = %q\nfeed = %q\n\n", name, feed)
	if err := os.WriteFile(f.path, []byte(strings.Replace(string(data), "[[sources]]", src+"[[sources]]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.path, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// A source URL's credentials stay off the pages, also inside a dry run's
// error.
func TestSourceSecretsMasked(t *testing.T) {
	f := newFixture(t, "")
	f.addSource(t, "Paid", "http://feeduser:FEEDPASS@127.0.0.1:1/feed?apikey=KEY789")
	w := f.do(t, "GET", "/sources", "", nil)
	if body := w.Body.String(); w.Code != 200 || strings.Contains(body, "FEEDPASS") || strings.Contains(body, "KEY789") || !strings.Contains(body, "feeduser:***@127.0.0.1:1/feed?apikey=***") {
		t.Errorf("sources page: %d %s", w.Code, body)
	}
	csrf := formCSRF(t, f, "/sources", nil)
	w = f.do(t, "POST", "/sources/dry-run", "csrf="+csrf+"&source=Paid", nil)
	if body := w.Body.String(); strings.Contains(body, "FEEDPASS") || strings.Contains(body, "KEY789") || !strings.Contains(body, "***") {
		t.Errorf("dry run: %d %s", w.Code, body)
	}
}

// An error quoting a source URL shows the URL masked whole: a short query
// value ("x=1") hides no "1" elsewhere in the message (the address), on
// Sources (an error recorded unmasked) and in a dry run's error.
func TestSourceErrorMaskedWhole(t *testing.T) {
	f := newFixture(t, "")
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer fail.Close()
	host := strings.TrimPrefix(fail.URL, "http://")
	feed := "http://user:hunter2@" + host + "/fail/0123456789abcdef0123456789abcdef/rss?apikey=SEKRET&x=1"
	masked := html.EscapeString("http://user:***@" + host + "/fail/***/rss?apikey=***&x=***")
	f.addSource(t, "Paid", feed)
	if _, err := f.st.SaveRun(context.Background(), model.Run{Source: "Paid", Status: model.StatusError, Started: now,
		Err: `source "Paid": fetch ` + feed + `: HTTP 500 Internal Server Error`}, nil); err != nil {
		t.Fatal(err)
	}
	w := f.do(t, "GET", "/sources", "", nil)
	if body := w.Body.String(); w.Code != 200 || strings.Contains(body, "hunter2") || !strings.Contains(body, "fetch "+masked+": HTTP 500") {
		t.Errorf("sources page: %d, want the error with %s: %s", w.Code, masked, body)
	}
	csrf := formCSRF(t, f, "/sources", nil)
	w = f.do(t, "POST", "/sources/dry-run", "csrf="+csrf+"&source=Paid", nil)
	if body := w.Body.String(); strings.Contains(body, "hunter2") || strings.Contains(body, "SEKRET") || !strings.Contains(body, "fetch "+masked+": HTTP 500") {
		t.Errorf("dry run: %d, want the error with %s: %s", w.Code, masked, body)
	}
}

// A file: source is a local path, no secret: Sources shows it as written.
func TestFileSourceShown(t *testing.T) {
	f := newFixture(t, "")
	f.addSource(t, "Local", "file:feeds/wire.xml")
	want := "file://" + filepath.ToSlash(filepath.Join(filepath.Dir(f.path), "feeds", "wire.xml"))
	if body := f.do(t, "GET", "/sources", "", nil).Body.String(); !strings.Contains(body, want) {
		t.Errorf("sources page lacks %s:\n%s", want, body)
	}
}

// An item without a link (the scraper dropped it as unsafe) shows its
// title as plain text on every page that lists items, not as a link to
// "" that would open the console in a new tab.
func TestUnlinkedTitlePlain(t *testing.T) {
	f := newFixture(t, "")
	added, err := f.st.SaveRun(context.Background(), model.Run{Source: "Wire", Status: model.StatusOK, Items: 1, Started: now},
		[]model.Item{{Key: "guid:unlinked", GUID: "unlinked", Title: "Huawei unlinked story", Body: "Huawei news.", Published: now.Add(-time.Hour)}})
	if err != nil || len(added) != 1 {
		t.Fatal(added, err)
	}
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>U</title>
<item><title>Huawei unlinked story</title><link>javascript:alert(1)</link><description>Huawei news.</description></item>
</channel></rss>`)
	}))
	defer feed.Close()
	f.addSource(t, "Unsafe", feed.URL+"/feed")
	csrf := formCSRF(t, f, "/sources", nil)
	edit := url.Values{"csrf": {csrf}, "kind": {"company"}, "name": {"Tencent"}, "aliases": {"Huawei"}, "all_news": {"1"}, "days": {"7"}, "action": {"preview"}}
	for _, tc := range []struct{ name, method, path, body string }{
		{"search", "GET", "/search?q=news", ""},
		{"item", "GET", "/items/" + itoa(added[0].ID), ""},
		{"sources", "GET", "/sources", ""},
		{"dry run", "POST", "/sources/dry-run", "csrf=" + csrf + "&source=Unsafe"},
		{"edit preview", "POST", "/watchlist/edit", edit.Encode()},
	} {
		w := f.do(t, tc.method, tc.path, tc.body, nil)
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, "Huawei unlinked story") {
			t.Errorf("%s: %d, the title missing:\n%s", tc.name, w.Code, body)
			continue
		}
		if strings.Contains(body, `href=""`) || regexp.MustCompile(`<a [^>]*>Huawei unlinked story`).MatchString(body) {
			t.Errorf("%s: the title is a link:\n%s", tc.name, body)
		}
	}
}

// Input that is not text (bytes that are not UTF-8, a NUL) is refused,
// 400 naming the key, not saved as U+FFFD nor read as an empty search
// that returns every item.
func TestNotTextRefused(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	csrf := formCSRF(t, f, "/watchlist/edit?kind=company&name=Alibaba", nil)
	w := f.do(t, "POST", "/watchlist/edit", "csrf="+csrf+"&kind=company&name=Alibaba&aliases=Ali%ffbaba&action=save", nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "aliases: is not valid UTF-8") {
		t.Errorf("form save of Ali\\xffbaba: %d %s", w.Code, w.Body)
	}
	w = f.do(t, "PUT", "/api/watchlist", "{\"kind\":\"company\",\"name\":\"Alibaba\",\"aliases\":[\"Ali\xffbaba\"]}", nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "body is not valid UTF-8 (byte 0xff at 50)") {
		t.Errorf("PUT of Ali\\xffbaba: %d %s", w.Code, w.Body)
	}
	if after, _ := os.ReadFile(f.path); string(after) != string(before) {
		t.Errorf("a refused save changed the file:\n%s", after)
	}
	for target, want := range map[string]string{
		"/api/items?q=%ff%fe":           "q: is not valid UTF-8 (byte 0xff at 0)",
		"/api/items?q=%00":              "q: holds the control character U+0000",
		"/api/items?company=Ali%ffbaba": "company: is not valid UTF-8",
		"/search?%ff=1":                 `"\xff": is not valid UTF-8`,
		"/search?q=spy%00":              "q: holds the control character U+0000",
		"/api/items?q=%ef%bf%bd":        "q: holds U+FFFD",
	} {
		if w := f.do(t, "GET", target, "", nil); w.Code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(w.Body.String()), want) {
			t.Errorf("%s: %d, want 400 %q: %s", target, w.Code, want, w.Body)
		}
	}
	if w := f.do(t, "GET", "/api/items?q=spying%09Cainiao", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"total":1`) {
		t.Errorf("a tab between words: %d %s", w.Code, w.Body)
	}
}

// TestSurrogateEscapeRefused: a JSON string escape that is no character
// (a lone surrogate) decodes to U+FFFD as invalid UTF-8 bytes would: it
// is refused the same way, 400 naming the key, not saved into the file.
func TestSurrogateEscapeRefused(t *testing.T) {
	f := newFixture(t, "")
	before, _ := os.ReadFile(f.path)
	for body, want := range map[string]string{
		`{"kind":"company","name":"Alibaba","aliases":["Ali\udc00baba"]}`:       "aliases[0]: holds U+FFFD",
		`{"kind":"company","name":"Alibaba","aliases":["Alibaba","Ali\ud800"]}`: "aliases[1]: holds U+FFFD",
		`{"kind":"company","name":"Ali\udc00baba"}`:                             "name: holds U+FFFD",
	} {
		w := f.do(t, "PUT", "/api/watchlist", body, nil)
		after, _ := os.ReadFile(f.path)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) || string(after) != string(before) {
			t.Errorf("PUT of %s: %d %s, want 400 %q\nfile:\n%s", body, w.Code, w.Body, want, after)
		}
	}
	if w := f.do(t, "POST", "/api/watchlist/preview", `{"kind":"company","name":"Alibaba","aliases":["Ali\udc00baba"]}`, nil); w.Code != http.StatusBadRequest {
		t.Errorf("preview of Ali\\udc00baba: %d %s", w.Code, w.Body)
	}
	// An escaped character that is one (a pair of surrogates) is text.
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["Ali\ud83d\ude00baba"]}`, nil); w.Code != http.StatusOK {
		t.Errorf("PUT of a surrogate pair: %d %s", w.Code, w.Body)
	}
}

// Titles are cut to 300 characters, as digests cut them.
func TestLongTitleCut(t *testing.T) {
	f := newFixture(t, "")
	long := "Cainiao " + strings.Repeat("x", 100000)
	if _, err := f.st.SaveRun(context.Background(), model.Run{Source: "Wire", Status: model.StatusOK, Items: 1, Started: now},
		[]model.Item{{Key: "long", Link: "https://wire.example.org/long", Title: long, Body: "Alibaba spying", Published: now.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/search?q=cainiao", "/api/items?q=cainiao", "/sources"} {
		w := f.do(t, "GET", path, "", nil)
		if body := w.Body.String(); w.Code != 200 || strings.Contains(body, strings.Repeat("x", 300)) || !strings.Contains(body, strings.Repeat("x", 250)+"…") && !strings.Contains(body, strings.Repeat("x", 250)) {
			t.Errorf("%s: %d, %d bytes", path, w.Code, len(body))
		}
	}
}

// A "not relevant" mark can be undone: by API ("relevant": true) and by
// the button on the item's page.
func TestUndoNotRelevant(t *testing.T) {
	f := newFixture(t, "")
	id := strconv.FormatInt(f.ids["cloud"], 10)
	target := "/api/items/" + id + "/feedback"
	companies := func() string {
		return strings.Join(decode[itemsAnswer](t, f.do(t, "GET", "/api/items?q=cloud", "", nil)).Items[0].Companies, ",")
	}
	f.do(t, "POST", target, `{"company":"Alibaba","relevant":false}`, nil)
	if got := companies(); got != "" {
		t.Fatalf("marked: %q", got)
	}
	if w := f.do(t, "POST", target, `{"company":"Alibaba","relevant":true}`, nil); w.Code != http.StatusNoContent {
		t.Fatalf("undo: %d %s", w.Code, w.Body)
	}
	if got := companies(); got != "Alibaba" {
		t.Errorf("after undo: %q", got)
	}
	f.do(t, "POST", target, `{"company":"Alibaba","relevant":false}`, nil)
	page := f.do(t, "GET", "/items/"+id, "", nil).Body.String()
	if !strings.Contains(page, `name="undo" value="1"`) || !strings.Contains(page, "Undo: about Alibaba") {
		t.Fatalf("no undo button:\n%s", page)
	}
	csrf := formCSRF(t, f, "/items/"+id, nil)
	if w := f.do(t, "POST", "/items/"+id+"/not-relevant", "csrf="+csrf+"&company=Alibaba&undo=1&back=/items/"+id, nil); w.Code != http.StatusSeeOther {
		t.Fatalf("undo form: %d", w.Code)
	}
	if got := companies(); got != "Alibaba" {
		t.Errorf("after the undo button: %q", got)
	}
}

// A file with CRLF line ends keeps them, new lines included; one with a
// byte order mark keeps it.
func TestSaveCRLF(t *testing.T) {
	f := newFixture(t, "")
	data, _ := os.ReadFile(f.path)
	crlf := "\ufeff" + strings.ReplaceAll(string(data), "\n", "\r\n") // and a byte order mark
	os.WriteFile(f.path, []byte(crlf), 0o644)
	os.Chtimes(f.path, now, now.Add(time.Minute))
	if w := f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Tencent","aliases":["QQ"],"exclude":["QQ Music"]}`, nil); w.Code != 200 {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	after, _ := os.ReadFile(f.path)
	if strings.Count(string(after), "\n") != strings.Count(string(after), "\r\n") || !strings.Contains(string(after), "aliases = [\"QQ\"]\r\n") {
		t.Errorf("line ends mixed:\n%q", after)
	}
	if !strings.HasPrefix(string(after), "\ufeff# analyst") {
		t.Errorf("byte order mark lost: %q", after[:20])
	}
}

func TestStaticNoListing(t *testing.T) {
	f := newFixture(t, "")
	if w := f.do(t, "GET", "/static/", "", nil); w.Code != 404 || strings.Contains(w.Body.String(), "preview.js") {
		t.Errorf("/static/: %d %s", w.Code, w.Body)
	}
}

// Two consoles on one file (a `run` and a `serve`) saving different
// entries at once: both edits survive.
func TestSaveAcrossProcesses(t *testing.T) {
	f := newFixture(t, "")
	other, err := New(t.Context(), Options{ConfigPath: f.path, Store: f.st, Listen: "127.0.0.1:8080", Now: f.srv.opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	g := &fixture{h: other.Handler()}
	for round := range 20 {
		done := make(chan int, 2)
		a := "A" + strconv.Itoa(round)
		go func() {
			done <- f.do(t, "PUT", "/api/watchlist", `{"kind":"company","name":"Alibaba","aliases":["Alibaba Group","`+a+`"]}`, nil).Code
		}()
		go func() {
			done <- g.do(t, "PUT", "/api/watchlist", `{"kind":"topic","name":"Espionage","terms":["espionage","`+a+`"]}`, nil).Code
		}()
		<-done
		<-done
		data, _ := os.ReadFile(f.path)
		if strings.Count(string(data), `"`+a+`"`) != 2 {
			t.Fatalf("round %d: an edit was lost:\n%s", round, data)
		}
	}
}

// TestMethodNotAllowed: a known path asked with a method it is not served
// with is answered 405 with the methods it is served with, never 404;
// methods no route serves (OPTIONS: no cross-origin preflight is granted;
// TRACE) are refused before authentication; unknown paths stay 404.
func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t, token)
	bearer := map[string]string{"Authorization": "Bearer " + token}
	for _, c := range []struct {
		method, path string
		header       map[string]string
		code         int
		allow        string
	}{
		{"OPTIONS", "/api/items", nil, 405, "GET, HEAD"},
		{"TRACE", "/search", nil, 405, "GET, HEAD"},
		{"DELETE", "/api/watchlist", nil, 405, "GET, HEAD, PUT"},
		{"OPTIONS", "/api/watchlist/preview", nil, 405, "POST"},
		{"PUT", "/api/items", bearer, 405, "GET, HEAD"},
		{"POST", "/search", bearer, 405, "GET, HEAD"},
		{"TRACE", "/nothing-here", nil, 404, ""},
		{"GET", "/nothing-here", bearer, 404, ""},
		{"GET", "/api/items", bearer, 200, ""},
	} {
		w := f.do(t, c.method, c.path, "", c.header)
		if w.Code != c.code || w.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q; want %d, Allow %q", c.method, c.path, w.Code, w.Header().Get("Allow"), c.code, c.allow)
		}
	}
}

// A logout that cannot be recorded says so, without the database's own
// words, and the browser forgets the cookie all the same; a session that
// cannot be checked is refused with 503, not taken and not sent to the
// login page, and its logout still clears the cookie.
func TestLogoutUnrecorded(t *testing.T) {
	f := newFixture(t, token)
	a, b := login(t, f), login(t, f)
	db, err := sql.Open("sqlite", f.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON ended_sessions BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	cleared := func(w *httptest.ResponseRecorder) bool {
		return strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0")
	}
	w := f.do(t, "POST", "/logout", "csrf="+formCSRF(t, f, "/search", a), a)
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "could not record") || strings.Contains(w.Body.String(), "disk full") || !cleared(w) {
		t.Errorf("unrecorded logout: %d, Set-Cookie %q\n%s", w.Code, w.Header().Get("Set-Cookie"), w.Body)
	}

	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	if w := f.do(t, "GET", "/watchlist", "", b); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a session that cannot be checked: %d", w.Code)
	}
	w = f.do(t, "POST", "/logout", "", b)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "could not record") || !cleared(w) {
		t.Errorf("a logout whose session cannot be checked: %d, Set-Cookie %q\n%s", w.Code, w.Header().Get("Set-Cookie"), w.Body)
	}
}

// TestOwnerNotLockedOutByOverflow: guesses from many addresses (an IPv6
// /48 holds 65,536 /64s) fill the limiter's table and spend the shared
// budget of the addresses beyond it; the owner, arriving from an address
// of its own that never failed, must still get in with the right token.
func TestOwnerNotLockedOutByOverflow(t *testing.T) {
	f := newFixture(t, token)
	wrong := func(addr string) map[string]string {
		return map[string]string{"Authorization": "Bearer guess", "RemoteAddr": addr}
	}
	for i := range maxClients + 5 {
		addr := fmt.Sprintf("[2001:db8:%x:%x::1]:1234", i>>16, i&0xffff)
		f.do(t, "GET", "/api/items", "", wrong(addr))
	}
	owner := map[string]string{"Authorization": "Bearer " + token, "RemoteAddr": "198.51.100.7:1234"}
	if w := f.do(t, "GET", "/api/items", "", owner); w.Code != 200 {
		t.Fatalf("the right token from the owner's own address, after guesses from %d others: %d", maxClients+5, w.Code)
	}
}
