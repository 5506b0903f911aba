package mapsindoors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Default endpoints of the MapsIndoors authentication service: BaseURL from
// the client credentials document, TokenURL from the auth server's
// IdentityServer4 token endpoint (see the package doc for the sources).
const (
	DefaultTokenURL = "https://auth.mapsindoors.com/connect/token"
	DefaultBaseURL  = "https://auth.mapsindoors.com"
)

const (
	secretsPath = "/api/clientcredentials"
	maxBodySize = 1 << 20
	excerptSize = 160
)

// Config configures a [Client].
type Config struct {
	ClientID   string      // required: the client_id MapsPeople issued
	CustomerID string      // required: the customerId MapsPeople issued
	Store      SecretStore // required: holds the current secret and its id
	TokenURL   string      // default DefaultTokenURL
	BaseURL    string      // of the secret management API; default DefaultBaseURL
	Scopes     []string    // requested at login; none by default
	// HTTPClient is the client to build on (its Transport, Timeout and Jar are
	// used); default http.DefaultClient. A redirect to another origin is never
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
	cfg      Config
	endpoint string       // BaseURL + /api/clientcredentials
	hc       *http.Client // follows no redirect
	log      *slog.Logger

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
	c := &Client{cfg: cfg, endpoint: base.JoinPath(secretsPath).String(), hc: hc, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
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

// do calls the secret management endpoint with the customerId and q as query
// parameters, and form (when not nil) as an application/x-www-form-urlencoded
// body, and decodes a 2xx answer into out (when not nil). A 401 with a token
// from a Source invalidates it and retries once.
func (c *Client) do(ctx context.Context, b bearer, method string, q, form url.Values, out any) error {
	q.Set("customerId", c.cfg.CustomerID)
	target := c.endpoint + "?" + q.Encode()
	for attempt := 0; ; attempt++ {
		tok, err := b.TokenContext(ctx)
		if err != nil {
			return fmt.Errorf("mapsindoors: %s %s: logging in: %w", method, secretsPath, err)
		}
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return fmt.Errorf("mapsindoors: %w", err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Accept", "application/json")
		resp, err := c.hc.Do(req)
		if err != nil {
			return fmt.Errorf("mapsindoors: %s %s: %w", method, secretsPath, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
		resp.Body.Close()
		if src, ok := b.(*auth.Source); ok && resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			src.Invalidate(tok)
			continue
		}
		switch {
		case err != nil:
			return fmt.Errorf("mapsindoors: %s %s: reading the answer: %w", method, secretsPath, err)
		case len(raw) > maxBodySize:
			return fmt.Errorf("mapsindoors: %s %s: the answer is larger than %d bytes", method, secretsPath, maxBodySize)
		case resp.StatusCode < 200 || resp.StatusCode > 299:
			return &APIError{Method: method, Path: secretsPath, StatusCode: resp.StatusCode,
				Message: auth.Excerpt(auth.Scrub(string(raw), tok.AccessToken), excerptSize)}
		case out == nil:
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			// Not quoting the answer: a 2xx answer may hold a secret.
			return fmt.Errorf("mapsindoors: %s %s: the answer is not the expected JSON: %w", method, secretsPath, err)
		}
		return nil
	}
}

// APIError is a failure answer of the secret management API. Message is a
// short excerpt of the body, cleaned of control characters and of the bearer
// token.
type APIError struct {
	Method     string // "GET", "POST" or "DELETE"
	Path       string // "/api/clientcredentials"
	StatusCode int
	Message    string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("mapsindoors: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// String describes the client; it holds no secret itself.
func (c *Client) String() string {
	return fmt.Sprintf("mapsindoors.Client{ClientID: %q, CustomerID: %q, BaseURL: %q}", c.cfg.ClientID, c.cfg.CustomerID, c.cfg.BaseURL)
}
