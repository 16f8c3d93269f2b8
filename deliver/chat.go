package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/slack"
	"github.com/nicholas-fedor/shoutrrr/pkg/util/jsonclient"

	"newswatch/config"
	"newswatch/model"
	"newswatch/store"
)

// Chat sends outbox messages as text to a chat or push service (Slack,
// Matrix, Teams, Discord, Telegram, ntfy, …) through the shoutrrr library.
//
// URL may hold ${VAR} references, expanded from the environment at each
// send and never kept; errors name the URL masked (config.MaskURL) and
// have the expanded values and any URL the library quotes taken out.
type Chat struct {
	URL string
	// Render is the message's text in at most limit bytes.
	Render func(m model.Message, limit int) (string, error)
	// Limit is the service's message size, in bytes.
	Limit int
	// Getenv looks up ${VAR}; nil: os.Getenv.
	Getenv func(string) string
	// Timeout bounds each request, its answer included; 0: ChatTimeout.
	Timeout time.Duration
}

// Send renders m and sends it. A service answer of 5xx, 408 or 429, or a
// connection failure, is a temporary *SendError; no answer within the
// timeout to a request that was sent is an unknown outcome (the service
// may have taken the message: SendError.Unknown); another 4xx, a redirect
// (never followed), a URL the service refuses or a message that cannot be
// rendered is permanent. A 2xx whose answer is too large to read is
// success: the service took the message.
func (c *Chat) Send(ctx context.Context, m model.Message) error {
	name := config.MaskURL(c.URL)
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	target, err := config.ExpandURL(c.URL, getenv)
	if err != nil {
		// The variable may yet be set where the daemon runs.
		return &SendError{Temporary: true, Err: err}
	}
	text, err := c.Render(m, c.Limit)
	if err != nil {
		return &SendError{Err: fmt.Errorf("%s: %w", name, err)}
	}
	redact := redactor(c.URL, target, getenv)
	svc, err := (&router.ServiceRouter{}).Locate(target)
	if err != nil {
		return &SendError{Err: fmt.Errorf("%s: %s", name, redact(err.Error()))}
	}
	e := &exchange{timeout: c.Timeout}
	if e.timeout <= 0 {
		e.timeout = ChatTimeout
	}
	boundService(svc, e)
	// The library takes no context: its requests are bounded by the
	// transport, and a send cut short here is judged by what it saw.
	done := make(chan error, 1)
	chatSends.Add(1)
	go func() {
		defer chatSends.Done()
		chatMu.Lock()
		defer chatMu.Unlock()
		// Judged once the turn came: a send whose context ended while it
		// waited has returned (its delivery recorded as a retry) and must
		// not go out now; nor one whose lease on the delivery (ctx of a
		// store Hold) is no longer this sender's.
		if err := ctx.Err(); err != nil {
			done <- err
			return
		}
		if err := store.CheckHeld(ctx); err != nil {
			done <- err
			return
		}
		current.Store(e)
		defer current.Store(nil)
		done <- svc.Send(text, nil)
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if errors.Is(err, store.ErrLeaseLost) {
		return &SendError{Temporary: true, Err: fmt.Errorf("%s: not sent: %w", name, err)}
	}
	wrote, status, large := e.seen()
	switch {
	case status >= 300 && status < 400:
		// Some services take any answer below 400 for success.
		return &SendError{Code: status, Err: fmt.Errorf("%s: answered %d: redirects are not followed, configure the URL the service ends at", name, status)}
	case err == nil, large && status >= 200 && status < 300:
		return nil
	case wrote && status == 0:
		return &SendError{Temporary: true, Unknown: true,
			Err: fmt.Errorf("%s: no answer within %v to the message sent (it may have arrived): %s", name, e.timeout, redact(err.Error()))}
	}
	code := statusCode(err)
	if code == 0 && status >= 400 {
		code = status // the answer the transport saw, when the error names none
	}
	return &SendError{
		Temporary: code == 0 || code == 408 || code == 429 || code >= 500,
		Code:      code,
		Err:       fmt.Errorf("%s: %s", name, redact(err.Error())),
	}
}

var (
	// urlRE finds the URLs a library error quotes, tokens and all.
	urlRE = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"']+`)
	// statusRE finds an HTTP status line in an error ("410 Gone").
	statusRE = regexp.MustCompile(`\b([1-5][0-9][0-9]) [A-Z][a-z]`)
	// slackWordRE matches Slack's error code words.
	slackWordRE = regexp.MustCompile(`^[a-z][a-z_]*$`)
	// ntfyCodeRE finds ntfy's five-digit error code, whose first three
	// digits are the HTTP status ("(42901)").
	ntfyCodeRE = regexp.MustCompile(`\(([1-5][0-9][0-9])[0-9][0-9]\)`)
)

// statusCode is the HTTP status a service answered with, 0 when the error
// names none.
func statusCode(err error) int {
	var je jsonclient.Error
	if errors.As(err, &je) && je.StatusCode > 0 {
		return je.StatusCode
	}
	if errors.Is(err, slack.ErrWebhookResponseFailure) {
		// Slack's webhook answers its refusals with a code word in the
		// body ("channel_is_archived", "invalid_token") and the library
		// keeps only the word: all of them are for good but rate_limited.
		// A body that is no code word came from something in the way.
		word := err.Error()[strings.LastIndex(err.Error(), ": ")+2:]
		switch {
		case word == "rate_limited":
			return http.StatusTooManyRequests
		case slackWordRE.MatchString(word):
			return http.StatusBadRequest
		}
		return 0
	}
	for _, re := range []*regexp.Regexp{statusRE, ntfyCodeRE} {
		if m := re.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// redactor returns a function that takes the values of raw's variables
// and every URL (shown by scheme and host) out of a text.
func redactor(raw, expanded string, getenv func(string) string) func(string) string {
	var secrets []string
	for _, name := range config.NotifyVars(raw) {
		if v := getenv(name); len(v) >= 4 {
			secrets = append(secrets, v, url.PathEscape(v), url.QueryEscape(v))
		}
	}
	// Whatever MaskURL hides of the URL as sent (a token in the path or
	// the host, user info, query values).
	for _, s := range config.SecretParts(expanded) {
		if len(s) >= 4 {
			secrets = append(secrets, s)
		}
	}
	// Longest first: a secret that holds another goes whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return func(s string) string {
		s = urlRE.ReplaceAllStringFunc(s, func(found string) string {
			if u, err := url.Parse(found); err == nil && u.Host != "" {
				return u.Scheme + "://" + u.Host + "/…"
			}
			return "…"
		})
		for _, v := range secrets {
			if v != "" {
				s = strings.ReplaceAll(s, v, "***")
			}
		}
		return s
	}
}
