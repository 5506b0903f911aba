package mapsindoors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// Default endpoints of the MapsIndoors authentication service: BaseURL from
// the client credentials document, TokenURL from the auth server's
// IdentityServer4 token endpoint (see the package doc for the sources).
const (
	DefaultTokenURL = "https://auth.mapsindoors.com/connect/token"
	DefaultBaseURL  = "https://auth.mapsindoors.com"
)

const secretsPath = "/api/clientcredentials"

// Config configures a [Client].
type Config struct {
	ClientID   string      // required: the client_id MapsPeople issued
	CustomerID string      // required: the customerId MapsPeople issued
	Store      SecretStore // required: holds the current secret and its id
	TokenURL   string      // default DefaultTokenURL
	BaseURL    string      // of the secret management API; default DefaultBaseURL
	Scopes     []string    // requested at login; none by default
	// HTTPClient is the client to build on (its Transport, Timeout and Jar are
	// used); default the SDK's shared, stall-bounded client. A redirect to another origin is never
	// followed ([auth.TokenHTTPClient]): the requests carry a bearer token or a
	// secret.
	HTTPClient *http.Client
	// RotationDescription describes the secrets Rotate creates; default
	// "mindpeeker-go rotation " and the time in UTC.
	RotationDescription string
	Logger              *slog.Logger // rotation steps (ids only, never secrets); nil = silent
}

// Client logs in with the client credentials grant using the secret in its
// [SecretStore] and manages the client's secrets. It is safe for concurrent use.
type Client struct {
	cfg    Config
	engine *transport.Engine // the management calls
	hc     *http.Client      // logins: follows no redirect to another origin
	log    *slog.Logger

	rotating sync.Mutex // one rotation at a time

	mu  sync.Mutex
	src *auth.Source // bearer tokens for the management calls
}

// New returns a Client for cfg. The URLs must be https, or http to a loopback
// host.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.ClientID == "":
		return nil, errors.New("mapsindoors: Config.ClientID is required")
	case cfg.CustomerID == "":
		return nil, errors.New("mapsindoors: Config.CustomerID is required")
	case cfg.Store == nil:
		return nil, errors.New("mapsindoors: Config.Store is required")
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := secureURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := secureURL(cfg.TokenURL); err != nil {
		return nil, err
	}
	hc := auth.TokenHTTPClient(cfg.HTTPClient)
	c := &Client{cfg: cfg, hc: hc, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// No Idempotency-Keys: the API does not document them, so a create is
	// never repeated after it may have reached the server.
	c.engine, err = transport.New(transport.Options{
		BaseURL: base.String(), HTTPClient: hc, Authorizer: authorizer{},
		MaxRetries: 3, MinRetryWait: 250 * time.Millisecond, MaxRetryWait: 30 * time.Second,
		RateLimitWait: 5 * time.Second, RateLimitRetries: 2,
		UserAgent: "mindpeeker-go mapsindoors", Logger: c.log, DisableIdempotencyKeys: true,
	})
	if err != nil {
		return nil, fmt.Errorf("mapsindoors: %w", err)
	}
	c.src = c.newSource()
	return c, nil
}

func secureURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mapsindoors: invalid URL %s", auth.RedactURL(raw))
	}
	return u, auth.CheckSecureURL(u)
}

// Grant returns an [auth.Grant] that logs in with the client credentials grant
// using the secret the store holds at the time of each login, so that an
// [auth.Source] built on it keeps working across rotations. Use it to call the
// MapsIndoors APIs: auth.NewSource(c.Grant()).
func (c *Client) Grant() auth.Grant { return storeGrant{c} }

type storeGrant struct{ c *Client }

func (g storeGrant) Token(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
	s, err := g.c.cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("mapsindoors: loading the secret: %w", err)
	}
	if s.Secret == "" {
		return nil, ErrNoSecret
	}
	return g.c.credentials(s.Secret).Token(ctx, nil)
}

func (g storeGrant) String() string { return "mapsindoors.Grant{ClientID: " + g.c.cfg.ClientID + "}" }

func (c *Client) credentials(secret string) auth.ClientCredentials {
	return auth.ClientCredentials{TokenURL: c.cfg.TokenURL, ClientID: c.cfg.ClientID, ClientSecret: secret, Scopes: c.cfg.Scopes}
}

// login requests a token with secret, bypassing any cache.
func (c *Client) login(ctx context.Context, secret string) (*oauth2.Token, error) {
	return c.credentials(secret).Token(context.WithValue(ctx, oauth2.HTTPClient, c.hc), nil)
}

func (c *Client) newSource() *auth.Source {
	return auth.NewSource(c.Grant(), auth.WithHTTPClient(c.hc), auth.WithLogger(c.log))
}

// source returns the Source of the management calls' tokens.
func (c *Client) source() *auth.Source {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.src
}

// resetSource drops the cached token, so the next call logs in with the
// secret the store holds now.
func (c *Client) resetSource() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.src = c.newSource()
}

// List returns the client's active secrets (GET ?customerId=), without their
// values, which MapsIndoors does not keep.
func (c *Client) List(ctx context.Context) ([]Secret, error) {
	return c.list(ctx, c.source())
}

// Create creates a secret with an optional description and returns it: the
// only time its value is available. As the document shows, it POSTs
// ?customerId=&description= with the form body
// grant_type=client_credentials&client_id=&client_secret=, holding the client's
// id and the secret the store holds now. Save the new secret before anything
// else. To replace the current secret, use [Client.Rotate], which saves it and
// deletes the old one safely.
func (c *Client) Create(ctx context.Context, description string) (*NewSecret, error) {
	cur, err := c.cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("mapsindoors: loading the secret: %w", err)
	}
	if cur.Secret == "" {
		return nil, ErrNoSecret
	}
	return c.create(ctx, c.source(), cur.Secret, description)
}

// Delete deletes the secret with id (DELETE ?customerId=&id=). It stops
// working for logins at once.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.delete(ctx, c.source(), id)
}

func (c *Client) list(ctx context.Context, b bearer) ([]Secret, error) {
	var wire []wireSecret
	if err := c.do(ctx, b, http.MethodGet, url.Values{}, nil, &wire); err != nil {
		return nil, err
	}
	out := make([]Secret, len(wire))
	for i, w := range wire {
		out[i] = Secret{ID: w.ID, Description: w.Description, ClientID: w.ClientID, CreatedAt: w.CreatedAt.Time}
	}
	return out, nil
}

// create creates a secret, sending the documented body with secret, the one
// the bearer's token was obtained with.
func (c *Client) create(ctx context.Context, b bearer, secret, description string) (*NewSecret, error) {
	q := url.Values{}
	if description != "" {
		q.Set("description", description)
	}
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.cfg.ClientID}, "client_secret": {secret}}
	var w wireSecret
	if err := c.do(ctx, b, http.MethodPost, q, body, &w); err != nil {
		return nil, err
	}
	if w.ID == "" || w.Secret == "" {
		return nil, errors.New("mapsindoors: POST " + secretsPath + ": the answer has no id or no secret")
	}
	return &NewSecret{ID: w.ID, Description: w.Description, CreatedAt: w.CreatedAt.Time, Secret: w.Secret}, nil
}

func (c *Client) delete(ctx context.Context, b bearer, id string) error {
	if id == "" {
		return errors.New("mapsindoors: Delete: empty secret id")
	}
	return c.do(ctx, b, http.MethodDelete, url.Values{"id": {id}}, nil, nil)
}

// bearer gives the token for a management call: an *auth.Source, or one fixed
// token (staticToken).
type bearer interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

type staticToken struct{ tok *oauth2.Token }

func (s staticToken) TokenContext(context.Context) (*oauth2.Token, error) { return s.tok, nil }

type bearerKey struct{}

// authorizer is the engine's credential for the management calls: the bearer
// token of the call's [bearer], which the call's context carries. After a 401,
// a token from a Source is invalidated and the call retried once; a fixed
// token's 401 is final.
type authorizer struct{}

func (authorizer) Authorize(ctx context.Context, h http.Header) (*oauth2.Token, error) {
	tok, err := ctx.Value(bearerKey{}).(bearer).TokenContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("logging in: %w", err)
	}
	h.Set("Authorization", "Bearer "+tok.AccessToken)
	return tok, nil
}

func (authorizer) Renew(ctx context.Context, refused *oauth2.Token) error {
	src, ok := ctx.Value(bearerKey{}).(*auth.Source)
	if !ok {
		return errors.New("mapsindoors: the token of the new secret was refused")
	}
	src.Invalidate(refused)
	return nil
}

func (authorizer) HeaderName() string { return "Authorization" }

// do calls the secret management endpoint with the customerId and q as query
// parameters, and form (when not nil) as an application/x-www-form-urlencoded
// body, and decodes a 2xx answer into out (when not nil), through the module's
// request engine: a 401 renewed once, Retry-After waited out, 5xx retried for
// GET and DELETE (never for a POST, which would create a second secret),
// failures as *APIError with the token and the secret kept out.
func (c *Client) do(ctx context.Context, b bearer, method string, q, form url.Values, out any) error {
	q.Set("customerId", c.cfg.CustomerID)
	// No Idempotency-Key, not even one the caller's context carries: the API
	// does not honour them, and with one the engine would repeat a create.
	ctx = transport.WithIdempotencyKey(context.WithValue(ctx, bearerKey{}, b), "")
	var body any
	if form != nil {
		body = form
		ctx = transport.WithSecrets(ctx, form.Get("client_secret"))
	}
	if err := c.engine.Do(ctx, method, secretsPath+"?"+q.Encode(), body, out); err != nil {
		return fmt.Errorf("mapsindoors: %s %s: %w", method, secretsPath, err)
	}
	return nil
}

// APIError is a failure answer of the secret management API: the module's
// one error type (client.APIError), with the status, the server's message
// (bounded, cleaned, without the token or the secret), X-Request-Id, and the
// sentinels (errors.Is(err, client.ErrNotFound)).
type APIError = apierror.Error

// String describes the client; it holds no secret itself.
func (c *Client) String() string {
	return fmt.Sprintf("mapsindoors.Client{ClientID: %q, CustomerID: %q, BaseURL: %q}", c.cfg.ClientID, c.cfg.CustomerID, c.cfg.BaseURL)
}
