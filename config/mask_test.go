package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestMaskSecrets: a source URL's secrets leave an error however the
// error quotes the URL, and nothing else of the text changes.
func TestMaskSecrets(t *testing.T) {
	const feed = "http://user:hunter2@127.0.0.1:8999/fail/0123456789abcdef0123456789abcdef/rss?apikey=SEKRET&x=1"
	const masked = "http://user:***@127.0.0.1:8999/fail/***/rss?apikey=***&x=***"
	u, err := url.Parse(feed)
	if err != nil {
		t.Fatal(err)
	}
	// What net/http's client returns for it.
	clientErr := (&url.Error{Op: "Get", URL: strings.Replace(feed, ":hunter2@", ":***@", 1), Err: errors.New("EOF")}).Error()
	for _, tc := range []struct{ name, text, want string }{
		{"as written", `source "bad": fetch ` + feed + `: HTTP 500 Internal Server Error`,
			`source "bad": fetch ` + masked + `: HTTP 500 Internal Server Error`},
		{"net/http's form", `source "bad": fetch ` + clientErr,
			`source "bad": fetch Get "` + masked + `": EOF`},
		{"Redacted", "redirected to " + u.Redacted() + ": too many redirects",
			"redirected to " + masked + ": too many redirects"},
		{"parts alone", "bad key SEKRET for user hunter2 (token 0123456789abcdef0123456789abcdef), x=1",
			"bad key *** for user *** (token ***), x=1"},
		{"no URL", "dial tcp 127.0.0.1:8999: connection refused", "dial tcp 127.0.0.1:8999: connection refused"},
		{"masked already", "fetch " + masked + ": HTTP 500", "fetch " + masked + ": HTTP 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MaskSecrets(tc.text, feed)
			if got != tc.want {
				t.Errorf("MaskSecrets(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
			if again := MaskSecrets(got, feed); again != got {
				t.Errorf("masked twice: %q", again)
			}
		})
	}
	if got := (Source{Page: feed}).MaskSecrets("page " + feed); got != "page "+masked {
		t.Errorf("Source.MaskSecrets: %q", got)
	}
}

// TestMaskSecretsNested: a secret that holds a shorter one is masked
// whole, not as the shorter one's mask and a rest of itself.
func TestMaskSecretsNested(t *testing.T) {
	const feed = "http://user:hunter2@127.0.0.1:8999/rss?apikey=hunter2xyz"
	if got, want := MaskSecrets("bad key hunter2xyz for hunter2", feed), "bad key *** for ***"; got != want {
		t.Errorf("MaskSecrets = %q, want %q", got, want)
	}
}

// TestMaskSecretsHTTPClient: the error net/http's client gives for a
// source URL loses its secrets.
func TestMaskSecretsHTTPClient(t *testing.T) {
	const feed = "http://user:hunter2@127.0.0.1:1/feed?apikey=SEKRET"
	_, err := (&http.Client{}).Get(feed)
	if err == nil {
		t.Skip("something answers on 127.0.0.1:1")
	}
	got := MaskSecrets(err.Error(), feed)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "SEKRET") || !strings.Contains(got, "http://user:***@127.0.0.1:1/feed?apikey=***") {
		t.Errorf("masked: %q (from %q)", got, err)
	}
}

// TestMaskQuoted: MaskQuoted masks a URL where the text quotes it, in any
// form MaskSecrets knows (JSON, HTML and query escapes included; each
// shown as MaskURL shows the URL), and a
// secret part that looks like a token wherever it stands; a short plain
// word of the URL is left alone where it stands apart.
func TestMaskQuoted(t *testing.T) {
	const feed = "http://user:hunter2@example.org/rss?format=json&key=SEKRET123"
	masked := MaskURL(feed)
	for _, c := range []struct{ text, want string }{
		{`550 rejected: body quotes "` + feed + `"; invalid json body`, `550 rejected: body quotes "` + masked + `"; invalid json body`},
		{`{"source":"` + strings.ReplaceAll(feed, "&", `\u0026`) + `"}`, `{"source":"` + masked + `"}`},
		{`<a href="` + strings.ReplaceAll(feed, "&", "&amp;") + `">`, `<a href="` + masked + `">`},
		{"url=" + url.QueryEscape(feed), "url=" + masked},
		{"unknown api key SEKRET123 for json", "unknown api key *** for json"},
	} {
		if got := MaskQuoted(c.text, feed); got != c.want {
			t.Errorf("MaskQuoted(%s) =\n%s\nwant\n%s", c.text, got, c.want)
		}
	}
}

// TestMaskSecretsQuoted: a URL quoted with %q (its quotes escaped), as
// url.Parse and many libraries quote it in an error, is masked whole.
func TestMaskSecretsQuoted(t *testing.T) {
	const feed = `http://127.0.0.1:8999/rss?q="a b"&x=1&apikey=SEKRET`
	text := fmt.Sprintf("fetch %q: EOF", feed)
	want := fmt.Sprintf("fetch %q: EOF", MaskURL(feed))
	if got := MaskSecrets(text, feed); got != want {
		t.Errorf("MaskSecrets(%s)\n got %s\nwant %s", text, got, want)
	}
}
