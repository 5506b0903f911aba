package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"

	"golang.org/x/oauth2"
)

// ErrStateMismatch is returned (wrapped) by [AuthCodeFlow.Exchange] when the
// callback's state is missing or is not the one [AuthCodeFlow.Start] issued: the
// callback may be forged (a cross-site request forgery), so no code is exchanged.
var ErrStateMismatch = errors.New("auth: authorization callback state does not match the request")

// ErrNoCode is returned (wrapped) by [AuthCodeFlow.Exchange] when a callback
// carries neither a code nor an error.
var ErrNoCode = errors.New("auth: authorization callback has no code")

// AuthorizationError is the authorization server's refusal, reported on the
// callback (RFC 6749 §4.1.2.1): the user denied access ("access_denied"), the
// client may not ask for the scope ("invalid_scope"), and so on.
type AuthorizationError struct {
	Code        string // the "error" parameter, e.g. "access_denied"
	Description string // "error_description", for the developer; may be empty
	URI         string // "error_uri"; may be empty
}

func (e *AuthorizationError) Error() string {
	msg := "auth: authorization refused: " + e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// AuthCodeFlow is the OAuth 2.0 authorization code grant (RFC 6749 §4.1) with
// PKCE (RFC 7636, method S256) and a state parameter: the way a program obtains
// a token on behalf of a user who logs in with a browser. A web application
// calls [AuthCodeFlow.Start], keeps the [Pending] in the user's session and
// redirects the browser to the URL; its callback handler calls
// [AuthCodeFlow.Exchange]. A command-line program uses [LoginLoopback].
//
// The tokens it returns carry a refresh token when the server grants one: keep
// them in a [Store] and renew them with a [Source] over a [RefreshToken] grant.
// An AuthCodeFlow is safe for concurrent use.
type AuthCodeFlow struct {
	cfg oauth2.Config
}

// NewAuthCodeFlow returns a flow for cfg: its ClientID, ClientSecret (empty for
// a public client), Endpoint.AuthURL and Endpoint.TokenURL, RedirectURL and
// Scopes. cfg is copied; an Endpoint.AuthStyle of AuthStyleAutoDetect becomes
// AuthStyleInParams (auto-detection would send a refused code twice).
func NewAuthCodeFlow(cfg *oauth2.Config) *AuthCodeFlow {
	f := &AuthCodeFlow{cfg: *cfg}
	f.cfg.Scopes = slices.Clone(cfg.Scopes)
	f.cfg.Endpoint.AuthStyle = authStyle(cfg.Endpoint.AuthStyle)
	return f
}

// Pending is what a started authorization must remember until its callback:
// the state it sent and the PKCE verifier. It is a plain struct that encodes to
// JSON, so a web application can keep it in its session store (server side: the
// verifier must not reach the browser). Use it for one Exchange only.
type Pending struct {
	State    string `json:"state"`
	Verifier string `json:"verifier"`
}

// view is the pending authorization as fmt and slog show it: the verifier
// redacted. Its JSON is whole, by design: that is how it is kept (see Pending).
func (p Pending) view() View {
	return View{Type: "auth.Pending", Attrs: []slog.Attr{slog.String("state", p.State), slog.String("verifier", Redact(p.Verifier))}}
}

// String shows the state and hides the verifier.
func (p Pending) String() string { return p.view().String() }

// GoString is String, so that %#v does not print the verifier either.
func (p Pending) GoString() string { return p.view().String() }

// Format prints String for every verb, so that no verb reaches the verifier.
func (p Pending) Format(f fmt.State, verb rune) { p.view().Format(f, verb) }

// LogValue logs the state, and the verifier redacted.
func (p Pending) LogValue() slog.Value { return p.view().LogValue() }

// Start begins an authorization: it returns the URL to send the user's browser
// to, and the Pending to hand to Exchange when the browser comes back. Each call
// draws a new state (32 random bytes) and PKCE verifier. It fails when the
// authorization or token URL is invalid, or plain http to a non-loopback host.
func (f *AuthCodeFlow) Start() (authURL string, p *Pending, err error) {
	if err := checkEndpointURL("authorization", f.cfg.Endpoint.AuthURL); err != nil {
		return "", nil, err
	}
	if err := checkTokenURL(f.cfg.Endpoint.TokenURL); err != nil {
		return "", nil, err
	}
	state := make([]byte, 32)
	if _, err := rand.Read(state); err != nil {
		return "", nil, fmt.Errorf("auth: generating state: %w", err)
	}
	p = &Pending{State: base64.RawURLEncoding.EncodeToString(state), Verifier: oauth2.GenerateVerifier()}
	return f.authURL(p), p, nil
}

// authURL is the authorization request for p.
func (f *AuthCodeFlow) authURL(p *Pending) string {
	return f.cfg.AuthCodeURL(p.State, oauth2.S256ChallengeOption(p.Verifier))
}

// Exchange completes the authorization started with p, given the query
// parameters of the callback request (r.URL.Query() in the redirect handler).
// Before any request to the token endpoint it checks, in this order:
//   - the state is the one p holds (compared in constant time), else an error
//     wrapping [ErrStateMismatch];
//   - the callback carries no error, else an [*AuthorizationError];
//   - it carries a code, else an error wrapping [ErrNoCode].
//
// It then trades the code and p's verifier for a token. A refusal from the
// token endpoint is a [*TokenError] with Grant "authorization_code". The HTTP
// client comes from ctx ([oauth2.HTTPClient]), as in x/oauth2; a redirect to
// another origin is not followed.
func (f *AuthCodeFlow) Exchange(ctx context.Context, p *Pending, callback url.Values) (*oauth2.Token, error) {
	if p == nil || p.State == "" {
		return nil, fmt.Errorf("auth: no pending authorization: %w", ErrStateMismatch)
	}
	got := callback.Get("state")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.State)) != 1 {
		return nil, fmt.Errorf("%w; the callback may be forged", ErrStateMismatch)
	}
	if code := callback.Get("error"); code != "" {
		return nil, &AuthorizationError{Code: code,
			Description: callback.Get("error_description"), URI: callback.Get("error_uri")}
	}
	code := callback.Get("code")
	if code == "" {
		return nil, ErrNoCode
	}
	if p.Verifier == "" {
		return nil, errors.New("auth: pending authorization has no PKCE verifier")
	}
	if err := checkTokenURL(f.cfg.Endpoint.TokenURL); err != nil {
		return nil, err
	}
	tok, err := f.cfg.Exchange(withTokenClient(ctx), code, oauth2.VerifierOption(p.Verifier))
	return tok, wrapTokenError("authorization_code", err)
}

// view is the flow as every output shows it: its client secret redacted.
func (f *AuthCodeFlow) view() View {
	return View{Type: "auth.AuthCodeFlow", Attrs: []slog.Attr{
		slog.String("auth_url", f.cfg.Endpoint.AuthURL), slog.String("token_url", f.cfg.Endpoint.TokenURL),
		slog.String("client_id", f.cfg.ClientID), slog.String("client_secret", Redact(f.cfg.ClientSecret)),
		slog.String("redirect_url", f.cfg.RedirectURL), slog.Any("scopes", f.cfg.Scopes)}}
}

// String describes the flow without its client secret.
func (f *AuthCodeFlow) String() string { return f.view().String() }

// GoString is String, so that %#v does not print the secret either.
func (f *AuthCodeFlow) GoString() string { return f.view().String() }

// Format prints String for every verb, so that no verb reaches the secret.
func (f *AuthCodeFlow) Format(s fmt.State, verb rune) { f.view().Format(s, verb) }

// LogValue logs the flow without its client secret.
func (f *AuthCodeFlow) LogValue() slog.Value { return f.view().LogValue() }

// MarshalJSON encodes the flow without its client secret.
func (f *AuthCodeFlow) MarshalJSON() ([]byte, error) { return f.view().MarshalJSON() }

func checkEndpointURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth: invalid %s URL %s", what, RedactURL(raw))
	}
	return CheckSecureURL(u)
}
