package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
)

// A digest's notify URLs are its channels besides mail. An http or https
// URL is a webhook (a JSON document POSTed to it); any other scheme names a
// chat or push service of the shoutrrr library (slack, matrix, teams,
// discord, telegram, ntfy, …). ${VAR} in a URL is replaced by the
// variable's value when the digest is sent, so tokens stay in the
// environment: the database, logs and status only ever hold the URL as
// MaskURL shows it.

// ErrSecretUnset is returned (wrapped) by Digest.WebhookSecret when the
// variable named by webhook_secret_env is unset or empty.
var ErrSecretUnset = errors.New("webhook secret variable is not set")

// varRE matches a ${VAR} reference.
var varRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// IsWebhook reports whether a notify URL is a webhook (http or https)
// rather than a chat service.
func IsWebhook(raw string) bool {
	scheme, _, _ := strings.Cut(raw, ":")
	scheme = strings.ToLower(scheme)
	return scheme == "http" || scheme == "https"
}

// NotifyVars returns the names of the variables a notify URL refers to,
// in order, each once.
func NotifyVars(raw string) []string {
	var out []string
	for _, m := range varRE.FindAllStringSubmatch(raw, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// WebhookSecret returns the value of the variable named by
// webhook_secret_env, looked up with getenv: "" and no error when the key
// is not set (webhooks unsigned), an error wrapping ErrSecretUnset when
// its variable is unset or empty.
func (d Digest) WebhookSecret(getenv func(string) string) (string, error) {
	if d.WebhookSecretEnv == "" {
		return "", nil
	}
	if v := getenv(d.WebhookSecretEnv); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("digest %q: webhook_secret_env names %s, which is unset or empty: export %s=<secret> before sending, or remove webhook_secret_env to send unsigned webhooks: %w",
		d.Name, d.WebhookSecretEnv, d.WebhookSecretEnv, ErrSecretUnset)
}

// MaskURL is a notify URL as it may be shown and stored: ${VAR} references
// as written (names, not values), while literal user info, query values,
// path segments that look like tokens (16 characters or more, or 8 or more
// mixing letters and digits) and, for a chat service, a host that is a
// token (tokenHost: ifttt://KEY, pushbullet://TOKEN)
// become "***"; a value that is no URL at all is "***". It is also the
// channel's name in the outbox.
func MaskURL(raw string) string {
	masked, _ := maskURL(raw)
	return masked
}

// SecretParts returns the literal parts of a notify URL that MaskURL
// hides, so that they can be taken out of a text that quotes them (a
// library's error).
func SecretParts(raw string) []string {
	_, secrets := maskURL(raw)
	return secrets
}

func maskURL(raw string) (string, []string) {
	var secrets []string
	hide := func(s string) string {
		// As written, and as a library may quote it.
		secrets = append(secrets, s, url.PathEscape(s), url.QueryEscape(s))
		if u, err := url.PathUnescape(s); err == nil {
			secrets = append(secrets, u)
		}
		return "***"
	}
	// Swap the references for plain placeholders so the URL parses, mask
	// what is literal, then put the references back.
	refs := varRE.FindAllString(raw, -1)
	i := 0
	plain := varRE.ReplaceAllStringFunc(raw, func(string) string {
		i++
		return fmt.Sprintf("nwvar%dnwvar", i-1)
	})
	restore := func(s string) string {
		for j := len(refs) - 1; j >= 0; j-- {
			s = strings.ReplaceAll(s, fmt.Sprintf("nwvar%dnwvar", j), refs[j])
		}
		return s
	}
	isRef := func(s string) bool { return s != "" && strings.Trim(varPlaceholder.ReplaceAllString(s, ""), "/") == "" }
	u, err := url.Parse(plain)
	if err != nil || u.Opaque != "" || u.Scheme == "" || !strings.Contains(raw, "://") {
		return "***", []string{raw}
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		// A user name beside a password is no secret; a user part alone
		// (slack://TOKEN@channel) usually is.
		name, pass, both := u.User.Username(), "", false
		if p, ok := u.User.Password(); ok {
			pass, both = p, true
		}
		switch {
		case both && !isRef(pass):
			b.WriteString(name + ":" + hide(pass) + "@")
		case both:
			b.WriteString(name + ":" + pass + "@")
		case isRef(name):
			b.WriteString(name + "@")
		default:
			b.WriteString(hide(name) + "@")
		}
	}
	host := u.Host
	if h := u.Hostname(); !IsWebhook(raw) && !isRef(h) && tokenHost(h) {
		host = strings.Replace(host, h, hide(h), 1)
	}
	b.WriteString(host)
	chat := !IsWebhook(raw)
	for _, seg := range strings.Split(u.EscapedPath(), "/")[1:] {
		b.WriteString("/")
		if !isRef(seg) && (tokenLike(seg) || chat && chatToken(seg)) {
			seg = hide(seg)
		}
		b.WriteString(seg)
	}
	if u.RawQuery != "" {
		q := u.Query()
		var parts []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range q {
				if !yield(k) {
					return
				}
			}
		}) {
			for _, v := range q[k] {
				if !isRef(v) {
					v = hide(v)
				}
				parts = append(parts, url.QueryEscape(k)+"="+v)
			}
		}
		b.WriteString("?" + strings.Join(parts, "&"))
	}
	for i, s := range secrets {
		secrets[i] = restore(s)
	}
	return restore(b.String()), secrets
}

var varPlaceholder = regexp.MustCompile(`nwvar\d+nwvar`)

// tokenHost reports whether a chat URL's host is a token rather than a
// server name: one or two labels (KEY, o.TOKEN), one of 16 characters or
// more.
func tokenHost(h string) bool {
	labels := strings.Split(h, ".")
	return len(labels) <= 2 && slices.ContainsFunc(labels, func(l string) bool { return len(l) >= 16 })
}

// tokenLike reports whether a path segment looks like a secret token.
func tokenLike(seg string) bool {
	if len(seg) >= 16 {
		return true
	}
	letters := strings.IndexFunc(seg, unicode.IsLetter) >= 0
	digits := strings.IndexFunc(seg, unicode.IsDigit) >= 0
	return len(seg) >= 8 && letters && digits
}

// chatToken reports whether a chat URL's path segment may be a token made
// of letters only (a Gotify token is 15 random letters and digits, often
// letters alone): 12 letters or digits and more, or 8 and more in mixed
// case. A chat URL's path holds credentials more often than names.
func chatToken(seg string) bool {
	if len(seg) < 8 || strings.IndexFunc(seg, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
		return false
	}
	return len(seg) >= 12 || strings.IndexFunc(seg, unicode.IsUpper) >= 0 && strings.IndexFunc(seg, unicode.IsLower) >= 0
}

// notify checks a digest's notify URLs and webhook_secret_env.
func (c *checker) notify(k string, d Digest) {
	masked := map[string]int{}
	webhooks := false
	for j, raw := range d.Notify {
		key := indexPath(k+".notify", j)
		webhooks = webhooks || IsWebhook(raw)
		if !c.notifyURL(key, raw) {
			continue
		}
		m := MaskURL(raw)
		if o, ok := masked[m]; ok {
			c.errorf(key, "is the same channel as %s once its secret parts are hidden (%s): put what differs in a ${VAR}", indexPath(k+".notify", o), m)
			continue
		}
		masked[m] = j
	}
	switch {
	case d.WebhookSecretEnv != "" && !envNameRE.MatchString(d.WebhookSecretEnv):
		// The value is not repeated: it may well be the secret itself.
		c.errorf(k+".webhook_secret_env", "is not an environment variable name (letters, digits and _): put the name of the variable that holds the secret here, never the secret (the value is not shown)")
	case d.WebhookSecretEnv != "" && !webhooks:
		c.warnf(k+".webhook_secret_env", "signs webhook bodies, but notify names no http(s) webhook")
	}
}

// notifyURL checks one notify URL; false when it is refused.
func (c *checker) notifyURL(key, raw string) bool {
	for _, name := range NotifyVars(raw) {
		if !envNameRE.MatchString(name) {
			c.errorf(key, "${%s} is not an environment variable name (letters, digits and _)", name)
			return false
		}
	}
	// Any value will do to check the shape: the real ones are read at
	// send time.
	u, err := url.Parse(varRE.ReplaceAllString(strings.TrimSpace(raw), "x"))
	if err != nil {
		c.errorf(key, "is not a URL: %s", MaskURL(raw))
		return false
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "":
		c.errorf(key, "%s has no scheme: use https://… for a webhook, or a chat service URL such as slack://… or ntfy://…", MaskURL(raw))
		return false
	case scheme == "http" || scheme == "https":
		if u.Host == "" {
			c.errorf(key, "webhook URL %s has no host", MaskURL(raw))
			return false
		}
	default:
		base, _, _ := strings.Cut(scheme, "+")
		if _, err := (&router.ServiceRouter{}).NewService(base); err != nil {
			services := (&router.ServiceRouter{}).ListServices()
			slices.Sort(services)
			c.errorf(key, "unknown service %q%s: use http(s):// for a webhook, or one of %s", u.Scheme,
				closest(base, services), strings.Join(services, ", "))
			return false
		}
		if len(NotifyVars(raw)) == 0 {
			// Nothing left to the environment: the service can judge
			// the URL now.
			if err := CheckService(raw); err != nil {
				c.errorf(key, "%v", err)
				return false
			}
		}
	}
	return true
}

// CheckService asks the chat service named by a notify URL, its variables
// expanded, whether it takes the URL (a token of the right form, the
// parameters it knows), sending nothing. The error names the URL masked
// and repeats nothing of it. Matrix is not asked: it logs in to its server
// as it reads the URL.
func CheckService(expanded string) (err error) {
	u, perr := url.Parse(expanded)
	if perr != nil || IsWebhook(expanded) || strings.Contains(u.Scheme, "+") || strings.EqualFold(u.Scheme, "matrix") {
		return nil
	}
	svc, nerr := (&router.ServiceRouter{}).NewService(u.Scheme)
	if nerr != nil {
		return nil
	}
	defer func() {
		// A service that cannot make sense of the URL may panic on it.
		if recover() != nil {
			err = fmt.Errorf("the %s service cannot read %s", u.Scheme, MaskURL(expanded))
		}
	}()
	if ierr := svc.Initialize(u, nil); ierr != nil {
		why := ierr.Error()
		for _, part := range []string{expanded, u.User.String(), u.Host, u.Path} {
			if len(part) >= 4 {
				why = strings.ReplaceAll(why, part, "…")
			}
		}
		return fmt.Errorf("the %s service refuses %s: %s", u.Scheme, MaskURL(expanded), why)
	}
	return nil
}

// ExpandURL replaces the ${VAR} references of a notify URL with the values
// getenv gives; an error names the variables that are unset or empty (never
// a value).
func ExpandURL(raw string, getenv func(string) string) (string, error) {
	var unset []string
	out := varRE.ReplaceAllStringFunc(raw, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v := getenv(name)
		if v == "" && !slices.Contains(unset, name) {
			unset = append(unset, name)
		}
		return v
	})
	if len(unset) > 0 {
		what := "variable " + unset[0] + " is"
		if len(unset) > 1 {
			what = "variables " + strings.Join(unset, ", ") + " are"
		}
		return "", fmt.Errorf("%s: %s unset or empty: export %s before sending", MaskURL(raw), what, strings.Join(unset, ", "))
	}
	return out, nil
}
