package jsonlogin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Grant logs in with a user key and secret at BaseURL; it implements
// [auth.Grant]. The first token comes from POST {BaseURL}/authenticate; later
// ones from POST {BaseURL}/refresh with the previous token's refresh token,
// keeping that refresh token when the answer brings no new one. When the
// service refuses the refresh (HTTP 400, 401 or 403: the refresh token expired
// or was revoked) the grant authenticates once more with the key and secret.
//
// Each token's Expiry is its JWT "exp" claim, read without verifying the
// signature; a token that is not a JWT gets a zero Expiry and ExpiresIn, so
// that an [auth.Source] applies its default lifetime (one hour). An expires_in
// member, should a service send one, wins over both.
//
// Errors are *[auth.TokenError] with Grant "jsonlogin" and the HTTP status in
// StatusCode when the service answered with a failure status; they never
// contain the secret or a token. UserSecret is redacted
// from String, GoString and LogValue.
type Grant struct {
	BaseURL    string // e.g. "https://auth.example.com"; https, or http to a loopback host
	UserKey    string // the user_key that /register returned
	UserSecret string // the user_secret chosen at /register
	// HTTPClient sends the requests. When nil, the client in the context under
	// [oauth2.HTTPClient] is used (an [auth.Source] puts its own there), else
	// the SDK's shared, stall-bounded client. Redirects to another origin are never followed.
	HTTPClient *http.Client
}

// tokenResponse is the answer of /authenticate and /refresh.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in"` // not sent by the documented service
}

// Token refreshes prev when it has a refresh token, else (or when the refresh
// is refused) authenticates with the user key and secret. Each request is
// retried only when the server cannot have acted on it (it never left this
// machine, or a 429): never after a 5xx or a lost answer, so a refresh token
// is not spent twice; a redirect to another origin is refused.
func (g Grant) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	hc := httpClient(ctx, g.HTTPClient)
	if prev != nil && prev.RefreshToken != "" {
		tok, err := g.refresh(ctx, hc, prev.RefreshToken)
		if !refused(err) {
			return tok, err
		}
	}
	return g.authenticate(ctx, hc)
}

func (g Grant) authenticate(ctx context.Context, hc *http.Client) (*oauth2.Token, error) {
	body := map[string]string{"user_key": g.UserKey, "user_secret": g.UserSecret}
	var r tokenResponse
	if err := post(ctx, hc, g.BaseURL, "/authenticate", body, &r, g.UserSecret); err != nil {
		return nil, err
	}
	return r.token("/authenticate", "")
}

func (g Grant) refresh(ctx context.Context, hc *http.Client, refreshToken string) (*oauth2.Token, error) {
	var r tokenResponse
	body := map[string]string{"refresh_token": refreshToken}
	if err := post(ctx, hc, g.BaseURL, "/refresh", body, &r, refreshToken, g.UserSecret); err != nil {
		return nil, err
	}
	return r.token("/refresh", refreshToken)
}

// token converts the answer, keeping refreshToken when the answer has none.
func (r tokenResponse) token(path, refreshToken string) (*oauth2.Token, error) {
	if r.AccessToken == "" {
		return nil, &auth.TokenError{Grant: grantName, Err: fmt.Errorf("jsonlogin: the answer of %s has no access_token", path)}
	}
	tok := &oauth2.Token{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, TokenType: r.TokenType}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	if tok.TokenType == "" {
		tok.TokenType = "Bearer"
	}
	if secs, ok := auth.ParseExpiresIn(r.ExpiresIn); ok {
		tok.ExpiresIn = secs
		tok.Expiry = time.Now().Add(time.Duration(secs) * time.Second)
	} else if exp, ok := auth.JWTExpiry(r.AccessToken); ok {
		tok.Expiry = exp
	}
	return tok, nil
}

// view is the grant as every output shows it: its secret redacted.
func (g Grant) view() auth.View {
	return auth.View{Type: "jsonlogin.Grant", Attrs: []slog.Attr{slog.String("grant", grantName),
		slog.String("base_url", g.BaseURL), slog.String("user_key", g.UserKey), slog.String("user_secret", auth.Redact(g.UserSecret))}}
}

// String describes the grant without its secret.
func (g Grant) String() string { return g.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (g Grant) GoString() string { return g.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (g Grant) Format(f fmt.State, verb rune) { g.view().Format(f, verb) }

// LogValue logs the grant without its secret.
func (g Grant) LogValue() slog.Value { return g.view().LogValue() }

// MarshalJSON encodes the grant without its secret.
func (g Grant) MarshalJSON() ([]byte, error) { return g.view().MarshalJSON() }

var _ auth.Grant = Grant{}
