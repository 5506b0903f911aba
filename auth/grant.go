package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Grant obtains a new token. prev is the token being replaced (nil the first time),
// so a grant can use prev.RefreshToken.
//
// A Grant makes one attempt and reports its failure; it never loops. Wrap it in a
// [Source] to get caching, renewal ahead of expiry and persistence. The context
// carries the HTTP client to use (see [oauth2.HTTPClient]); the grants of this
// module send through a [TokenHTTPClient] copy of it, so that their secrets
// never follow a redirect to another origin, used directly or through a Source.
type Grant interface {
	Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error)
}

// GrantFunc adapts a function to [Grant].
type GrantFunc func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error)

// Token calls f(ctx, prev).
func (f GrantFunc) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	return f(ctx, prev)
}

// ClientCredentials is the RFC 6749 §4.4 client credentials grant: a program
// authenticating as itself, with no user. It is what [client.Config] uses when
// ClientID and ClientSecret are set.
type ClientCredentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// AuthStyle says how the client authenticates to the token endpoint. The zero
	// value sends client_id and client_secret in the form body, as the MindPeeker
	// and Mindbaz documents show; set oauth2.AuthStyleInHeader for HTTP Basic.
	// Auto-detection is never used: it re-sends a refused request in the other style.
	AuthStyle oauth2.AuthStyle
}

// Token requests a new token; prev is ignored (client credentials need no refresh token).
func (g ClientCredentials) Token(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
	if err := checkTokenURL(g.TokenURL); err != nil {
		return nil, err
	}
	cfg := clientcredentials.Config{
		ClientID: g.ClientID, ClientSecret: g.ClientSecret, TokenURL: g.TokenURL,
		Scopes: g.Scopes, AuthStyle: authStyle(g.AuthStyle),
	}
	tok, err := cfg.Token(withTokenClient(ctx))
	return tok, wrapTokenError("client_credentials", err)
}

// view is the grant as every output shows it: its secrets redacted.
func (g ClientCredentials) view() View {
	return View{Type: "auth.ClientCredentials", Attrs: []slog.Attr{slog.String("grant", "client_credentials"), slog.String("token_url", g.TokenURL), slog.String("client_id", g.ClientID),
		slog.String("client_secret", Redact(g.ClientSecret)), slog.Any("scopes", g.Scopes)}}
}

// String describes the grant without its secret.
func (g ClientCredentials) String() string { return g.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (g ClientCredentials) GoString() string { return g.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (g ClientCredentials) Format(f fmt.State, verb rune) { g.view().Format(f, verb) }

// LogValue logs the grant without its secret.
func (g ClientCredentials) LogValue() slog.Value { return g.view().LogValue() }

// MarshalJSON encodes the grant without its secret.
func (g ClientCredentials) MarshalJSON() ([]byte, error) { return g.view().MarshalJSON() }

// Password is the RFC 6749 §4.3 resource owner password credentials grant: the
// first token comes from the username and password, later ones from the refresh
// token. When the server refuses a refresh in any way (an answer 400 or 401,
// whatever its error code or body: invalid_grant, invalid_token,
// invalid_request, none, HTML; e.g. a refresh token that expired after
// Mindbaz's 7 days) it logs in with the password once more, so neither a
// running program nor one restarted from a [FileStore] stays stuck. A 5xx, a
// network failure or invalid_client (the client itself is refused, so a login
// would be too) is returned as is.
//
// RFC 9700 (OAuth 2.0 Security Best Current Practice) says the password grant
// MUST NOT be used, except for legacy systems that offer nothing else. It is here
// because some APIs this SDK serves (Mindbaz) offer only it; prefer
// [ClientCredentials] or [AuthCodeFlow] wherever the server allows.
type Password struct {
	TokenURL     string
	ClientID     string
	ClientSecret string // "" for a public client
	Username     string
	Password     string
	Scopes       []string
	AuthStyle    oauth2.AuthStyle // as in ClientCredentials
	// RenewMargin, when positive, is how long before expiry a [Source] renews
	// this grant's tokens (see [WithRenewBefore] and [RenewalPolicy]); 0 means
	// the Source's default rule.
	RenewMargin time.Duration
}

// MindbazRenewMargin is the [Password.RenewMargin] of the [Mindbaz] preset.
// The Mindbaz document asks clients to "reuse your token during its entire
// validity period and request a refresh as soon as it has expired", and its
// example stops using a token 10 seconds before expiry. A [Source] never hands
// a token out in its last 10 seconds either, so it renews, in the background,
// in the 10 seconds before that: the token is reused for all but its last 20
// seconds (1179 of Mindbaz's 1199), and no caller waits for the SSO.
const MindbazRenewMargin = 20 * time.Second

// Mindbaz returns the Password grant preset for the Mindbaz API: token URL
// https://sso.mindbaz.com/oauth2/token, client_id 100, and [MindbazRenewMargin].
// Mindbaz refresh tokens are single-use and live 7 days; when one is refused,
// the grant logs in with the password again.
func Mindbaz(username, password string) Password {
	return Password{TokenURL: "https://sso.mindbaz.com/oauth2/token", ClientID: "100",
		Username: username, Password: password, RenewMargin: MindbazRenewMargin}
}

// RenewBefore returns RenewMargin; it implements [RenewalPolicy].
func (g Password) RenewBefore() time.Duration { return g.RenewMargin }

// Token refreshes prev when it has a refresh token, else (or when the refresh is
// refused, see [Password]) logs in with the password.
func (g Password) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if err := checkTokenURL(g.TokenURL); err != nil {
		return nil, err
	}
	cfg := g.config()
	if prev != nil && prev.RefreshToken != "" {
		tok, err := refresh(ctx, cfg, prev.RefreshToken)
		if !refreshRefused(err) {
			return tok, wrapTokenError("refresh_token", err)
		}
	}
	tok, err := cfg.PasswordCredentialsToken(withTokenClient(ctx), g.Username, g.Password)
	return tok, wrapTokenError("password", err)
}

func (g Password) config() *oauth2.Config {
	return &oauth2.Config{ClientID: g.ClientID, ClientSecret: g.ClientSecret, Scopes: g.Scopes,
		Endpoint: oauth2.Endpoint{TokenURL: g.TokenURL, AuthStyle: authStyle(g.AuthStyle)}}
}

// view is the grant as every output shows it: its secrets redacted.
func (g Password) view() View {
	return View{Type: "auth.Password", Attrs: []slog.Attr{slog.String("grant", "password"), slog.String("token_url", g.TokenURL), slog.String("client_id", g.ClientID),
		slog.String("client_secret", Redact(g.ClientSecret)), slog.String("username", g.Username),
		slog.String("password", Redact(g.Password)), slog.Any("scopes", g.Scopes)}}
}

// String describes the grant without its secrets.
func (g Password) String() string { return g.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (g Password) GoString() string { return g.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (g Password) Format(f fmt.State, verb rune) { g.view().Format(f, verb) }

// LogValue logs the grant without its secrets.
func (g Password) LogValue() slog.Value { return g.view().LogValue() }

// MarshalJSON encodes the grant without its secrets.
func (g Password) MarshalJSON() ([]byte, error) { return g.view().MarshalJSON() }

// RefreshToken starts from a refresh token the user already has (from a login
// done elsewhere). When a token is renewed, the refresh token of the token being
// replaced wins over the configured one, and a server that returns no new refresh
// token leaves the old one in use (RFC 6749 §6). With a [Store], a stored token
// wins over the configured refresh token.
type RefreshToken struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	RefreshToken string
	Scopes       []string
	AuthStyle    oauth2.AuthStyle // as in ClientCredentials
}

// Token spends the newest refresh token (prev's, else the configured one) once.
// When the server refuses it (an answer 400 or 401, whatever its body, as for
// [Password]), the error wraps both [ErrLoginRequired] and the *[TokenError].
func (g RefreshToken) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if err := checkTokenURL(g.TokenURL); err != nil {
		return nil, err
	}
	rt := g.RefreshToken
	if prev != nil && prev.RefreshToken != "" {
		rt = prev.RefreshToken
	}
	if rt == "" {
		return nil, &TokenError{Grant: "refresh_token", Err: errors.New("no refresh token")}
	}
	cfg := &oauth2.Config{ClientID: g.ClientID, ClientSecret: g.ClientSecret, Scopes: g.Scopes,
		Endpoint: oauth2.Endpoint{TokenURL: g.TokenURL, AuthStyle: authStyle(g.AuthStyle)}}
	tok, err := refresh(ctx, cfg, rt)
	if refreshRefused(err) {
		return nil, fmt.Errorf("%w: %w", ErrLoginRequired, wrapTokenError("refresh_token", err))
	}
	return tok, wrapTokenError("refresh_token", err)
}

// view is the grant as every output shows it: its secrets redacted.
func (g RefreshToken) view() View {
	return View{Type: "auth.RefreshToken", Attrs: []slog.Attr{slog.String("grant", "refresh_token"), slog.String("token_url", g.TokenURL), slog.String("client_id", g.ClientID),
		slog.String("client_secret", Redact(g.ClientSecret)), slog.String("refresh_token", Redact(g.RefreshToken)),
		slog.Any("scopes", g.Scopes)}}
}

// String describes the grant without its secrets.
func (g RefreshToken) String() string { return g.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (g RefreshToken) GoString() string { return g.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (g RefreshToken) Format(f fmt.State, verb rune) { g.view().Format(f, verb) }

// LogValue logs the grant without its secrets.
func (g RefreshToken) LogValue() slog.Value { return g.view().LogValue() }

// MarshalJSON encodes the grant without its secrets.
func (g RefreshToken) MarshalJSON() ([]byte, error) { return g.view().MarshalJSON() }

// refresh spends refreshToken exactly once through x/oauth2's refresh code.
// x/oauth2 exports no "refresh now" call: its refresher sits behind a
// ReuseTokenSource that returns the old token while it looks valid, so the
// token handed to it is marked expired to force the request. The returned
// token keeps refreshToken when the server sent no new one (RFC 6749 §6).
func refresh(ctx context.Context, cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	return cfg.TokenSource(withTokenClient(ctx), expired).Token()
}

// authStyle maps the zero value to "in params": never x/oauth2's auto-detection,
// which retries a refused request in the other style and so can present a
// single-use refresh token twice.
func authStyle(s oauth2.AuthStyle) oauth2.AuthStyle {
	if s == oauth2.AuthStyleAutoDetect {
		return oauth2.AuthStyleInParams
	}
	return s
}

func checkTokenURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth: invalid token URL %s", RedactURL(raw))
	}
	return CheckSecureURL(u)
}
