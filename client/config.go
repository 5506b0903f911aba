package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
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
	BaseURL      string // default https://api.mindpeeker.com/v1
	TokenURL     string // default https://auth.mindpeeker.com/oauth2/token
	ClientID     string // with ClientSecret: client_credentials grant
	ClientSecret string
	Scopes       []string           // scopes to request with ClientID/ClientSecret
	APIKey       string             // X-API-Key instead of OAuth
	TokenSource  oauth2.TokenSource // any other grant: an *auth.Source, or any oauth2.TokenSource (see Config)
	HTTPClient   *http.Client       // transport to build on; default a tuned one
	MaxRetries   int                // 0 = default (3); negative = no retries (a 401 is still renewed once)
	MaxRetryWait time.Duration      // cap on any single wait (Retry-After or backoff); default 30s
	UserAgent    string             // appended to the SDK's own
	Logger       *slog.Logger       // nil = silent; debug level logs each attempt, warn level a call whose retries ran out

	// TracerProvider and MeterProvider receive the client's spans and metrics
	// (see the package doc, "Telemetry"); nil means the global OpenTelemetry
	// providers, no-ops unless the program sets them (before or after New).
	// Trace context goes to the API through otel.GetTextMapPropagator().
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider

	// StallTimeout bounds how long a connection of the default transport may
	// stay silent: an attempt whose server sends nothing (no headers, or a body
	// that stops) or reads nothing for this long fails, and is retried as any
	// lost answer is. It applies whatever the context says, to API calls and
	// token requests, so that with context.Background() a call still ends: within
	// about (MaxRetries+1) × StallTimeout plus the retry waits. It bounds
	// silence, not the length of a call: a body that keeps arriving is not cut.
	// Default 30s. With your own HTTPClient, bound it yourself (its Timeout, or
	// its transport's timeouts); StallTimeout is then unused.
	StallTimeout time.Duration

	// DisableIdempotencyKeys stops the client sending an Idempotency-Key of its
	// own with each POST, for APIs that do not honour them. A POST is then
	// retried only when it provably never reached the server (the connection
	// could not be made), never after a lost answer or a 5xx, so nothing is
	// done twice. A key given with WithIdempotencyKey is still sent.
	DisableIdempotencyKeys bool

	// RateLimitWait is how long to wait before retrying a 429 that has no
	// Retry-After: 0 = default (5s), doubled on each such 429 (5s, then 10s),
	// capped by MaxRetryWait, and at most DefaultRateLimitRetries of them;
	// negative = such a 429 is returned at once. A 429 with Retry-After waits
	// what it says, and 5xx keep their short backoff (250ms doubling): an
	// overloaded server is not helped by a quick burst of repeats, and the
	// MindPeeker document's own handler waits 60s.
	RateLimitWait time.Duration

	// Credential is a per-request header credential for APIs that sign each
	// request (auth/mindtouch.ServerToken, for one). An *auth.Source here is
	// used as a bearer token source.
	Credential auth.HeaderCredential

	// RateGate, when set, shares the API's rate limit with other clients: a
	// 429 (or 503) with Retry-After that any of them gets closes the gate for
	// the API origin until then, and every client's calls wait for it (bounded
	// by MaxRetryWait and the context, as for their own 429) instead of
	// sending. Use an *auth.LocalRateGate for clients in one process, a
	// redisstore.RateGate for the replicas of a fleet. nil: each client on its
	// own, at no cost.
	RateGate auth.RateGate

	envChoice *EnvChoice // set by ConfigFromLookup; logged by New
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

// The credentials an [EnvChoice] names.
const (
	CredentialClientCredentials = "client credentials" // MINDPEEKER_CLIENT_ID with MINDPEEKER_CLIENT_SECRET
	CredentialAPIKey            = "api key"            // MINDPEEKER_API_KEY
)

// EnvChoice is the credential the MINDPEEKER_* variables select (see
// [ConfigFromLookup]). It holds variable names only, never their values.
type EnvChoice struct {
	Credential string   // CredentialClientCredentials, CredentialAPIKey, or "" when the variables set none
	Ignored    []string // credential variables that are set but not used, e.g. MINDPEEKER_API_KEY
}

// String says which credential is used and which variables are ignored, and
// why, without any value.
func (c EnvChoice) String() string {
	var msg string
	switch c.Credential {
	case CredentialClientCredentials:
		msg = "using client credentials (" + EnvClientID + ", " + EnvClientSecret + ")"
	case CredentialAPIKey:
		msg = "using the API key (" + EnvAPIKey + ")"
	default:
		return "no credential in the environment: set " + EnvClientID + " and " + EnvClientSecret + ", or " + EnvAPIKey
	}
	for _, name := range c.Ignored {
		switch name {
		case EnvAPIKey:
			msg += "; " + EnvAPIKey + " is ignored: client credentials take precedence"
		case EnvClientID:
			msg += "; " + EnvClientID + " is ignored: " + EnvClientSecret + " is not set"
		case EnvClientSecret:
			msg += "; " + EnvClientSecret + " is ignored: " + EnvClientID + " is not set"
		}
	}
	return msg
}

// ConfigFromLookup returns a Config from the MINDPEEKER_* variables (see the
// Env constants), read with getenv (os.Getenv for [ConfigFromEnv]), and the
// credential it chose. Fields the variables do not set stay zero, so the
// defaults apply. It is the one rule for the SDK and the mindpeeker command:
//
//   - MINDPEEKER_CLIENT_ID with MINDPEEKER_CLIENT_SECRET (client credentials)
//     win over MINDPEEKER_API_KEY. The MindPeeker document presents the API
//     key as "a simple alternative to OAuth 2.0", and its own configuration
//     example reads the client credentials from these variables, not the key;
//     their tokens are short-lived, renewed, and scoped by MINDPEEKER_SCOPES.
//   - Otherwise MINDPEEKER_API_KEY, when set; a lone client id or secret beside
//     it is ignored.
//   - Otherwise nothing is chosen, and a lone id or secret is passed through
//     so that [New] says what is missing.
//
// [New] logs the choice through Config.Logger: at info level when a variable is
// ignored, at debug level otherwise; never a value.
func ConfigFromLookup(getenv func(string) string) (Config, EnvChoice) {
	cfg := Config{BaseURL: getenv(EnvBaseURL), TokenURL: getenv(EnvTokenURL), Scopes: strings.Fields(getenv(EnvScopes))}
	id, secret, key := getenv(EnvClientID), getenv(EnvClientSecret), getenv(EnvAPIKey)
	var choice EnvChoice
	switch {
	case id != "" && secret != "":
		cfg.ClientID, cfg.ClientSecret = id, secret
		choice.Credential = CredentialClientCredentials
		if key != "" {
			choice.Ignored = append(choice.Ignored, EnvAPIKey)
		}
	case key != "":
		cfg.APIKey = key
		choice.Credential = CredentialAPIKey
		if id != "" {
			choice.Ignored = append(choice.Ignored, EnvClientID)
		}
		if secret != "" {
			choice.Ignored = append(choice.Ignored, EnvClientSecret)
		}
	default:
		cfg.ClientID, cfg.ClientSecret = id, secret
	}
	cfg.envChoice = &choice
	return cfg, choice
}

// ConfigFromEnv returns a Config from the MINDPEEKER_* variables of the
// process: [ConfigFromLookup] with os.Getenv. Set its Logger before [New] to
// see which credential was chosen.
func ConfigFromEnv() Config {
	cfg, _ := ConfigFromLookup(os.Getenv)
	return cfg
}

// NewFromEnv returns a Client configured from MINDPEEKER_CLIENT_ID,
// MINDPEEKER_CLIENT_SECRET, MINDPEEKER_API_KEY, MINDPEEKER_BASE_URL,
// MINDPEEKER_TOKEN_URL and MINDPEEKER_SCOPES (space-separated). When both
// client credentials and an API key are set, the client credentials win (see
// [ConfigFromLookup]).
func NewFromEnv() (*Client, error) {
	c, err := New(ConfigFromEnv())
	if err != nil {
		return nil, fmt.Errorf("%w (from the MINDPEEKER_* environment variables)", err)
	}
	return c, nil
}

// logEnvChoice logs, through cfg.Logger, the credential ConfigFromLookup
// chose, if cfg came from it and still uses that credential.
func (cfg Config) logEnvChoice() {
	if cfg.Logger == nil || cfg.envChoice == nil {
		return
	}
	switch c := cfg.envChoice.Credential; {
	case c == CredentialClientCredentials && cfg.ClientID != "" && cfg.ClientSecret != "":
	case c == CredentialAPIKey && cfg.APIKey != "":
	default:
		return // none chosen, or the caller changed the credential since
	}
	level := slog.LevelDebug
	if len(cfg.envChoice.Ignored) > 0 {
		level = slog.LevelInfo
	}
	cfg.Logger.Log(context.Background(), level, "mindpeeker: credential from the environment: "+cfg.envChoice.String())
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
