// Package client is the MindPeeker API client: credentials go in once, and the
// client obtains tokens, renews them before they expire, retries a 401 once after
// renewal, waits out a 429 as long as Retry-After says, and never sends a
// credential to another origin or over plain http.
//
//	c, err := client.New(client.Config{ClientID: id, ClientSecret: secret})
//	for s, err := range c.Sessions.List(ctx, nil) { ... }
//
// Every non-2xx answer is an [*APIError]; the sentinels ([ErrNotFound] and
// friends) make the common checks one line with errors.Is.
//
// # Telemetry
//
// Calls are traced and measured through Config.TracerProvider and
// Config.MeterProvider, or, when those are nil, the global OpenTelemetry
// providers (also when set after New), following the OpenTelemetry semantic
// conventions for HTTP clients (semconv v1.43.0). Every path is observed the
// same way: the typed services, [Client.Do] and [Client.HTTPClient].
//
// Spans:
//   - "mindpeeker {METHOD}" (kind internal) is the logical call, its retries
//     included: http.request.method, server.address, server.port, url.full
//     (without its query, which may carry anything), the last answer's
//     http.response.status_code, mindpeeker.attempts, mindpeeker.request_id
//     (X-Request-Id) and mindpeeker.idempotency_key; error.type and status
//     Error when the call fails. Each retry is an event "mindpeeker.retry"
//     (mindpeeker.retry.reason: 401, 429, 5xx or network; mindpeeker.retry.wait,
//     seconds; the http.request.resend_count of the request it leads to), and
//     a failed attempt that is not retried an event "mindpeeker.retry.stop"
//     (with mindpeeker.retry.stop, also on the span: budget, retry_after_cap,
//     deadline, not_renewable, not_replayable).
//   - "{METHOD}" (kind client), a child of the call's, is each request sent:
//     the conventions' HTTP client span, with http.request.resend_count from
//     the second request on (retries and redirect hops), http.response.status_code,
//     network.protocol.version, error.type and status Error for a 4xx, 5xx or
//     transport error. It ends when the answer's headers arrive; a body cut
//     afterwards shows as the call's "network" retry. The trace context goes
//     with it to the server through otel.GetTextMapPropagator(): set it (say
//     to propagation.TraceContext{}) for traceparent to be sent.
//   - "mindpeeker.token.renew", with the grant's "mindpeeker.token.request" as
//     its child, is a renewal of the client's token: mindpeeker.token.grant_type,
//     mindpeeker.token.outcome (success, failure), error.type (the OAuth error
//     code, the status, or timeout), mindpeeker.token.serving_valid on a
//     failure. A renewal is the root of a trace of its own: one renewal serves
//     every caller waiting for it.
//
// The call's span is not of kind client, on purpose: the conventions make each
// request sent the client span, and span-derived metrics would count a call twice.
//
// Metrics:
//   - http.client.request.duration (histogram, s, the conventions' buckets):
//     each request sent, with http.request.method, server.address,
//     server.port, http.response.status_code, error.type and
//     network.protocol.version.
//   - mindpeeker.http.client.retries (counter, {retry}): retries, by
//     mindpeeker.retry.reason and http.request.method.
//   - mindpeeker.http.client.rate_limit.wait (histogram, s): the waits before
//     retrying a rate-limited request (429, or 503 with Retry-After); its count
//     is the number of waits.
//   - mindpeeker.token.renewals (counter, {renewal}): token renewals, by
//     mindpeeker.token.grant_type and mindpeeker.token.outcome (failures:
//     outcome failure, with error.type).
//   - mindpeeker.token.renewal.duration (histogram, s): their latency, with the
//     same attributes.
//
// No token, secret, API key, query string or server text (but the cleaned,
// bounded X-Request-Id) is ever recorded. With no provider configured and
// none set globally, a call is not instrumented and allocates nothing more;
// it checks whether a global provider has been set since (two atomic loads).
// An *auth.Source given in Config.TokenSource or Config.Credential records its
// renewals only when made with auth.WithTracerProvider and auth.WithMeterProvider.
//
// Config.Logger gets a debug line for every attempt (method, path without its
// query, attempt, duration, status, request_id, idempotency_key, error, reason,
// wait or stop), a warning when a call fails for lack of retries (budget,
// retry_after_cap, deadline, not_renewable), and the token Source's warning
// when a renewal fails (serving_current_token says whether a still-valid token
// keeps being used).
package client

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/stall"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.1.0"

// Defaults of the MindPeeker API.
const (
	DefaultBaseURL      = "https://api.mindpeeker.com/v1"
	DefaultTokenURL     = "https://auth.mindpeeker.com/oauth2/token"
	DefaultAuthorizeURL = "https://auth.mindpeeker.com/oauth2/authorize"
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = 30 * time.Second
	// DefaultRateLimitWait is the first wait after a 429 without Retry-After
	// (see Config.RateLimitWait); DefaultRateLimitRetries caps such retries.
	DefaultRateLimitWait    = 5 * time.Second
	DefaultRateLimitRetries = 2
)

// Client calls the MindPeeker API. It is safe for concurrent use; create one and
// share it.
type Client struct {
	Sessions *sessions.Service
	APIKeys  *apikeys.Service

	tokens oauth2.TokenSource
	engine *transport.Engine
}

// New returns a Client for cfg. Exactly one credential must be set: ClientID and
// ClientSecret, APIKey, TokenSource, or Credential. Nothing is sent until the
// first call; a credential for a plain http:// URL that is not loopback is
// refused here.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.checkHeaders(); err != nil {
		return nil, err
	}
	authz, tokens, err := cfg.authorizer()
	if err != nil {
		return nil, err
	}
	cfg.logEnvChoice()
	e, err := transport.New(transport.Options{
		BaseURL: cfg.BaseURL, HTTPClient: cfg.HTTPClient, Authorizer: authz,
		MaxRetries: max(cfg.MaxRetries, 0), MaxRetryWait: cfg.MaxRetryWait, MinRetryWait: 250 * time.Millisecond,
		UserAgent: cfg.userAgent(), Logger: cfg.Logger, DisableIdempotencyKeys: cfg.DisableIdempotencyKeys,
		RateLimitWait: cfg.RateLimitWait, RateLimitRetries: cfg.rateLimitRetries(),
		Telemetry: cfg.telemetry(), RateGate: cfg.RateGate,
	})
	if err != nil {
		return nil, err
	}
	return &Client{Sessions: sessions.NewService(e), APIKeys: apikeys.NewService(e), tokens: tokens, engine: e}, nil
}

// WithTokenSource returns a Client that sends ts's tokens instead of c's
// credential, and shares everything else with c: its configuration, its retry
// engine and its connection pool. Use it for calls on behalf of one user of a
// web application (a token from the authorization-code flow): make one Client
// at start-up, and one per user from it, at the cost of a few hundred bytes
// and no new connection.
//
//	app, _ := client.New(client.Config{ClientID: id, ClientSecret: secret})
//	user := app.WithTokenSource(auth.NewSource(auth.RefreshTokenGrant(oauthCfg, refreshToken)))
//	s, err := user.Sessions.Get(ctx, "ses_123")
//
// ts is treated as Config.TokenSource is: an *auth.Source is asked for every
// request, any other source is cached and asked again near expiry and after a
// 401. A nil ts is a programming error: WithTokenSource panics, rather than
// the first request.
func (c *Client) WithTokenSource(ts oauth2.TokenSource) *Client {
	if ts == nil {
		panic("mindpeeker: WithTokenSource(nil)")
	}
	e := c.engine.WithAuthorizer(transport.Bearer(ts))
	return &Client{Sessions: sessions.NewService(e), APIKeys: apikeys.NewService(e), tokens: ts, engine: e}
}

// TokenSource returns the source of the client's bearer tokens (an *auth.Source
// unless Config.TokenSource was another kind), or nil when the client uses an API
// key or another Credential. Use it to hand the same token to other code.
func (c *Client) TokenSource() oauth2.TokenSource { return c.tokens }

// String describes the client without any credential.
func (c *Client) String() string { return "client.Client{}" }

func (cfg Config) withDefaults() Config {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = stall.Client(cfg.StallTimeout)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if cfg.RateLimitWait == 0 {
		cfg.RateLimitWait = DefaultRateLimitWait
	}
	return cfg
}

// rateLimitRetries is how many 429s without Retry-After are retried.
func (cfg Config) rateLimitRetries() int {
	if cfg.RateLimitWait < 0 {
		return 0
	}
	return DefaultRateLimitRetries
}

// authorizer picks the one credential cfg sets.
func (cfg Config) authorizer() (transport.Authorizer, oauth2.TokenSource, error) {
	set := 0
	for _, ok := range []bool{cfg.ClientID != "" || cfg.ClientSecret != "", cfg.APIKey != "", cfg.TokenSource != nil, cfg.Credential != nil} {
		if ok {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, nil, errors.New("mindpeeker: no credentials: set ClientID and ClientSecret, APIKey, TokenSource or Credential (or MINDPEEKER_* variables with NewFromEnv)")
	case set > 1:
		return nil, nil, errors.New("mindpeeker: more than one credential set: choose one of ClientID/ClientSecret, APIKey, TokenSource, Credential")
	case cfg.APIKey != "":
		return transport.APIKey(cfg.APIKey), nil, nil
	case cfg.TokenSource != nil:
		return transport.Bearer(cfg.TokenSource), cfg.TokenSource, nil
	case cfg.Credential != nil:
		if src, ok := cfg.Credential.(*auth.Source); ok {
			return transport.Bearer(src), src, nil
		}
		return transport.Header(cfg.Credential), nil, nil
	case cfg.ClientID == "" || cfg.ClientSecret == "":
		return nil, nil, errors.New("mindpeeker: the client credentials grant needs both ClientID and ClientSecret")
	}
	src := auth.NewSource(auth.ClientCredentials{
		TokenURL: cfg.TokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: cfg.Scopes,
	}, auth.WithHTTPClient(cfg.HTTPClient), auth.WithLogger(cfg.Logger),
		auth.WithTracerProvider(cfg.tracerProvider()), auth.WithMeterProvider(cfg.meterProvider()))
	return transport.Bearer(src), src, nil
}

// checkHeaders refuses header values that could never be sent (a CR or LF in
// an API key, say), so that the mistake fails here, not as a network error.
func (cfg Config) checkHeaders() error {
	if err := transport.CheckHeader("User-Agent", cfg.UserAgent); err != nil {
		return err
	}
	return transport.CheckHeader("X-Api-Key", cfg.APIKey)
}

func (cfg Config) userAgent() string {
	ua := fmt.Sprintf("mindpeeker-go/%s go/%s", Version, runtime.Version())
	if cfg.UserAgent != "" {
		ua += " " + cfg.UserAgent
	}
	return ua
}
