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
	UserAgent    string
	Logger       *slog.Logger // nil: silent
	Now          func() time.Time
}

// Engine sends API requests. It is safe for concurrent use.
type Engine struct {
	base      string
	origin    auth.Origin
	auth      Authorizer
	rc        *retryablehttp.Client
	userAgent []string
	logger    *slog.Logger
	now       func() time.Time
	opts      Options
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
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{
		base: strings.TrimRight(u.String(), "/"), origin: auth.OriginOf(u), auth: o.Authorizer,
		userAgent: []string{o.UserAgent}, logger: o.Logger, now: o.Now, opts: o,
	}
	hc := *o.HTTPClient
	hc.CheckRedirect = e.checkRedirect(o.HTTPClient.CheckRedirect)
	e.rc = &retryablehttp.Client{
		HTTPClient:   &hc,
		RetryWaitMin: o.MinRetryWait,
		RetryWaitMax: o.MaxRetryWait,
		RetryMax:     o.MaxRetries + 1, // our policy decides; +1 leaves room for the 401 renewal
		CheckRetry:   e.checkRetry,
		Backoff:      noBackoff,
		PrepareRetry: e.prepareRetry,
		ErrorHandler: closeAndReturn,
		// Logger stays nil: go-retryablehttp's default writes to stderr.
	}
	return e, nil
}

// Do sends method path (path relative to the base URL, query included) with in
// as the JSON body (nil: none) and decodes a 2xx answer into out (nil: discard).
// A non-2xx answer is returned as *apierror.Error.
func (e *Engine) Do(ctx context.Context, method, path string, in, out any) error {
	var body any
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("mindpeeker: encoding request: %w", err)
		}
		body = raw
	}
	c := &call{engine: e, method: method, path: path, out: out}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, c), method, e.base+path, body)
	if err != nil {
		return fmt.Errorf("mindpeeker: building request: %w", err)
	}
	c.setHeaders(ctx, req.Header, body != nil)
	if err := c.authorize(req.Request); err != nil {
		return err
	}
	req.SetResponseHandler(c.handle)
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

// checkRedirect is the module's redirect policy ([auth.RedirectPolicy]) for
// API requests: the credential (Authorization, X-Api-Key, the authorizer's own
// header) is removed from a redirect to another origin than the base URL's,
// then next, the caller's own policy, applies. The authorizer's header name is
// read at each hop: a computed credential names it on its first request.
func (e *Engine) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		p := auth.RedirectPolicy{Origin: e.origin, Next: next}
		if e.auth != nil {
			p.Headers = []string{e.auth.HeaderName()}
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
