package scraper

import (
	"errors"
	"net/url"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower-case scheme and host", "HTTPS://Example.COM/Path/Ä", "https://example.com/Path/%C3%84"},
		{"fragment dropped", "https://example.com/a#section-2", "https://example.com/a"},
		{"utm dropped", "https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"},
		{"utm case-insensitive", "https://example.com/a?UTM_Campaign=x&id=7", "https://example.com/a?id=7"},
		{"fbclid gclid mc dropped", "https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&b=2&a=1", "https://example.com/a?a=1&b=2"},
		{"query sorted", "https://example.com/a?z=1&b=2&a=3", "https://example.com/a?a=3&b=2&z=1"},
		{"same key sorted by value", "https://example.com/a?t=2&t=1", "https://example.com/a?t=1&t=2"},
		{"only tracking params", "https://example.com/a?utm_source=x", "https://example.com/a"},
		{"empty pairs dropped", "https://example.com/a?&&b=1&", "https://example.com/a?b=1"},
		{"query spaces and non-ASCII escaped", "https://example.com/a?q=a b&r=é", "https://example.com/a?q=a%20b&r=%C3%A9"},
		{"escaping kept", "https://example.com/a?q=a%26b&x=%20", "https://example.com/a?q=a%26b&x=%20"},
		{"default http port", "http://example.com:80/a", "https://example.com/a"},
		{"default https port", "https://example.com:443/a", "https://example.com/a"},
		{"other port kept", "https://example.com:8443/a", "https://example.com:8443/a"},
		{"http folded into https", "http://example.com/a", "https://example.com/a"},
		{"empty path", "https://example.com", "https://example.com/"},
		{"trailing dot in host", "https://example.com./a", "https://example.com/a"},
		{"trailing dots in host", "https://example.com../a", "https://example.com/a"},
		{"user info dropped", "https://user:pw@example.com/a", "https://example.com/a"},
		{"ipv6 host", "http://[2001:DB8::1]:80/a", "https://[2001:db8::1]/a"},
		{"surrounding space", "  https://example.com/a \n", "https://example.com/a"},
		{"trailing slash kept", "https://example.com/a/", "https://example.com/a/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeURL(tt.in)
			if err != nil {
				t.Fatalf("NormalizeURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeURLRejects(t *testing.T) {
	for _, in := range []string{"", "javascript:alert(1)", "data:text/html,x", "mailto:a@b", "ftp://example.com/x", "/relative", "http://", "http:opaque", "file:///etc/passwd", "http://..", "https://./a"} {
		t.Run(in, func(t *testing.T) {
			if got, err := NormalizeURL(in); err == nil {
				t.Errorf("NormalizeURL(%q) = %q, want an error", in, got)
			} else if in != "" && !errors.Is(err, ErrUnsafeURL) {
				var ue *url.Error
				if !errors.As(err, &ue) {
					t.Errorf("error %v is neither ErrUnsafeURL nor a parse error", err)
				}
			}
		})
	}
}

// TestFault13SameArticleOnce: the same article with tracking parameters, a
// fragment, another scheme or default port has one identity.
func TestFault13SameArticleOnce(t *testing.T) {
	variants := []string{
		"https://news.example/story?id=1",
		"http://news.example/story?id=1",
		"https://NEWS.example:443/story?id=1&utm_source=twitter",
		"http://news.example:80/story?fbclid=abc&id=1#top",
		"https://news.example/story?gclid=x&id=1&mc_cid=y",
	}
	want, _ := NormalizeURL(variants[0])
	for _, v := range variants {
		if got, err := NormalizeURL(v); err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
}

func TestResolveLink(t *testing.T) {
	base, _ := url.Parse("https://final.example/feeds/rss.xml")
	tests := []struct{ in, want string }{
		{"/a", "https://final.example/a"},
		{"b", "https://final.example/feeds/b"},
		{"//other.example/c", "https://other.example/c"},
		{"HTTP://x.example/d", "http://x.example/d"},
		{"javascript:alert(1)", ""},
		{"JaVaScRiPt:alert(1)", ""},
		{"data:text/html;base64,PHNjcmlwdD4=", ""},
		{"mailto:a@b.example", ""},
		{"  https://x.example/\ne  ", "https://x.example/e"},
		{"", ""},
		{"http://[::1", ""},
		{"http:///etc/passwd", ""},
		{"https:/path-only", ""},
	}
	for _, tt := range tests {
		if got := resolveLink(base, tt.in); got != tt.want {
			t.Errorf("resolveLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?utm_source=x&b=2&a=1#f",
		"http://EXAMPLE.com:80",
		"http://[::1]:8080/%2F?%zz",
		"https://a.example/%e2%82%ac?q=%41",
		"http://user@host/p;x?y",
		"https://h/?a=1&a=0&&",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeURL(s)
		if err != nil {
			return
		}
		again, err := NormalizeURL(got)
		if err != nil {
			t.Fatalf("NormalizeURL(%q) = %q, which does not normalise: %v", s, got, err)
		}
		if again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Fragment != "" {
			t.Fatalf("NormalizeURL(%q) = %q: not an absolute https URL without fragment", s, got)
		}
	})
}

// A stray '%' in a published link (a headline's "4%") is kept, escaped, as
// a browser does, rather than the link dropped as an invalid escape.
func TestStrayPercentKept(t *testing.T) {
	const link = "https://news.example/huawei-shares-rises-4%-despite-us-ban"
	const want = "https://news.example/huawei-shares-rises-4%25-despite-us-ban"
	if got := resolveLink(nil, link); got != want {
		t.Errorf("resolveLink(%q) = %q, want %q", link, got, want)
	}
	got, err := NormalizeURL(link)
	if err != nil || got != want {
		t.Errorf("NormalizeURL(%q) = %q, %v; want %q", link, got, err, want)
	}
	if again, err := NormalizeURL(want); err != nil || again != want {
		t.Errorf("NormalizeURL(%q) = %q, %v; want it unchanged", want, again, err)
	}
	// Valid escapes stay as they are.
	if got := resolveLink(nil, "https://news.example/caf%C3%A9?q=%41"); got != "https://news.example/caf%C3%A9?q=%41" {
		t.Errorf("a valid escape changed: %q", got)
	}
}

// A query keeps its bytes as published: they are part of the identity.
func TestStrayPercentQueryKept(t *testing.T) {
	if got, err := NormalizeURL("https://news.example/a-4%-b?q=%zz"); err != nil || got != "https://news.example/a-4%25-b?q=%zz" {
		t.Errorf("got %q, %v", got, err)
	}
}

// TestPublicLink: an item's link loses the credentials it inherited from
// its source's URL; the rest stays as it was.
func TestPublicLink(t *testing.T) {
	base, _ := url.Parse("https://user:hunter2@news.example/feed")
	for _, tt := range []struct{ raw, want string }{
		{"/a?x=1", "https://news.example/a?x=1"},
		{"https://other.example/b", "https://other.example/b"},
		{"https://me:pw@other.example/c", "https://other.example/c"},
		{"https://other.example/at@sign", "https://other.example/at@sign"},
	} {
		if got := publicLink(resolveLink(base, tt.raw)); got != tt.want {
			t.Errorf("publicLink(resolveLink(%q)) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}
