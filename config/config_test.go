package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// problem is one expected problem: the line, the key and a part of the message.
type problem struct {
	line int
	key  string
	msg  string
}

// problems returns the *Error values joined in err.
func problems(t *testing.T, err error) []*Error {
	t.Helper()
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]*Error, 0, len(list))
	for _, e := range list {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Fatalf("error %q is not a *config.Error", e)
		}
		out = append(out, ce)
	}
	return out
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		file  string
		wants []problem
	}{
		{"unknown_key.toml", []problem{
			{2, "colour", "unknown key"},
			{5, "http.timout", `unknown key (did you mean "timeout"?)`},
			{10, "sources[0].feeds", `unknown key (did you mean "feed"?)`},
			{12, "bogus", "unknown key"},
		}},
		{"wrong_type.toml", []problem{
			{1, "max_age", "must be a duration string"},
			{3, "http.concurrency", "must be an integer, not a string"},
			{4, "http.respect_robots", "must be true or false, not a string"},
			{7, "companies[0].aliases", "must be a list of strings"},
			{11, "digests[0].to[1]", "must be a string, not an integer"},
		}},
		{"syntax.toml", []problem{
			{5, "", "at start of value"},
		}},
		{"duplicate_key.toml", []problem{
			{4, "sources[0].name", "already defined"},
		}},
		{"feed_page.toml", []problem{
			{4, "sources[0].page", "set either feed or page, not both"},
			{7, "sources[1]", "needs feed"},
			{10, "sources[2].links", "required when page is set"},
		}},
		{"selector.toml", []problem{
			{4, "sources[0].links", `bad CSS selector "article >> a["`},
			{5, "sources[0].body", `bad CSS selector "div..x"`},
			{11, "sources[1].body", `bad CSS selector "p:nth-child("`},
		}},
		{"cron.toml", []problem{
			{1, "fetch_schedule", "bad cron expression"},
			{5, "digests[0].schedule", "expected exactly 5 fields"},
			{10, "digests[1].schedule", "bad cron expression"},
			{13, "digests[2].schedule", "required"},
		}},
		{"timezone.toml", []problem{
			{1, "timezone", `is not a time zone (did you mean "Europe/Brussels"?)`},
			{7, "digests[0].timezone", "not a time zone"},
		}},
		// Unknown keys, wrong types and bad values in one run, not in rounds.
		{"all_kinds.toml", []problem{
			{1, "colour", "unknown key"},
			{2, "max_age", "not a duration"},
			{4, "http.concurrency", "must be an integer, not a string"},
			{5, "http.timeout", "must be more than 0"},
			{9, "sources[0].enabled", "must be true or false, not a string"},
			{10, "sources[1].links", "required when page is set"},
			{15, "digests[0].schedule", "bad cron expression"},
			{16, "digests[0].to[1]", "must be a string, not an integer"},
			{17, "digests[0].timezone", `is not a time zone (did you mean "Europe/Brussels"?)`},
		}},
		{"references.toml", []problem{
			{12, "digests[0].companies[1]", `unknown company "Alibab": not a name in [[companies]] (did you mean "Alibaba"?)`},
			{13, "digests[0].topics[0]", `unknown topic "Sanctions"`},
			{13, "digests[0].topics[1]", `unknown topic "espionage": not a name in [[topics]] (did you mean "Espionage"?)`},
		}},
		{"duplicates.toml", []problem{
			{6, "sources[1].name", `duplicate name "the record": already used by sources[0] (line 2)`},
			{13, "companies[1].name", `duplicate name "Alibaba"`},
			{20, "topics[1].name", `duplicate name "Spying"`},
			{29, "digests[1].name", `duplicate name "Brief"`},
		}},
		{"empty.toml", []problem{
			{2, "sources[0].name", "required"},
			{6, "companies[0].name", "required"},
			{7, "companies[0].aliases[1]", "empty alias"},
			{8, "companies[0].exclude[0]", "empty exclude phrase"},
			{10, "topics[0].name", "required"}, // missing: the [[topics]] header
			{11, "topics[0].terms[1]", "empty term"},
			{15, "topics[1].terms", "needs at least one term"},
			{18, "digests[0].name", "required"},
		}},
		{"noletters.toml", []problem{
			{3, "companies[0].aliases[1]", `alias "!!": term has no letters or digits, so it could never match`},
			{4, "companies[0].exclude[0]", `exclude phrase "—": term has no letters or digits`},
			{8, "topics[0].terms[1]", `term is longer than 64 words`},
			{11, "companies[1].name", `company "!!!": term has no letters or digits, so it could never match`},
		}},
		{"recipients.toml", []problem{
			{4, "digests[0].to", "needs at least one address"},
			{6, "digests[1].to", "needs at least one address"}, // missing: the header
			{14, "digests[2].to[0]", `"not an address" is not an email address`},
			{16, "digests[2].to[2]", `"Bob <bob@>" is not an email address`},
		}},
		{"smtp.toml", []problem{
			{1, "smtp.password_env", "required when username is set"},
			{2, "smtp.host", "includes a port"},
			{3, "smtp.port", "70000 is not a port"},
			{4, "smtp.security", `"ssl" is not one of starttls, tls, none`},
			{6, "smtp.from", `"nobody" is not an email address`},
			{7, "smtp.timeout", "not a duration"},
		}},
		{"smtp_empty.toml", []problem{
			{3, "smtp.host", "required when [smtp] is present"},
			{3, "smtp.from", "required"},
		}},
		{"smtp_auth.toml", []problem{
			{3, "smtp.port", "0 is not a port"},
			{4, "smtp.password_env", "is not an environment variable name"},
		}},
		{"urls.toml", []problem{
			{3, "sources[0].feed", `URL scheme "ftp" is not http, https or file`},
			{7, "sources[1].feed", "has no host"},
			{11, "sources[2].feed", `names host "fixtures"`},
			{15, "sources[3].page", `URL scheme "file" is not http or https`},
			{20, "sources[4].feed", "bad URL"},
		}},
		{"numbers.toml", []problem{
			{1, "max_age", "not a duration"},
			{4, "http.timeout", "must be more than 0"},
			{5, "http.max_body", "bad size"},
			{6, "http.concurrency", "must be at least 1"},
			{7, "http.per_host_delay", "must be more than 0"},
			{11, "companies[0].near", "must be 0"},
			{17, "digests[0].max_stories", "must be at least 1"},
		}},
		{"retain.toml", []problem{
			{2, "retain", `"48h" must be longer than max_age (72h)`},
		}},
		{"retain_equal.toml", []problem{
			{2, "retain", `"72h" must be longer than max_age (72h)`},
		}},
		{"smtp_username.toml", []problem{
			{1, "smtp.username", "required when password_env is set"}, // missing: the header
		}},
		{"user_agent.toml", []problem{
			{2, "http.user_agent", "must be non-empty text on one line"},
		}},
		{"control.toml", []problem{
			{2, "sources[0].name", `name "The\tRecord" holds a control character (U+0009`},
			{6, "companies[0].name", `name "Ali\u00a0baba\nGroup" holds a control character (U+000A`},
		}},
		{"database.toml", []problem{
			{1, "database", "not a PostgreSQL URL of the form postgres://user@host:5432/database"},
		}},
		{"max_body.toml", []problem{
			{2, "http.max_body", "must be more than 0 bytes"},
		}},
		{"listen.toml", []problem{
			{1, "listen", `port "99999" is not a number from 1 to 65535`},
		}},
		{"web.toml", []problem{
			{2, "web.listen", `"0.0.0.0:8080" is not a loopback address: set auth_token_env`},
			{3, "web.url", `is not a base URL`},
		}},
		{"web_url.toml", []problem{
			{2, "web.url", `"https://nw.example.org/newswatch?lang=en" is not a base URL`},
		}},
		{"web_token.toml", []problem{
			{2, "web.listen", `port "99999" is not a number`},
			{3, "web.auth_token_env", "is not an environment variable name"},
		}},
		{"listen_clash.toml", []problem{
			{4, "web.listen", `"localhost:9090" takes the port of the top-level listen "127.0.0.1:9090"`},
		}},
		{"listen_noport.toml", []problem{
			{1, "listen", "must be host:port"},
		}},
		{"paths.toml", []problem{
			{1, "database", "must not be empty"},
			{2, "templates", "templates folder not found"},
			{5, "output.dir", "must not be empty"},
		}},
		{"digest_name.toml", []problem{
			{2, "digests[0].name", "cannot name a folder"},
			{6, "digests[1].name", `".." cannot name a folder`},
		}},
		{"inline.toml", []problem{
			{1, "http.timeout", "not a duration"},
			{4, "sources[1]", "needs feed"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", tt.file)
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = nil error, want %d problems", path, len(tt.wants))
			}
			if cfg != nil {
				t.Errorf("Load(%s) returned a config with its error", path)
			}
			got := problems(t, err)
			for _, w := range tt.wants {
				if !hasProblem(got, path, w) {
					t.Errorf("missing %s:%d: %s: ...%s...\ngot:\n%v", path, w.line, w.key, w.msg, err)
				}
			}
			if len(got) != len(tt.wants) {
				t.Errorf("got %d problems, want %d:\n%v", len(got), len(tt.wants), err)
			}
		})
	}
}

func hasProblem(got []*Error, path string, w problem) bool {
	prefix := fmt.Sprintf("%s:%d: ", path, w.line)
	if w.key != "" {
		prefix += w.key + ": "
	}
	for _, e := range got {
		s := e.Error()
		if e.File == path && e.Line == w.line && e.Key == w.key && strings.HasPrefix(s, prefix) && strings.Contains(s, w.msg) {
			return true
		}
	}
	return false
}

func TestErrorsInFileOrder(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "numbers.toml"))
	got := problems(t, err)
	for i := 1; i < len(got); i++ {
		if got[i].Line < got[i-1].Line {
			t.Errorf("problem %d (line %d) after line %d", i, got[i].Line, got[i-1].Line)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"full", &Error{File: "newswatch.toml", Line: 42, Key: "sources[3].links", Msg: "required when page is set"},
			"newswatch.toml:42: sources[3].links: required when page is set"},
		{"no line", &Error{File: "newswatch.toml", Key: "timezone", Msg: "bad"}, "newswatch.toml: timezone: bad"},
		{"no key", &Error{File: "n.toml", Line: 3, Msg: "expected '='"}, "n.toml:3: expected '='"},
		{"cause", &Error{File: "n.toml", Line: 1, Key: "max_age", Msg: "not a duration", Err: errors.New("time: bad")},
			"n.toml:1: max_age: not a duration: time: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "paths.toml"))
	var target *Error
	if !errors.As(err, &target) {
		t.Fatalf("errors.As(%v, *Error) = false", err)
	}
	_, err = Parse("x.toml", []byte("max_body = 1\n[http]\nmax_body = \"ten\"\n"))
	if !errors.Is(err, ErrSize) {
		t.Errorf("errors.Is(%v, ErrSize) = false", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "no-such-file.toml"))
	if err == nil || !strings.Contains(err.Error(), "no-such-file.toml") {
		t.Errorf("Load(missing) = %v, want an error naming the file", err)
	}
}

func TestDefaults(t *testing.T) {
	path := filepath.Join("testdata", "minimal.toml")
	cfg, warns, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	checks := []struct {
		name      string
		got, want any
	}{
		{"Path", cfg.Path, filepath.Join(dir, "minimal.toml")},
		{"Timezone", cfg.Timezone, ""},
		{"Location", cfg.Location, time.Local},
		{"Database", cfg.Database, filepath.Join(dir, "newswatch.db")},
		{"FetchSchedule", cfg.FetchSchedule, "*/30 * * * *"},
		{"MaxAge", cfg.MaxAge, 72 * time.Hour},
		{"FetchTimeout", cfg.FetchTimeout, 10 * time.Minute},
		{"MaxArticles", cfg.Sources[0].MaxArticles, DefaultMaxArticles},
		{"Retain", cfg.Retain, 90 * 24 * time.Hour},
		{"Templates", cfg.Templates, ""},
		{"Listen", cfg.Listen, ""},
		{"UserAgent", cfg.HTTP.UserAgent, "newswatch/0.1 (+https://github.com/newswatch)"},
		{"Timeout", cfg.HTTP.Timeout, 20 * time.Second},
		{"MaxBody", cfg.HTTP.MaxBody, int64(10_000_000)},
		{"Concurrency", cfg.HTTP.Concurrency, 8},
		{"PerHostDelay", cfg.HTTP.PerHostDelay, time.Second},
		{"RespectRobots", cfg.HTTP.RespectRobots, true},
		{"SMTP is nil", cfg.SMTP == nil, true},
		{"Output.Dir", cfg.Output.Dir, filepath.Join(dir, "digests")},
		{"Digest Location", cfg.Digests[0].Location, time.Local},
		{"Near", cfg.Companies[0].Near, 0},
		{"Warnings", len(warns), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestValid(t *testing.T) {
	cfg, warns, err := Check(filepath.Join("testdata", "valid.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	checks := []struct {
		name      string
		got, want any
	}{
		{"Location", cfg.Location.String(), "UTC"},
		{"Database", cfg.Database, filepath.Join(dir, "data", "newswatch.db")},
		{"Templates", cfg.Templates, filepath.Join(dir, "templates")},
		{"Output.Dir", cfg.Output.Dir, filepath.Join(dir, "out")},
		{"file: feed made absolute", cfg.Sources[0].Feed, "file://" + filepath.ToSlash(filepath.Join(dir, "feeds", "seed.xml"))},
		{"MaxAge", cfg.MaxAge, 48 * time.Hour},
		{"Retain 0 keeps everything", cfg.Retain, time.Duration(0)},
		{"SMTP timeout", cfg.SMTP.Timeout, 45 * time.Second},
		{"MaxBody as bytes", cfg.HTTP.MaxBody, int64(524288)},
		{"PerHostDelay", cfg.HTTP.PerHostDelay, 250 * time.Millisecond},
		{"RespectRobots", cfg.HTTP.RespectRobots, false},
		{"SMTP port default for tls", cfg.SMTP.Port, 465},
		{"alias trimmed", cfg.Companies[0].Aliases[0], "Alibaba Group"},
		{"Near", cfg.Companies[0].Near, 12},
		{"AllNews", cfg.Companies[1].AllNews, true},
		{"own zone", cfg.Digests[0].Location.String(), "Asia/Tokyo"},
		{"global zone", cfg.Digests[1].Location.String(), "UTC"},
		{"SendEmpty", cfg.Digests[0].SendEmpty, true},
		{"MaxStories", cfg.Digests[0].MaxStories, 20},
		{"MaxStories default", cfg.Digests[1].MaxStories, DefaultMaxStories},
		{"Warnings", len(warns), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestRelativePaths(t *testing.T) {
	tests := []struct {
		name, path, doc  string
		db, output, feed string
	}{
		{"relative to the file", "/srv/nw/newswatch.toml", `database = "db/nw.db"
[output]
dir = "../mail"
[[sources]]
name = "f"
feed = "file:feeds/a.xml"
`, "/srv/nw/db/nw.db", "/srv/mail", "file:///srv/nw/feeds/a.xml"},
		{"absolute kept", "/srv/nw/newswatch.toml", `database = "/var/lib/nw.db"
[output]
dir = "/var/mail/nw/"
[[sources]]
name = "f"
feed = "file:///data/a.xml"
`, "/var/lib/nw.db", "/var/mail/nw", "file:///data/a.xml"},
		{"memory database", "/srv/nw/newswatch.toml", `database = ":memory:"
[[sources]]
name = "f"
feed = "https://example.org/feed"
`, ":memory:", "/srv/nw/digests", "https://example.org/feed"},
		{"postgres URL kept", "/srv/nw/newswatch.toml", `database = "postgres://nw@db.example.org:5432/news?sslmode=require"
[[sources]]
name = "f"
feed = "https://example.org/feed"
`, "postgres://nw@db.example.org:5432/news?sslmode=require", "/srv/nw/digests", "https://example.org/feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(tt.path, []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Database != tt.db || cfg.Output.Dir != tt.output || cfg.Sources[0].Feed != tt.feed {
				t.Errorf("got database %q, output %q, feed %q; want %q, %q, %q",
					cfg.Database, cfg.Output.Dir, cfg.Sources[0].Feed, tt.db, tt.output, tt.feed)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"0 7 * * *", true},
		{"*/30 * * * *", true},
		{"0 7 * * MON-FRI", true},
		{"@daily", true},
		{"@every 2h", true},
		{"0 0 7 * * *", false}, // seconds are not a field
		{"61 * * * *", false},
		{"@fortnightly", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseSchedule(tt.spec, time.UTC)
			if (err == nil) != tt.ok {
				t.Errorf("ParseSchedule(%q) error = %v, want ok = %v", tt.spec, err, tt.ok)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	path := filepath.Join("testdata", "warnings.toml")
	_, warns, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	wants := []string{
		path + `:6: companies[1].name: "Ant Group" also names company "Alibaba"`,
		path + `:7: companies[1].aliases[0]: "cainiao" also names company "Alibaba"`,
		path + `:11: topics[0].terms[1]: "spy agency" is redundant: "spy" (topics[0].terms[0])`,
		path + `:11: topics[0].terms[3]: "Spy" repeats topics[0].terms[0]`,
		path + `:15: topics[1].terms[2]: "PLA Navy" repeats topics[1].terms[1]`,
		path + `:15: topics[1].terms[4]: "解放军" is redundant: "军" (topics[1].terms[3])`,
		path + `:20: sources[0].links: only used with page`,
		path + `:29: smtp.security: "none" sends the password in clear text`,
	}
	for _, w := range wants {
		if !hasPrefixIn(warns, w) {
			t.Errorf("missing warning %q", w)
		}
	}
	if len(warns) != len(wants) {
		t.Errorf("got %d warnings, want %d:\n%s", len(warns), len(wants), strings.Join(warns, "\n"))
	}
}

func hasPrefixIn(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestWarningsFollowMatching shows warnings that follow the matcher's word
// rules (NFKC, ’ and ' alike, hyphen-joined forms, case-sensitive capitals,
// every script written without spaces), where a check of its own got each
// of these wrong.
func TestWarningsFollowMatching(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		wants []string // warnings, "" for none
	}{
		{"full-width alias names two companies",
			"[[companies]]\nname = \"Cainiao\"\n[[companies]]\nname = \"Alibaba\"\naliases = [\"ＣＡＩＮＩＡＯ\"]\n",
			[]string{`n.toml:5: companies[1].aliases[0]: "ＣＡＩＮＩＡＯ" also names company "Cainiao"`}},
		{"curly apostrophe repeats a term",
			"[[topics]]\nname = \"t\"\nterms = [\"People's Liberation Army\", \"People’s Liberation Army\"]\n",
			[]string{`n.toml:3: topics[0].terms[1]: "People’s Liberation Army" repeats topics[0].terms[0]`}},
		{"hyphenated term covers the joined form",
			"[[topics]]\nname = \"t\"\nterms = [\"e-commerce\", \"ecommerce fraud\"]\n",
			[]string{`n.toml:3: topics[0].terms[1]: "ecommerce fraud" is redundant: "e-commerce" (topics[0].terms[0])`}},
		{"Thai is written without spaces",
			"[[topics]]\nname = \"t\"\nterms = [\"ทหาร\", \"กองทหาร\"]\n",
			[]string{`n.toml:3: topics[0].terms[1]: "กองทหาร" is redundant: "ทหาร" (topics[0].terms[0])`}},
		{"capitals do not cover a term in any case",
			"[[topics]]\nname = \"t\"\nterms = [\"PLA\", \"PLA Navy\"]\n",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warns, err := parse("n.toml", []byte(tt.doc), true)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range warns {
				if strings.Contains(w, "companies[") || strings.Contains(w, "topics[") {
					got = append(got, w)
				}
			}
			if len(got) != len(tt.wants) {
				t.Fatalf("warnings = %q, want %q", got, tt.wants)
			}
			for i, w := range tt.wants {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("warning %q, want %q", got[i], w)
				}
			}
		})
	}
}

func TestExampleConfig(t *testing.T) {
	cfg, warns, err := Check(filepath.Join("..", "config.example.toml"))
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if len(warns) != 0 {
		t.Errorf("config.example.toml warnings:\n%s", strings.Join(warns, "\n"))
	}
	if cfg.SMTP != nil {
		t.Error("the example's [smtp] table should be commented out (file delivery)")
	}
	feeds, pages := 0, 0
	for _, s := range cfg.Sources {
		if s.Feed != "" {
			feeds++
		} else {
			pages++
		}
	}
	if feeds < 8 || pages < 1 {
		t.Errorf("example has %d feeds and %d pages, want ≥ 8 and ≥ 1", feeds, pages)
	}
	if len(cfg.Companies) < 3 || len(cfg.Topics) != 5 {
		t.Errorf("example has %d companies and %d topics, want ≥ 3 and 5", len(cfg.Companies), len(cfg.Topics))
	}
	alibaba := cfg.Companies[0]
	if alibaba.Name != "Alibaba" || !strings.Contains(strings.Join(alibaba.Aliases, "|"), "Cainiao|阿里巴巴") {
		t.Errorf("first company = %+v, want Alibaba with the example's aliases", alibaba)
	}
	d := cfg.Digests[0]
	if d.Name != "Morning brief" || d.Schedule != "0 7 * * *" || d.Location.String() != "Europe/Brussels" {
		t.Errorf("digest = %+v, want Morning brief at 0 7 * * * in Europe/Brussels", d)
	}
}

func TestPassword(t *testing.T) {
	env := map[string]string{"SET": "s3cret"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		smtp    *SMTP
		want    string
		wantErr bool
	}{
		{"no table", nil, "", false},
		{"no AUTH", &SMTP{}, "", false},
		{"set", &SMTP{PasswordEnv: "SET"}, "s3cret", false},
		{"unset", &SMTP{PasswordEnv: "UNSET"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.smtp.Password(getenv)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("Password() = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrPasswordUnset) || !strings.Contains(err.Error(), "UNSET") || !strings.Contains(err.Error(), "password_env") {
				t.Errorf("error %q should wrap ErrPasswordUnset and name the variable and the key", err)
			}
		})
	}
}

func TestPasswordEnvUnsetIsNotALoadError(t *testing.T) {
	doc := `[smtp]
host = "smtp.example.org"
username = "u"
password_env = "NEWSWATCH_TEST_SURELY_UNSET"
from = "n@example.org"
`
	cfg, err := Parse("n.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Port != 587 || cfg.SMTP.Security != "starttls" || cfg.SMTP.Timeout != 30*time.Second {
		t.Errorf("smtp defaults = %d %q %v, want 587 starttls 30s", cfg.SMTP.Port, cfg.SMTP.Security, cfg.SMTP.Timeout)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10MB", 10_000_000, true},
		{"512KB", 512_000, true},
		{"1GiB", 1 << 30, true},
		{"1.5 MiB", 1572864, true},
		{"2048", 2048, true},
		{"64kib", 65536, true},
		{"100B", 100, true},
		{"", 0, false},
		{"MB", 0, false},
		{"ten MB", 0, false},
		{"-1MB", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"inf", 0, false},
		{"99999999999GB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestRetainDefault(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want time.Duration
	}{
		{``, DefaultRetain},
		{`max_age = "24h"`, DefaultRetain},
		{`max_age = "2400h"`, 4800 * time.Hour}, // twice max_age when that is longer
		{"max_age = \"2400h\"\nretain = \"2500h\"", 2500 * time.Hour},
		{`retain = "0s"`, 0},
	} {
		cfg, err := Parse("n.toml", []byte(tt.doc))
		if err != nil {
			t.Fatalf("%q: %v", tt.doc, err)
		}
		if cfg.Retain != tt.want {
			t.Errorf("%q: Retain = %v, want %v", tt.doc, cfg.Retain, tt.want)
		}
	}
}

// TestPasswordEnvValueNotPrinted: a password pasted into password_env is
// refused without being repeated in the error (which ends up in logs).
func TestPasswordEnvValueNotPrinted(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "smtp_auth.toml"))
	if err == nil || !strings.Contains(err.Error(), "smtp.password_env") {
		t.Fatalf("err = %v, want password_env refused", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error repeats the value of password_env:\n%v", err)
	}
}

// TestSameListen: the console and /healthz clash only where one could
// not listen beside the other.
func TestSameListen(t *testing.T) {
	for _, tt := range []struct {
		top, web string
		clash    bool
	}{
		{"127.0.0.1:9090", "127.0.0.1:9090", true},
		{"127.0.0.1:9090", "localhost:9090", true},
		{"0.0.0.0:9090", "127.0.0.1:9090", true},
		{"127.0.0.1:9090", "[::]:9090", true},
		{":9090", "192.0.2.7:9090", true},
		{"127.0.0.1:9090", "127.0.0.1:8080", false},
		{"127.0.0.1:9090", "192.0.2.7:9090", false},
		{"127.0.0.1:9090", "127.0.0.2:9090", false},
		{"", "127.0.0.1:8080", false},
	} {
		doc := fmt.Sprintf("[web]\nlisten = %q\nauth_token_env = \"TOKEN\"\n", tt.web)
		if tt.top != "" {
			doc = fmt.Sprintf("listen = %q\n", tt.top) + doc
		}
		_, err := Parse(filepath.Join(t.TempDir(), "newswatch.toml"), []byte(doc))
		if got := err != nil && strings.Contains(err.Error(), "takes the port of the top-level listen"); got != tt.clash {
			t.Errorf("listen %q, web.listen %q: clash %v, want %v (%v)", tt.top, tt.web, got, tt.clash, err)
		}
	}
}

// TestReadErrorPermission: a file the user cannot read gets what to do,
// not only "permission denied".
func TestReadErrorPermission(t *testing.T) {
	err := readError("/etc/newswatch/newswatch.toml", &fs.PathError{Op: "open", Path: "/etc/newswatch/newswatch.toml", Err: fs.ErrPermission})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "chmod 0644 /etc/newswatch/newswatch.toml") ||
		!strings.Contains(err.Error(), "chmod 0640 /etc/newswatch/newswatch.toml") {
		t.Errorf("readError = %v, want the permission error and the chmod to run", err)
	}
	if err := readError("x.toml", io.ErrUnexpectedEOF); strings.Contains(err.Error(), "chmod") {
		t.Errorf("readError of another error = %v, want no chmod advice", err)
	}
}

// TestWarningSharedZone: a PostgreSQL database (daemons may share it)
// without a timezone for its digests gets a warning at database; with a
// timezone, or on SQLite, none.
func TestWarningSharedZone(t *testing.T) {
	const body = "[[sources]]\nname = \"a\"\nfeed = \"https://example.org/feed\"\n\n[[companies]]\nname = \"Alibaba\"\n\n[[topics]]\nname = \"Spying\"\nterms = [\"spy\"]\n\n[[digests]]\nname = \"Brief\"\nschedule = \"0 7 * * *\"\nto = [\"a@example.org\"]\n"
	for _, tt := range []struct {
		head string
		warn bool
	}{
		{"database = \"postgres://nw@db.example.org:5432/nw\"\n", true},
		{"database = \"postgres://nw@db.example.org:5432/nw\"\ntimezone = \"Europe/Berlin\"\n", false},
		{"database = \"nw.db\"\n", false},
	} {
		path := filepath.Join(t.TempDir(), "newswatch.toml")
		if err := os.WriteFile(path, []byte(tt.head+body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, warns, err := Check(path)
		if err != nil {
			t.Fatal(err)
		}
		got := hasPrefixIn(warns, path+`:1: database: PostgreSQL, which several daemons may share, and no timezone: digests[0] "Brief"`)
		if got != tt.warn {
			t.Errorf("%q: warning %v, want %v: %q", tt.head, got, tt.warn, warns)
		}
	}
}
