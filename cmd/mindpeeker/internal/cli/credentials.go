package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// DefaultClientID is the public OAuth client (no secret; PKCE protects the
// login) that 'mindpeeker auth login' uses when MINDPEEKER_CLIENT_ID is not set.
const DefaultClientID = "mindpeeker-cli"

// Environment variables the command reads besides the client's MINDPEEKER_*
// ones (client.EnvClientID and friends).
const (
	EnvAuthorizeURL = "MINDPEEKER_AUTHORIZE_URL" // authorization endpoint for 'auth login'
	EnvConfigDir    = "MINDPEEKER_CONFIG_DIR"    // directory of the stored login
)

// errNoCredentials is returned when neither the environment nor a stored login
// provides a credential.
var errNoCredentials = errors.New("no credentials: set MINDPEEKER_CLIENT_ID and MINDPEEKER_CLIENT_SECRET, " +
	"or MINDPEEKER_API_KEY, or run 'mindpeeker auth login'")

// credential kinds, for hints in error messages.
const (
	credAPIKey            = "api key"
	credClientCredentials = "client credentials"
	credStoredLogin       = "stored login"
)

// creds is the resolved configuration of one run.
type creds struct {
	cfg  client.Config
	kind string // one of the cred* constants
}

// resolve picks the credential and URLs of this run: the environment's, by
// the SDK's one rule (client.ConfigFromLookup: MINDPEEKER_CLIENT_ID with
// MINDPEEKER_CLIENT_SECRET, else MINDPEEKER_API_KEY), else the stored login.
// URLs come from the flags, else the environment, else the stored login (for
// a login), else the SDK's defaults. With --verbose, client.New logs the
// choice.
func (a *app) resolve(ctx context.Context) (*creds, error) {
	cfg, choice := client.ConfigFromLookup(a.env)
	cfg.BaseURL = first(a.baseURL, cfg.BaseURL)
	cfg.TokenURL = first(a.tokenURL, cfg.TokenURL)
	cfg.Logger = a.logger()
	cfg.UserAgent = "mindpeeker-cli/" + client.Version
	switch choice.Credential {
	case client.CredentialAPIKey:
		return &creds{cfg: cfg, kind: credAPIKey}, nil
	case client.CredentialClientCredentials:
		return &creds{cfg: cfg, kind: credClientCredentials}, nil
	}
	id, secret := cfg.ClientID, cfg.ClientSecret
	if secret != "" && id == "" {
		return nil, usageErrorf("%s is set but %s is not", client.EnvClientSecret, client.EnvClientID)
	}
	cfg.ClientID, cfg.ClientSecret = "", "" // a lone id names the stored login's public client

	store, dir, err := a.loginStore()
	if err != nil {
		return nil, err
	}
	tok, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the stored login: %w", err)
	}
	if tok == nil && id != "" {
		// The id alone serves a stored login; without one, half a pair is a
		// configuration mistake, like the secret without the id.
		return nil, usageErrorf("%s is set but %s is not, and there is no stored login: set %[2]s, or run 'mindpeeker auth login'",
			client.EnvClientID, client.EnvClientSecret)
	}
	if tok == nil {
		return nil, errNoCredentials
	}
	info, err := readLoginInfo(dir)
	if err != nil {
		return nil, err
	}
	if err := a.checkLoginOrigins(info); err != nil {
		return nil, err
	}
	cfg.BaseURL = first(cfg.BaseURL, info.BaseURL)
	cfg.TokenURL = first(cfg.TokenURL, info.TokenURL, client.DefaultTokenURL)
	src := auth.NewSource(auth.RefreshToken{
		TokenURL: cfg.TokenURL,
		ClientID: first(id, info.ClientID, DefaultClientID),
		Scopes:   cfg.Scopes,
	}, auth.WithStore(store), auth.WithLogger(cfg.Logger))
	cfg.TokenSource = src
	a.credKind = credStoredLogin
	return &creds{cfg: cfg, kind: credStoredLogin}, nil
}

// newClient returns a client for this run's credentials.
func (a *app) newClient(ctx context.Context) (*client.Client, error) {
	c, err := a.resolve(ctx)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(c.cfg)
	if err != nil {
		// Bad URLs (plain http to a remote host, unparsable) are configuration
		// mistakes: usage errors.
		return nil, &usageError{err}
	}
	return cl, nil
}

// logger is the --verbose logger (debug level, text, stderr), or nil.
func (a *app) logger() *slog.Logger {
	if !a.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// configDir is the directory of the stored login: $MINDPEEKER_CONFIG_DIR, else
// the user config directory + "/mindpeeker".
func (a *app) configDir() (string, error) {
	if d := a.env(EnvConfigDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory (set %s): %w", EnvConfigDir, err)
	}
	return filepath.Join(base, "mindpeeker"), nil
}

// loginStore returns the token file store of 'auth login' and its directory.
func (a *app) loginStore() (*auth.FileStore, string, error) {
	dir, err := a.configDir()
	if err != nil {
		return nil, "", err
	}
	return auth.NewFileStore(filepath.Join(dir, "token.json")), dir, nil
}

// isAuthFailure reports whether err means the credentials were refused or are
// missing (exit code 3), as opposed to an API or network failure.
func isAuthFailure(err error) bool {
	if errors.Is(err, client.ErrUnauthorized) || errors.Is(err, client.ErrForbidden) ||
		errors.Is(err, errNoCredentials) || errors.Is(err, auth.ErrInsecureFile) || errors.Is(err, auth.ErrStateMismatch) {
		return true
	}
	var ae *auth.AuthorizationError
	if errors.As(err, &ae) {
		return true
	}
	var te *auth.TokenError
	if errors.As(err, &te) {
		return tokenRefused(te)
	}
	return false
}

// tokenRefused reports whether the token endpoint refused the credentials (a
// 400, 401 or 403, or an error code saying so), as opposed to failing for a
// while: a 5xx, a 429, server_error, temporarily_unavailable, or no answer at
// all. Retrying may mend the latter; only new credentials mend the former.
func tokenRefused(te *auth.TokenError) bool {
	switch {
	case te.StatusCode >= 500, te.StatusCode == http.StatusTooManyRequests,
		te.Code == "server_error", te.Code == "temporarily_unavailable":
		return false
	case te.Code == "invalid_client", te.Code == "invalid_grant", te.Code == "unauthorized_client",
		te.Code == "invalid_scope", te.Code == "access_denied":
		return true
	}
	switch te.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}

// first returns the first non-empty string.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
