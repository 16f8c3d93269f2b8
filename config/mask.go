package config

import (
	"cmp"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// minSecret is the shortest secret part MaskSecrets takes out of a text
// wherever it stands. A shorter one (a query's "1", an "en") is as likely
// an ordinary part of the text, which replacing it everywhere would
// garble ("x=1" turned every "1" of "127.0.0.1" into "***"), and a value
// that short is no secret worth the name: guessed in a few thousand
// tries. The URL it belongs to is still masked whole wherever it is
// quoted.
const minSecret = 4

// MaskSecrets returns text (an error, a log message) with the secrets of
// urls, source or notify URLs, hidden as MaskURL hides them: every place
// text quotes one of the URLs, as written or in a form Go prints it in
// (url.URL's String and Redacted, net/http's with the password as "***",
// each also as %q escapes it), shows MaskURL's form instead; then each
// secret part left elsewhere (a library that quotes the password or a
// query value alone) becomes "***" when it is at least minSecret bytes
// long. Masking a text twice changes nothing more.
func MaskSecrets(text string, urls ...string) string { return maskWith(text, longEnough, urls) }

// MaskQuoted returns text with every place it quotes one of urls, in the
// forms MaskSecrets knows, shown as MaskURL shows it, and with those of
// the URLs' secret parts that look like tokens (wordless) hidden
// wherever they stand; unlike MaskSecrets it leaves a short plain word of
// a URL ("json" of "format=json") alone. For texts that may quote a URL
// but have no reason to quote its ordinary parts, such as a mail server's
// or webhook's answer naming a source: there such a word is as likely a
// word of the answer.
func MaskQuoted(text string, urls ...string) string { return maskWith(text, wordless, urls) }

// maskWith masks text with each of urls (urlMask.apply), the secret
// parts standing alone that hide accepts included.
func maskWith(text string, hide func(string) bool, urls []string) string {
	for _, raw := range urls {
		if text == "" {
			break
		}
		if m, ok := newURLMask(raw); ok {
			text = m.apply(text, hide)
		}
	}
	return text
}

// longEnough reports whether a secret part is long enough to be masked
// wherever it stands (minSecret).
func longEnough(s string) bool { return len(s) >= minSecret }

// wordless reports whether a secret part of a URL looks like a token or
// a password rather than a word: 8 bytes or longer, or letters and digits
// mixed, and at least minSecret bytes.
func wordless(s string) bool {
	if len(s) < minSecret {
		return false
	}
	if len(s) >= 8 {
		return true
	}
	letter := strings.IndexFunc(s, unicode.IsLetter) >= 0
	digit := strings.IndexFunc(s, unicode.IsDigit) >= 0
	return letter && digit
}

// urlMask is masking with one URL, worked out once: the URL as MaskURL
// shows it, the forms a text may quote it in (urlForms), its secret parts
// (longest first), and a part every form holds (its host name, when
// escaping leaves it as it is) so that a text quoting none is skipped
// cheaply.
type urlMask struct {
	masked         string
	forms, secrets []string
	needle         string
}

// newURLMask works out masking with raw; false when raw has no secret.
func newURLMask(raw string) (urlMask, bool) {
	if raw == "" {
		return urlMask{}, false
	}
	masked, secrets := maskURL(raw)
	if len(secrets) == 0 {
		return urlMask{}, false
	}
	longestFirst(secrets)
	m := urlMask{masked: masked, forms: urlForms(raw), secrets: secrets}
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && plainHost(u.Hostname()) && !strings.Contains(raw, "${") {
		m.needle = u.Hostname()
	}
	return m, true
}

// plainHost reports whether host is letters, digits, dots and hyphens:
// the same in every form urlForms makes.
func plainHost(host string) bool {
	return host != "" && strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == ""
}

// apply returns text with every form of the URL it quotes shown masked,
// then each secret part hide accepts replaced wherever it stands.
func (m urlMask) apply(text string, hide func(string) bool) string {
	if m.needle == "" || strings.Contains(text, m.needle) {
		for _, form := range m.forms {
			text = strings.ReplaceAll(text, form, m.masked)
		}
	}
	for _, s := range m.secrets {
		if hide(s) {
			text = strings.ReplaceAll(text, s, "***")
		}
	}
	return text
}

// MaskSecrets returns text with the secrets of the source's feed or page
// URL hidden (the package's MaskSecrets): how every error naming a source
// is shown and stored.
func (s Source) MaskSecrets(text string) string {
	return MaskSecrets(text, s.Feed, s.Page)
}

// urlForms are the ways a text may quote raw, longest first: as written,
// and as Go's url and net/http packages print it once parsed.
func urlForms(raw string) []string {
	trimmed := strings.TrimSpace(raw)
	forms := []string{raw, trimmed}
	if u, err := url.Parse(trimmed); err == nil {
		forms = append(forms, u.String(), u.Redacted())
		if _, ok := u.User.Password(); ok {
			// net/http's errors (url.Error from a Client) show it so.
			forms = append(forms, strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1))
		}
	}
	// Each also as a text quotes it: Go's %q, JSON (encoding/json's
	// escapes, and "\/" as other encoders write it), HTML, a query value.
	for _, f := range slices.Clone(forms) {
		q := strconv.Quote(f)
		j := jsonEscapes.Replace(f)
		forms = append(forms, q[1:len(q)-1], j, strings.ReplaceAll(j, "/", `\/`), html.EscapeString(f), url.QueryEscape(f))
	}
	longestFirst(forms)
	return slices.DeleteFunc(slices.Compact(forms), func(f string) bool { return f == "" })
}

// jsonEscapes are the characters of a URL encoding/json escapes.
var jsonEscapes = strings.NewReplacer("&", `\u0026`, "<", `\u003c`, ">", `\u003e`)

// longestFirst sorts list by length, longest first (so that a part that
// holds another is replaced whole), equal ones side by side.
func longestFirst(list []string) {
	slices.SortFunc(list, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
}

// DeliveryMask returns how cfg shows an error recorded for a delivery, a
// digest's mail or one of its channels (the digest's footer, status,
// /healthz): with the secrets of every URL cfg names masked, paused ones
// included, since a mail server or a webhook's answer may quote any of
// them and the footer goes to every reader. Each digest's notify URLs
// are masked with their parts wherever they stand (MaskSecrets: a
// chat library may quote a token alone); a source's feed and page where
// the error quotes them (MaskQuoted), so that a part of them
// ("true" of "full=true") does not hide the same word in the answer.
// Masking a masked error again changes nothing.
func DeliveryMask(cfg *Config) func(text string) string {
	var sources, notify []urlMask // worked out once for every text
	for _, s := range append(slices.Clone(cfg.Sources), cfg.PausedSources...) {
		for _, raw := range []string{s.Feed, s.Page} {
			if m, ok := newURLMask(raw); ok {
				sources = append(sources, m)
			}
		}
	}
	for _, d := range append(slices.Clone(cfg.Digests), cfg.PausedDigests...) {
		for _, raw := range d.Notify {
			if m, ok := newURLMask(raw); ok {
				notify = append(notify, m)
			}
		}
	}
	return func(text string) string {
		for _, m := range sources {
			text = m.apply(text, wordless)
		}
		for _, m := range notify {
			text = m.apply(text, longEnough)
		}
		return text
	}
}
