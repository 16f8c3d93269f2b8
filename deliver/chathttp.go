package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/discord"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/mattermost"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/chat/rocketchat"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/incident/pagerduty"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/push/gotify"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/push/ntfy"
	"github.com/nicholas-fedor/shoutrrr/pkg/services/push/pushover"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
)

// A chat service's answer is as hostile as a feed: the library reads it
// whole and follows redirects with the message. Every request the library
// makes goes through a chatTransport, which bounds it as webhooks are
// bounded: the answer is read up to chatMaxBody (past it the read fails),
// a redirect is handed back unfollowed (its Location removed), and the
// whole exchange, answer included, ends at the Chat's timeout. The
// services whose HTTP client the library lets a caller reach get one with
// this transport; the others use net/http's default client and transport,
// which this package's init wraps the same way (nothing else in newswatch
// uses them: webhooks have their own transport).

// ChatTimeout bounds one request to a chat service, its answer included.
// It is longer than the library's own 10 s: a slow service that answers
// in 15 s is not posted to again for want of patience.
const ChatTimeout = 30 * time.Second

// chatMaxBody is the most of a chat service's answer that is read.
const chatMaxBody = 64 << 10

// errAnswerTooLarge ends the read of an answer past chatMaxBody.
var errAnswerTooLarge = errors.New("answer too large")

// pristine is net/http's default transport as it was before init wrapped
// it: what webhooks and the chat transports send through.
var pristine = http.DefaultTransport

// WebhookTransport is the transport webhooks are posted through: net/http's
// default one, not the chat library's bounded wrapper of it. A caller
// wrapping a webhook client's transport (to record the answer) wraps this.
func WebhookTransport() http.RoundTripper { return pristine }

func init() {
	http.DefaultTransport = &chatTransport{base: pristine, obs: func() *exchange { return current.Load() }}
	http.DefaultClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
}

// chatMu makes chat sends one at a time, so that what the default
// transport sees belongs to the send in progress (current).
var (
	chatMu  sync.Mutex
	current atomic.Pointer[exchange]
	// chatSends counts the goroutines of chat sends, which may outlive
	// their Send (one cut short by its context): tests wait for them.
	chatSends sync.WaitGroup
)

// exchange is what the transport saw of one chat send's requests.
type exchange struct {
	timeout time.Duration
	mu      sync.Mutex
	wrote   bool // a request was sent whole
	status  int  // the last answer's status, 0 before any
	large   bool // an answer went past chatMaxBody
}

func (e *exchange) set(f func(*exchange)) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

func (e *exchange) seen() (wrote bool, status int, large bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wrote, e.status, e.large
}

// chatTransport bounds a chat library's requests (see above); obs is the
// exchange to record them in, nil for none.
type chatTransport struct {
	base http.RoundTripper
	obs  func() *exchange
}

func (t *chatTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	e := t.obs()
	timeout := ChatTimeout
	if e != nil && e.timeout > 0 {
		timeout = e.timeout
	}
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) {
		if w.Err == nil {
			e.set(func(e *exchange) { e.wrote = true })
		}
	}})
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	e.set(func(e *exchange) { e.status = resp.StatusCode })
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// Without a Location, net/http's client hands the answer back
		// as it is: the library reports the status, nothing is re-sent.
		resp.Header.Del("Location")
	}
	resp.Body = &boundedBody{rc: resp.Body, left: chatMaxBody, cancel: cancel, e: e}
	return resp, nil
}

// boundedBody fails a read past its limit; closing it ends the request.
type boundedBody struct {
	rc     io.ReadCloser
	left   int64
	cancel context.CancelFunc
	e      *exchange
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.e.set(func(e *exchange) { e.large = true })
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error {
	b.cancel()
	return b.rc.Close()
}

// boundService gives the services whose HTTP client can be reached one
// that goes through a chatTransport recording into e, without redirects
// and with e's timeout.
func boundService(svc types.Service, e *exchange) {
	bound := func(c *http.Client) *http.Client {
		if c == nil {
			c = new(http.Client)
		}
		base := c.Transport
		if base == nil {
			base = pristine
		}
		c.Transport = &chatTransport{base: base, obs: func() *exchange { return e }}
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c.Timeout = e.timeout
		return c
	}
	switch s := svc.(type) {
	case *gotify.Service:
		bound(s.GetHTTPClient())
	case *mattermost.Service:
		bound(s.GetHTTPClient())
	case *ntfy.Service:
		// Its own client is out of reach; a new one keeps its TLS rule.
		tr := pristine.(*http.Transport).Clone()
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.InsecureSkipVerify = s.Config.DisableTLSVerification //nolint:gosec // the URL asked for it
		s.SetHTTPClient(bound(&http.Client{Transport: tr}))
	case *rocketchat.Service:
		s.Client = bound(s.Client)
	case *pushover.Service:
		s.Client = bound(s.Client)
	case *pagerduty.Service:
		s.SetHTTPClient(bound(nil))
	case *discord.Service:
		s.HTTPClient = bound(nil)
	}
}
