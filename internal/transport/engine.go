package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Options configure an Engine. Zero values are not defaults: the client package
// fills them in.
type Options struct {
	BaseURL      string        // API base, e.g. https://api.mindpeeker.com/v1
	HTTPClient   *http.Client  // copied; its redirect policy is wrapped
	Authorizer   Authorizer    // nil: requests carry no credential
	MaxRetries   int           // retries after the first attempt (a 401 renewal is not counted)
	MaxRetryWait time.Duration // cap on any single wait; a longer Retry-After is returned, not slept
	MinRetryWait time.Duration // first backoff step
	// RateLimitWait is the first wait after a 429 without Retry-After, doubled
	// on each further one (capped by MaxRetryWait); RateLimitRetries caps how
	// many such 429s are retried (within MaxRetries; 0: none).
	RateLimitWait    time.Duration
	RateLimitRetries int
	UserAgent        string
	Logger           *slog.Logger // nil: silent
	Now              func() time.Time
	// DisableIdempotencyKeys: send no Idempotency-Key of our own, for APIs that do
	// not honour them. A POST is then repeated only when it provably never
	// reached the server (dial and DNS errors), never after a lost answer or a
	// 5xx. A key the caller gives (WithIdempotencyKey, or the header on an
	// HTTPClient request) is still sent and honoured.
	DisableIdempotencyKeys bool
	Telemetry              *Telemetry // nil: no spans or metrics
	// RateGate, when set, is asked before each attempt to the origin whether
	// another client was told to wait (see gate.go), and told of each 429 or
	// 503 with Retry-After the origin answers. nil: no cost.
	RateGate auth.RateGate
}

// Engine sends API requests. It is safe for concurrent use.
type Engine struct {
	base      string
	origin    auth.Origin
	auth      Authorizer
	rc        *retryablehttp.Client // for Do: follows redirects, reads the answer
	rt        *retryablehttp.Client // for HTTPClient: one hop per RoundTrip, answer unread
	hc        *http.Client          // what HTTPClient returns
	userAgent []string
	logger    *slog.Logger
	logs      bool // logger is not the silent default: attempts are timed for it
	tel       *Telemetry
	now       func() time.Time
	opts      Options
	// originName is origin.String(), Options.RateGate's name for the origin.
	originName string
}

// New checks o and returns an Engine. A credential is refused, before any
// connection is made, unless BaseURL is https or http to a loopback host.
func New(o Options) (*Engine, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("mindpeeker: invalid base URL %s", auth.RedactURL(o.BaseURL))
	}
	if o.Authorizer != nil {
		if err := auth.CheckSecureURL(u); err != nil {
			return nil, fmt.Errorf("mindpeeker: %w", err)
		}
	}
	logs := o.Logger != nil && o.Logger.Handler() != slog.DiscardHandler
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{
		base: strings.TrimRight(u.String(), "/"), origin: auth.OriginOf(u), auth: o.Authorizer,
		userAgent: []string{o.UserAgent}, logger: o.Logger, logs: logs, tel: o.Telemetry, now: o.Now, opts: o,
	}
	e.originName = e.origin.String()
	redirects := e.checkRedirect(o.HTTPClient.CheckRedirect)
	following := *o.HTTPClient
	following.CheckRedirect = redirects
	following.Transport = e.tel.wrap(following.Transport)
	e.rc = e.retryClient(&following)
	oneHop := *o.HTTPClient
	oneHop.CheckRedirect, oneHop.Jar = lastResponse, nil
	oneHop.Transport = e.tel.wrap(oneHop.Transport)
	e.rt = e.retryClient(&oneHop)
	e.hc = e.outerClient()
	return e, nil
}

// outerClient returns what HTTPClient returns. The redirects of its requests
// are followed by it, each hop a RoundTrip of its own that adds the credential
// only for the origin, under the same redirect policy as Do's.
func (e *Engine) outerClient() *http.Client {
	return &http.Client{Transport: roundTripper{e}, CheckRedirect: e.checkRedirect(e.opts.HTTPClient.CheckRedirect), Jar: e.opts.HTTPClient.Jar}
}

// WithAuthorizer returns an Engine like e that sends a's credential instead:
// it shares e's configuration, retry clients and connection pool, so it costs
// a few hundred bytes. Use it for one engine per user of a shared service.
// The retry hooks act for the engine of the call they serve (call.engine).
// e must have been built with an Authorizer: New has then accepted its base
// URL for a credential.
func (e *Engine) WithAuthorizer(a Authorizer) *Engine {
	d := *e
	d.auth, d.opts.Authorizer = a, a
	d.hc = d.outerClient()
	return &d
}

// retryClient returns the go-retryablehttp client sending over hc with our policy.
func (e *Engine) retryClient(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: e.opts.MinRetryWait,
		RetryWaitMax: e.opts.MaxRetryWait,
		RetryMax:     e.opts.MaxRetries + 1, // our policy decides; +1 leaves room for the 401 renewal
		CheckRetry:   e.checkRetry,
		Backoff:      noBackoff,
		PrepareRetry: e.gatedPrepareRetry,
		ErrorHandler: closeAndReturn,
		// Logger stays nil: go-retryablehttp's default writes to stderr.
	}
}

func lastResponse(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Do sends method path and decodes a 2xx answer into out. path is relative to
// the base URL (query included), or an absolute URL: one to another origin
// gets no credential and no Idempotency-Key.
//
// body: nil for none, json.RawMessage or []byte sent as is, url.Values as a
// form (application/x-www-form-urlencoded), anything else encoded as JSON.
// out: nil to discard, *json.RawMessage for the raw bytes, anything else
// decoded from JSON. A non-2xx answer is returned as
// *apierror.Error. When ctx carries a Response (WithResponse), it is filled
// in with the last answer's metadata.
func (e *Engine) Do(ctx context.Context, method, path string, body, out any) (err error) {
	raw, contentType, err := encodeBody(body)
	if err != nil {
		return err
	}
	target, onOrigin := e.resolve(path)
	c := &call{engine: e, method: method, path: path, out: out, onOrigin: onOrigin}
	ctx = e.tel.observe(ctx, c, target, nil)
	c.Context = ctx
	defer func() { c.report(ctx, err) }()
	if err := c.newRequest(target, raw); err != nil {
		return fmt.Errorf("mindpeeker: building request: %w", err)
	}
	req := &c.req
	h := req.Header
	h["Accept"] = acceptJSON
	h["User-Agent"] = e.userAgent
	if raw != nil {
		h["Content-Type"] = contentType
	}
	c.setIdempotencyKey(ctx, h)
	if err := c.awaitGate(ctx); err != nil { // before the token is taken: the wait may be long
		return c.fail(err)
	}
	if err := c.authorize(req.Request); err != nil {
		return err
	}
	req.SetResponseHandler(handleResponse)
	c.markSent()
	resp, err := e.rc.Do(req)
	if err == nil {
		resp.Body.Close()
		if c.apiErr == nil {
			return nil
		}
		err = c.apiErr
	}
	return c.fail(err)
}

// newRequest builds c.req for target with c as its context. Without a body
// there is nothing for go-retryablehttp to rewind: the wrapper is filled in
// directly rather than allocated by retryablehttp.NewRequest.
func (c *call) newRequest(target string, body []byte) error {
	if body == nil {
		r, err := http.NewRequestWithContext(c, c.method, target, nil)
		c.req.Request = r
		return err
	}
	r, err := retryablehttp.NewRequestWithContext(c, c.method, target, body)
	if err == nil {
		c.req = *r
	}
	return err
}

// encodeBody returns the bytes to send for Do's body (nil: no body) and their
// Content-Type.
func encodeBody(body any) ([]byte, []string, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil, nil
	case json.RawMessage:
		return b, contentJSON, nil
	case []byte:
		return b, contentJSON, nil
	case url.Values:
		return []byte(b.Encode()), contentForm, nil
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("mindpeeker: encoding request: %w", err)
	}
	return raw, contentJSON, nil
}

// resolve returns the URL for Do's path and whether it is on the origin. A
// relative path is always joined under the base with a slash, so that no path
// ("@host", ":port") can change the host.
func (e *Engine) resolve(path string) (string, bool) {
	if strings.HasPrefix(path, "/") {
		return e.base + path, true
	}
	if u, err := url.Parse(path); err == nil && u.IsAbs() {
		return path, e.origin.Matches(u)
	}
	return e.base + "/" + path, true
}

// HTTPClient returns a net/http client carrying the engine's policy, for
// callers that build their own *http.Request and read the *http.Response
// themselves (streaming, other libraries): the credential on requests to the
// origin only, a 401 renewed and retried once, Retry-After waited out, backoff
// on 5xx and lost answers, an Idempotency-Key on a POST to the origin. A
// non-2xx answer is returned as it is (as net/http does), its body bounded to
// apierror.MaxBody; apierror.Parse turns it into an error. A body without
// GetBody (not from http.NewRequest over bytes or strings) is sent once: such
// a request is not retried once sent.
func (e *Engine) HTTPClient() *http.Client { return e.hc }

// checkRedirect is the module's redirect policy ([auth.RedirectPolicy]) for
// API requests: the credential (Authorization, X-Api-Key, the authorizer's own
// header) is removed from a redirect to another origin than the base URL's,
// then next, the caller's own policy, applies. The authorizer's header name is
// read at each hop: a computed credential names it on its first request.
func (e *Engine) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		p := auth.RedirectPolicy{Origin: e.origin, Next: next}
		a := e.auth
		if c, ok := req.Context().Value(callKey{}).(*call); ok {
			a = c.engine.auth // Do's hops: the call's engine, which may be one WithAuthorizer made
		}
		if a != nil {
			p.Headers = []string{a.HeaderName()}
		}
		return p.CheckRedirect(req, via)
	}
}

// closeAndReturn replaces go-retryablehttp's ErrorHandler: our response handler
// has already parsed any answer worth keeping, so only the error is left.
func closeAndReturn(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		resp.Body.Close()
	}
	if err == nil { // unreachable while RetryMax leaves room for every retry the policy allows
		err = errors.New("mindpeeker: retries exhausted")
	}
	return nil, err
}

// errTooManyRedirects is the redirect policy's limit, which no retry helps.
var errTooManyRedirects = auth.ErrTooManyRedirects
