package config

import (
	"crypto/sha256"
	"encoding/hex"
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
// as written (names, not values), the rest with its secret parts as "***".
// For a chat service the secret parts are where that service's URL form
// carries its credentials (chatSecrets): a password always, a user name
// standing alone, the host or path segments of the services that put a
// token there, and every query value. For a webhook: user info, query
// values and path segments that look like tokens (16 characters or more,
// or 8 or more mixing letters and digits). A file: URL (a feed file) is a
// local path, no secret: it is shown as written. A value that is no URL
// at all is "***". It names the channel in logs, status and the outbox (its
// identity there is ChannelKey).
func MaskURL(raw string) string {
	masked, _ := maskURL(raw)
	return masked
}

// ChannelKey is the stable identity of a notify URL in the outbox: a hash
// of the URL as written (${VAR} references, not their values), so it does
// not change when the rules of MaskURL do, and holds no secret readable
// back. The same URL always has the same key; another URL another key.
func ChannelKey(raw string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(raw)))
	return channelKeyPrefix + hex.EncodeToString(sum[:16])
}

const channelKeyPrefix = "sha256:"

// MatchChannel finds the URL of notify whose channel is key: the one with
// that ChannelKey or, for a key recorded before channels had keys (the
// URL as MaskURL showed it then, with "***" for what it hid), the only URL
// that shows so now or whose literal parts fit around the "***"s. false
// when none does, or when an old key fits several.
func MatchChannel(notify []string, key string) (string, bool) {
	if strings.HasPrefix(key, channelKeyPrefix) {
		for _, raw := range notify {
			if ChannelKey(raw) == key {
				return raw, true
			}
		}
		return "", false
	}
	var found []string
	for _, raw := range notify {
		if MaskURL(raw) == key || fitsMasked(strings.TrimSpace(raw), key) {
			found = append(found, raw)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}

// fitsMasked reports whether raw is a URL that masked reads as, "***"
// standing for any text.
func fitsMasked(raw, masked string) bool {
	parts := strings.Split(masked, "***")
	if !strings.HasPrefix(raw, parts[0]) {
		return false
	}
	rest := raw[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(rest, p) && len(rest) >= len(p)
		}
		j := strings.Index(rest, p)
		if j < 0 {
			return false
		}
		rest = rest[j+len(p):]
	}
	return rest == ""
}

// SecretParts returns the literal parts of a notify URL that MaskURL
// hides, so that they can be taken out of a text that quotes them (a
// library's error).
func SecretParts(raw string) []string {
	_, secrets := maskURL(raw)
	return secrets
}

func maskURL(raw string) (string, []string) {
	if scheme, _, _ := strings.Cut(strings.TrimSpace(raw), ":"); strings.EqualFold(scheme, "file") {
		return raw, nil // a local path (a feed file), no secret
	}
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
		if both && name != "" && !isRef(name) && !IsWebhook(raw) && chatSecretsOf(u.Scheme).user {
			name = hide(name)
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
	chat := !IsWebhook(raw)
	at := chatSecretsOf(u.Scheme)
	host := u.Host
	if h := u.Hostname(); chat && h != "" && !isRef(h) && (at.host || at.hostAlone && u.User == nil) {
		host = strings.Replace(host, h, hide(h), 1)
	}
	b.WriteString(host)
	for i, seg := range strings.Split(u.EscapedPath(), "/")[1:] {
		b.WriteString("/")
		if seg != "" && !isRef(seg) && (!chat && tokenLike(seg) || chat && at.pathSecret(i)) {
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

// chatSecret says where a chat service's URL form carries its
// credentials, besides a password and a user name standing alone (always
// secret) and query values (always hidden).
type chatSecret struct {
	user      bool // the user name, even beside a password (teams://GROUP@TENANT/…)
	host      bool // the host (ifttt://KEY, pushover://:APPTOKEN@USERKEY)
	hostAlone bool // the host when the URL has no user info (slack://A/B/C)
	// path segments from index pathFrom on, up to pathTo (exclusive; 0:
	// the end), are tokens; pathFrom < 0: none.
	pathFrom, pathTo int
}

func (c chatSecret) pathSecret(i int) bool {
	return c.pathFrom >= 0 && i >= c.pathFrom && (c.pathTo == 0 || i < c.pathTo)
}

// chatSecrets are the URL forms of the shoutrrr services (its
// documentation, docs/services): where each one's token sits.
var chatSecrets = map[string]chatSecret{
	"bark":       {pathFrom: -1},                        // bark://:DEVICEKEY@host/path
	"discord":    {user: true, pathFrom: -1},            // discord://TOKEN@WEBHOOKID
	"generic":    {pathFrom: 0},                         // generic://host/path/WEBHOOKID?…
	"googlechat": {pathFrom: -1},                        // googlechat://chat.googleapis.com/v1/spaces/ID/messages?key=KEY&token=TOKEN
	"hangouts":   {pathFrom: -1},                        // as googlechat
	"gotify":     {pathFrom: 0},                         // gotify://host[:port][/path]/TOKEN
	"ifttt":      {host: true, pathFrom: -1},            // ifttt://KEY/?events=…
	"join":       {user: true, pathFrom: -1},            // join://shoutrrr:APIKEY@join/?devices=…
	"lark":       {pathFrom: 0},                         // lark://host/TOKEN?secret=SECRET
	"logger":     {pathFrom: -1},                        // logger://
	"matrix":     {pathFrom: -1},                        // matrix://user:PASSWORD@host or matrix://:TOKEN@host
	"mattermost": {pathFrom: 0, pathTo: 1},              // mattermost://[user@]host/TOKEN[/channel]
	"notifiarr":  {host: true, pathFrom: -1},            // notifiarr://APIKEY
	"ntfy":       {pathFrom: -1},                        // ntfy://[user:PASSWORD@]host/topic
	"opsgenie":   {pathFrom: 0},                         // opsgenie://host/APIKEY
	"pagerduty":  {pathFrom: 0},                         // pagerduty://host/INTEGRATIONKEY
	"pushbullet": {host: true, pathFrom: -1},            // pushbullet://TOKEN/target
	"pushover":   {host: true, pathFrom: -1},            // pushover://shoutrrr:APPTOKEN@USERKEY/
	"rocketchat": {pathFrom: 0, pathTo: 1},              // rocketchat://[user@]host/TOKEN[/channel]
	"signal":     {pathFrom: 0},                         // signal://[user:PASSWORD@]host/SOURCEPHONE/RECIPIENT…
	"slack":      {hostAlone: true, pathFrom: 0},        // slack://hook:TOKEN@webhook, slack://TOKEN@channel, slack://A/B/C
	"smtp":       {pathFrom: -1},                        // smtp://user:PASSWORD@host/?…
	"teams":      {user: true, host: true, pathFrom: 0}, // teams://GROUP@TENANT/ALTID/GROUPOWNER?host=…
	"telegram":   {pathFrom: -1},                        // telegram://BOTID:TOKEN@telegram?chats=…
	"wecom":      {host: true, pathFrom: 0},             // wecom://KEY
	"xmpp":       {pathFrom: -1},                        // xmpp://user:PASSWORD@host
	"zulip":      {pathFrom: -1},                        // zulip://bot@host:BOTKEY@host
}

// chatSecretsOf is where the service named by a scheme ("slack",
// "ntfy+https") carries its credentials; a service not listed has every
// path segment taken for a token.
func chatSecretsOf(scheme string) chatSecret {
	base, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	if c, ok := chatSecrets[base]; ok {
		return c
	}
	return chatSecret{pathFrom: 0}
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
