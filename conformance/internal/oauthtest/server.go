package oauthtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Clients and the user every Server registers. The secrets are test constants.
const (
	// BasicClientID is a confidential client that must authenticate with HTTP
	// Basic (client_secret_basic): sending its secret in the body is refused.
	BasicClientID     = "basic-client"
	BasicClientSecret = "basic-secret"
	// PostClientID is a confidential client that must send client_id and
	// client_secret in the form body (client_secret_post): Basic is refused.
	PostClientID     = "post-client"
	PostClientSecret = "post-secret"
	// PublicClientID is a public client (no secret, token_endpoint_auth_method
	// "none") allowed the password, refresh_token and authorization_code grants;
	// its redirect URI is [RedirectURI] on any loopback port.
	PublicClientID = "public-client"
	// Username and Password are the resource owner's credentials for the
	// password grant; Username is also the subject of authorization codes.
	Username = "alice"
	Password = "wonderland"
	// RedirectURI is registered for every default client. Loopback redirect URIs
	// match on any port (RFC 8252 §7.3), so a test may listen anywhere.
	RedirectURI = "http://127.0.0.1/callback"
)

// DefaultScopes are the scopes a client may request when neither [Options] nor
// [Client] say otherwise.
var DefaultScopes = []string{"read", "write"}

// AuthMethod is how a client authenticates to the token endpoint (RFC 7591
// token_endpoint_auth_method).
type AuthMethod string

// The token endpoint authentication methods a [Client] may be registered with.
const (
	AuthBasic AuthMethod = "client_secret_basic" // HTTP Basic only
	AuthPost  AuthMethod = "client_secret_post"  // client_id and client_secret in the body only
	AuthNone  AuthMethod = "none"                // public client: client_id only
)

// Client is an OAuth 2.0 client to register with [Server.AddClient].
type Client struct {
	ID     string
	Secret string // ignored for AuthNone
	// AuthMethod is the only way the client may authenticate; both servers refuse
	// the others with invalid_client. The zero value means AuthPost.
	AuthMethod   AuthMethod
	RedirectURIs []string // nil means [RedirectURI]
	Scopes       []string // scopes it may request; nil means the server's [Options.Scopes]
}

func (c Client) method() AuthMethod {
	if c.AuthMethod == "" {
		return AuthPost
	}
	return c.AuthMethod
}

// Options configures a server. The zero value is ready to use.
type Options struct {
	// AccessTokenLifespan is how long access tokens live; default one hour.
	// fosite rounds expiry to the second and answers expires_in in whole
	// seconds, so lifespans under 2s may be announced as expires_in 0.
	AccessTokenLifespan time.Duration
	// RefreshTokenLifespan is how long refresh tokens live; default 24 hours.
	RefreshTokenLifespan time.Duration
	// Scopes every default client may request; default [DefaultScopes].
	Scopes []string
	// ConsentPage makes the authorization endpoint ask, as a browser-facing
	// server does: GET AuthURL serves an HTML page with an Allow (#allow) and a
	// Deny (#deny) button, and POST AuthURL carries out the choice. Without
	// it, GET AuthURL consents at once.
	ConsentPage bool
}

func (o Options) withDefaults() Options {
	if o.AccessTokenLifespan <= 0 {
		o.AccessTokenLifespan = time.Hour
	}
	if o.RefreshTokenLifespan <= 0 {
		o.RefreshTokenLifespan = 24 * time.Hour
	}
	if o.Scopes == nil {
		o.Scopes = DefaultScopes
	}
	return o
}

// ErrInactiveToken is returned (wrapped) by [Server.Introspect] for a token the
// server does not accept: unknown, expired or revoked.
var ErrInactiveToken = errors.New("oauthtest: token is not active")

// ErrExpiredToken is wrapped too, besides [ErrInactiveToken], when the token is
// inactive because it expired, rather than revoked or unknown.
var ErrExpiredToken = errors.New("oauthtest: token expired")

// TokenInfo is what the server knows of an active access token.
type TokenInfo struct {
	Subject   string // the user; empty for client credentials
	ClientID  string
	Scopes    []string
	ExpiresAt time.Time
}

// TB is the part of [testing.TB] the constructors use: *testing.T, *testing.B
// and *testing.F satisfy it. The server closes when t's cleanups run.
type TB interface {
	Helper()
	Cleanup(func())
}

// backend is one OAuth 2.0 server library behind a [Server].
type backend interface {
	addClient(Client)
	addUser(username, password string)
	// introspect returns the library's answer; expired tells, on failure,
	// whether the library itself said the token expired.
	introspect(ctx context.Context, accessToken string) (info *TokenInfo, expired bool, err error)
	denyAuthorization(deny bool)
}

// Server is an OAuth 2.0 authorization server listening on 127.0.0.1, closed
// when its test ends. Its endpoints:
//
//	POST TokenURL     token endpoint (RFC 6749 §3.2)
//	GET  AuthURL      authorization endpoint, consenting at once for [Username]
//	                  (or, with [Options].ConsentPage, asking first)
//	                  ("" when the server does not offer it)
//	GET  ResourceURL  a protected resource: 200 with {"sub","client_id","scope"}
//	                  for an active bearer token, else 401 invalid_token
//	                  (counted in [Stats], expired tokens apart)
type Server struct {
	URL         string // base URL, http://127.0.0.1:port
	TokenURL    string
	AuthURL     string
	ResourceURL string

	ts   *httptest.Server
	rec  *recorder
	impl backend
}

func newServer(t TB, opts Options, rec *recorder, impl backend, tokenHandler, authHandler http.Handler) *Server {
	t.Helper()
	s := &Server{rec: rec, impl: impl}
	mux := http.NewServeMux()
	mux.Handle("POST /token", s.rec.recordToken(tokenHandler))
	if authHandler != nil {
		if opts.ConsentPage {
			mux.Handle("/authorize", s.rec.recordAuthorize(withConsentPage(authHandler)))
		} else {
			mux.Handle("GET /authorize", s.rec.recordAuthorize(authHandler))
		}
	}
	mux.HandleFunc("GET /resource", s.serveResource)
	s.ts = httptest.NewServer(mux) // httptest listens on 127.0.0.1
	t.Cleanup(s.ts.Close)
	s.URL = s.ts.URL
	s.TokenURL = s.URL + "/token"
	s.ResourceURL = s.URL + "/resource"
	if authHandler != nil {
		s.AuthURL = s.URL + "/authorize"
	}
	return s
}

// Client returns an HTTP client for the server (no proxy, closed with it).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// AddClient registers c, replacing any client with the same ID. It is safe to
// call while the server runs.
func (s *Server) AddClient(c Client) { s.impl.addClient(c) }

// AddUser registers a resource owner for the password grant.
func (s *Server) AddUser(username, password string) { s.impl.addUser(username, password) }

// Introspect asks the server library whether accessToken is active, as its
// resource servers would. The error wraps [ErrInactiveToken] when it is not,
// and [ErrExpiredToken] too when the library said it expired or the lifetime
// the server announced for it (expires_in) has passed; go-oauth2, for one,
// forgets expired tokens and calls them unknown.
func (s *Server) Introspect(ctx context.Context, accessToken string) (*TokenInfo, error) {
	info, expired, err := s.impl.introspect(ctx, accessToken)
	switch {
	case err == nil:
		return info, nil
	case expired || s.rec.pastExpiry(accessToken, time.Now()):
		return nil, fmt.Errorf("%w: %w: %w", ErrInactiveToken, ErrExpiredToken, err)
	default:
		return nil, fmt.Errorf("%w: %w", ErrInactiveToken, err)
	}
}

// DenyAuthorization makes the authorization endpoint answer the following
// requests as if the user refused (error=access_denied), or consent again.
func (s *Server) DenyAuthorization(deny bool) { s.impl.denyAuthorization(deny) }

// Stats returns a snapshot of what the server saw so far.
func (s *Server) Stats() Stats { return s.rec.stats() }

// TokenRequests returns every token request so far, oldest first.
func (s *Server) TokenRequests() []TokenRequest { return s.rec.requests() }

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	info, err := s.Introspect(r.Context(), tok)
	s.rec.recordResource(ok && err == nil, errors.Is(err, ErrExpiredToken))
	if !ok || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_token"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"sub": info.Subject, "client_id": info.ClientID, "scope": strings.Join(info.Scopes, " "),
	})
}
