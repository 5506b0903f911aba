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
type Config struct {
	BaseURL      string // default https://api.mindpeeker.com/v1
	TokenURL     string // default https://auth.mindpeeker.com/oauth2/token
	ClientID     string // with ClientSecret: client_credentials grant
	ClientSecret string
	Scopes       []string           // scopes to request with ClientID/ClientSecret
	APIKey       string             // X-API-Key instead of OAuth
	TokenSource  oauth2.TokenSource // any other grant (auth.Source, oauth2.Config.TokenSource, ...)
	HTTPClient   *http.Client       // transport to build on; default a tuned one
	MaxRetries   int                // 0 = default (3); negative = no retries (a 401 is still renewed once)
	MaxRetryWait time.Duration      // cap on any single wait (Retry-After or backoff); default 30s
	UserAgent    string             // appended to the SDK's own
	Logger       *slog.Logger       // nil = silent; debug level logs each attempt

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

// view is the configuration as every output shows it: secrets redacted, the
// credential and token source by their own redacted views.
func (cfg Config) view() auth.View {
	return auth.View{Type: "client.Config", Attrs: []slog.Attr{
		slog.String("base_url", cfg.BaseURL), slog.String("token_url", cfg.TokenURL), slog.String("client_id", cfg.ClientID),
		slog.String("client_secret", auth.Redact(cfg.ClientSecret)), slog.Any("scopes", cfg.Scopes),
		slog.String("api_key", auth.Redact(cfg.APIKey)), slog.String("token_source", typeName(cfg.TokenSource)),
		slog.String("credential", typeName(cfg.Credential)), slog.Int("max_retries", cfg.MaxRetries),
		slog.Duration("max_retry_wait", cfg.MaxRetryWait), slog.String("user_agent", cfg.UserAgent)}}
}

// String describes the configuration with every secret redacted.
func (cfg Config) String() string { return cfg.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (cfg Config) GoString() string { return cfg.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (cfg Config) Format(f fmt.State, verb rune) { cfg.view().Format(f, verb) }

// LogValue logs the configuration without its secrets.
func (cfg Config) LogValue() slog.Value { return cfg.view().LogValue() }

// MarshalJSON encodes the configuration without its secrets.
func (cfg Config) MarshalJSON() ([]byte, error) { return cfg.view().MarshalJSON() }

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}
