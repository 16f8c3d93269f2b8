package deliver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"newswatch/config"
	"newswatch/model"
	"newswatch/store"
)

// SignatureHeader carries a webhook body's HMAC-SHA256 under the secret,
// as "sha256=" and the lower-case hex digest, so the receiver can check the
// body came from this sender unchanged.
const SignatureHeader = "X-Newswatch-Signature"

// TimestampHeader carries the time of the try, in Unix seconds, and
// TimedSignatureHeader the HMAC-SHA256 of that timestamp, a dot and the
// body ([SignTimed]): a receiver that checks it and refuses an old
// timestamp cannot be replayed a captured request later.
const (
	TimestampHeader      = "X-Newswatch-Timestamp"
	TimedSignatureHeader = "X-Newswatch-Signature-Timed"
)

// Webhook posts JSON documents to one http(s) URL.
//
// URL may hold ${VAR} references, expanded from the environment at each
// send and never kept: errors name the URL masked (config.MaskURL), so no
// token is printed.
type Webhook struct {
	URL string
	// Secret returns the signing secret; nil or "" sends no signature.
	Secret func() (string, error)
	// Client sends the request; nil: a client with DefaultTimeout.
	Client *http.Client
	// Getenv looks up ${VAR}; nil: os.Getenv.
	Getenv func(string) string
	// UserAgent is the User-Agent header ([http] user_agent); "": Go's.
	UserAgent string
	// Now is the clock of the signature's timestamp and of Retry-After
	// dates; nil: time.Now.
	Now func() time.Time
}

func (w *Webhook) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Post sends body with Content-Type application/json, Idempotency-Key key
// (the same on every try of one delivery, so the receiver can drop a
// repeat) and, with a secret, the signature header.
//
// A 2xx answer is success (nil). The error is a *SendError: temporary for
// 5xx, 408, 429 (with RetryAfter from a Retry-After header), timeouts,
// connection failures and an unset variable; permanent for other 4xx, a
// redirect (never followed) and anything else.
func (w *Webhook) Post(ctx context.Context, key string, body []byte) error {
	fail := func(temporary bool, code int, format string, args ...any) *SendError {
		return &SendError{Temporary: temporary, Code: code,
			Err: fmt.Errorf("webhook %s: "+format, append([]any{config.MaskURL(w.URL)}, args...)...)}
	}
	getenv := w.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	target, err := config.ExpandURL(w.URL, getenv)
	if err != nil {
		// The variable may yet be set where the daemon runs: retried, as
		// an unset SMTP password is.
		return &SendError{Temporary: true, Err: fmt.Errorf("webhook %w", err)}
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(false, 0, "not an http(s) URL once its variables are expanded")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fail(false, 0, "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if w.UserAgent != "" {
		req.Header.Set("User-Agent", w.UserAgent)
	}
	if w.Secret != nil {
		secret, err := w.Secret()
		if err != nil {
			return fail(true, 0, "signing secret: %v", err)
		}
		if secret != "" {
			ts := strconv.FormatInt(w.now().Unix(), 10)
			req.Header.Set(SignatureHeader, Sign(secret, body))
			req.Header.Set(TimestampHeader, ts)
			req.Header.Set(TimedSignatureHeader, SignTimed(secret, ts, body))
		}
	}
	client := &http.Client{Timeout: DefaultTimeout}
	if w.Client != nil {
		client = new(http.Client)
		*client = *w.Client
	}
	if client.Transport == nil {
		client.Transport = pristine // not the chat library's (chathttp.go)
	}
	// A redirect is not followed: the signed body would go wherever the
	// receiver points (another host, a private address, plain http).
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(w httptrace.WroteRequestInfo) { wrote.Store(w.Err == nil) },
	}))
	// Posted only while a lease held on the delivery (ctx of a store
	// Hold) is still this sender's: one that stalled past it leaves the
	// post to the new holder.
	if err := store.CheckHeld(ctx); err != nil {
		return fail(true, 0, "not posted: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the expanded URL, secrets and all: keep its
		// cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		se := fail(true, 0, "%v", err)
		// Sent whole and no answer: the receiver may have it.
		se.Unknown = wrote.Load()
		return se
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code >= 300 && code < 400:
		return fail(false, code, "%s: redirects are not followed, configure the URL the webhook ends at", resp.Status)
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		se := fail(true, code, "%s", resp.Status)
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), w.now())
		return se
	default:
		return fail(false, code, "%s", resp.Status)
	}
}

// Sign returns the signature header value of body under secret:
// "sha256=" and the hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// SignTimed returns the timed signature header value: "sha256=" and the
// hex HMAC-SHA256 of timestamp, ".", and body under secret.
func SignTimed(secret, timestamp string, body []byte) string {
	return Sign(secret, append([]byte(timestamp+"."), body...))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// NewWebhookSender is a [Sender] posting, for each outbox message, the
// document doc builds from it, with the message's Message-ID as the
// Idempotency-Key.
func NewWebhookSender(w *Webhook, doc func(model.Message) ([]byte, error)) Sender {
	return webhookSender{w, doc}
}

type webhookSender struct {
	w   *Webhook
	doc func(model.Message) ([]byte, error)
}

func (s webhookSender) Send(ctx context.Context, m model.Message) error {
	body, err := s.doc(m)
	if err != nil {
		return &SendError{Err: fmt.Errorf("webhook %s: %w", config.MaskURL(s.w.URL), err)}
	}
	return s.w.Post(ctx, m.MessageID, body)
}
