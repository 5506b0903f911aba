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
	authz, tokens, err := cfg.authorizer()
	if err != nil {
		return nil, err
	}
	cfg.logEnvChoice()
	e, err := transport.New(transport.Options{
		BaseURL: cfg.BaseURL, HTTPClient: cfg.HTTPClient, Authorizer: authz,
		MaxRetries: max(cfg.MaxRetries, 0), MaxRetryWait: cfg.MaxRetryWait, MinRetryWait: 250 * time.Millisecond,
		UserAgent: cfg.userAgent(), Logger: cfg.Logger, DisableIdempotencyKeys: cfg.DisableIdempotencyKeys,
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
// ts (not nil) is treated as Config.TokenSource is: an *auth.Source is asked for every
// request, any other source is cached and asked again near expiry and after a
// 401.
func (c *Client) WithTokenSource(ts oauth2.TokenSource) *Client {
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
	return cfg
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
	}, auth.WithHTTPClient(cfg.HTTPClient), auth.WithLogger(cfg.Logger))
	return transport.Bearer(src), src, nil
}

func (cfg Config) userAgent() string {
	ua := fmt.Sprintf("mindpeeker-go/%s go/%s", Version, runtime.Version())
	if cfg.UserAgent != "" {
		ua += " " + cfg.UserAgent
	}
	return ua
}
