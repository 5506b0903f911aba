package client

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Config configures a [Client]. Set exactly one credential: ClientID and
// ClientSecret (client credentials grant), APIKey, TokenSource (any other grant,
// e.g. an *auth.Source over auth.Password), or Credential. Its fmt, slog and
// JSON output never show a secret.
//
// Config works for any API, not only MindPeeker's: set BaseURL, and the
// credential that API takes. Its errors become [*APIError] whatever their
// shape (OAuth's, JSON, XML, HTML or plain text).
//
// A TokenSource is asked for a token only when the client has none, or it is
// within 10 seconds of its expiry, and again after a 401: a source that then
// returns a new token gets the request retried once, and an
// [auth.Invalidator] is first told the refused token. An *auth.Source, which
// renews ahead of expiry, is asked for every request instead. x/oauth2's own
// sources (ReuseTokenSource: clientcredentials.Config.TokenSource,
// oauth2.Config.TokenSource) keep a refused token until it expires, so the
// call ends with [ErrTokenNotRenewed]; pass
// auth.NewSource(auth.ClientCredentialsGrant(cfg)) or
// auth.NewSource(auth.RefreshTokenGrant(cfg, refreshToken)) instead.
type Config struct {
	BaseURL      string             // default https://api.mindpeeker.com/v1
	TokenURL     string             // default https://auth.mindpeeker.com/oauth2/token
	ClientID     string             // with ClientSecret: client_credentials grant
	ClientSecret string             `json:"-"`
	Scopes       []string           // scopes to request with ClientID/ClientSecret
	APIKey       string             `json:"-"` // X-API-Key instead of OAuth
	TokenSource  oauth2.TokenSource // any other grant: an *auth.Source, or any oauth2.TokenSource (see Config)
	HTTPClient   *http.Client       // transport to build on; default a tuned one
	MaxRetries   int                // 0 = default (3); negative = no retries (a 401 is still renewed once)
	MaxRetryWait time.Duration      // cap on any single wait (Retry-After or backoff); default 30s
	UserAgent    string             // appended to the SDK's own
	Logger       *slog.Logger       // nil = silent; debug level logs each attempt

	// DisableIdempotencyKeys stops the client sending an Idempotency-Key of its
	// own with each POST, for APIs that do not honour them. A POST is then
	// retried only when it provably never reached the server (the connection
	// could not be made), never after a lost answer or a 5xx, so nothing is
	// done twice. A key given with WithIdempotencyKey is still sent.
	DisableIdempotencyKeys bool

	// Credential is a per-request header credential for APIs that sign each
	// request (auth/mindtouch.ServerToken, for one). An *auth.Source here is
	// used as a bearer token source.
	Credential auth.HeaderCredential
}

// The environment variables NewFromEnv reads.
const (
	EnvClientID     = "MINDPEEKER_CLIENT_ID"
	EnvClientSecret = "MINDPEEKER_CLIENT_SECRET"
	EnvAPIKey       = "MINDPEEKER_API_KEY"
	EnvBaseURL      = "MINDPEEKER_BASE_URL"
	EnvTokenURL     = "MINDPEEKER_TOKEN_URL"
	EnvScopes       = "MINDPEEKER_SCOPES" // space-separated
)

// ConfigFromEnv returns a Config from the MINDPEEKER_* variables (see the Env
// constants); fields they do not set stay zero, so the defaults apply.
func ConfigFromEnv() Config {
	return Config{
		ClientID: os.Getenv(EnvClientID), ClientSecret: os.Getenv(EnvClientSecret),
		APIKey: os.Getenv(EnvAPIKey), BaseURL: os.Getenv(EnvBaseURL), TokenURL: os.Getenv(EnvTokenURL),
		Scopes: strings.Fields(os.Getenv(EnvScopes)),
	}
}

// NewFromEnv returns a Client configured from MINDPEEKER_CLIENT_ID,
// MINDPEEKER_CLIENT_SECRET, MINDPEEKER_API_KEY, MINDPEEKER_BASE_URL,
// MINDPEEKER_TOKEN_URL and MINDPEEKER_SCOPES (space-separated).
func NewFromEnv() (*Client, error) {
	c, err := New(ConfigFromEnv())
	if err != nil {
		return nil, fmt.Errorf("%w (from the MINDPEEKER_* environment variables)", err)
	}
	return c, nil
}

// String describes the configuration with every secret redacted.
func (cfg Config) String() string {
	return fmt.Sprintf("client.Config{BaseURL: %q, TokenURL: %q, ClientID: %q, ClientSecret: %s, Scopes: %q, APIKey: %s, TokenSource: %s, MaxRetries: %d, MaxRetryWait: %s, UserAgent: %q}",
		cfg.BaseURL, cfg.TokenURL, cfg.ClientID, redact(cfg.ClientSecret), cfg.Scopes, redact(cfg.APIKey),
		typeName(cfg.TokenSource), cfg.MaxRetries, cfg.MaxRetryWait, cfg.UserAgent)
}

// GoString is String, so %#v redacts too.
func (cfg Config) GoString() string { return cfg.String() }

// LogValue logs the configuration without secrets.
func (cfg Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", cfg.BaseURL), slog.String("token_url", cfg.TokenURL),
		slog.String("client_id", cfg.ClientID), slog.Bool("api_key_set", cfg.APIKey != ""),
		slog.Any("scopes", cfg.Scopes))
}

func redact(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[REDACTED]"
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}
