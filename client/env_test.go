package client_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// mindpeekerDocServer is the MindPeeker API written from the seed document
// alone (mindpeeker-authentication.txt): POST /oauth2/token takes the form
// grant_type=client_credentials&client_id=&client_secret=[&scope=] and answers
// a bearer token; /v1/... takes "Authorization: Bearer <token>" or
// "X-API-Key: <key>". It refuses a request carrying both, so the test sees
// exactly one credential chosen.
type mindpeekerDocServer struct {
	*httptest.Server
	mu   sync.Mutex
	used []string // "bearer" or "api key", per API request
}

func newMindpeekerDocServer(t *testing.T, clientID, secret, apiKey string) *mindpeekerDocServer {
	d := &mindpeekerDocServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		form, err := url.ParseQuery(string(raw))
		if err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
			form.Get("grant_type") != "client_credentials" || form.Get("client_id") != clientID || form.Get("client_secret") != secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"doc-at","token_type":"Bearer","expires_in":3600,"scope":"remote-viewing:read"}`)
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		bearer, key := r.Header.Get("Authorization"), r.Header.Get("X-API-Key")
		var used string
		switch {
		case bearer != "" && key != "":
			http.Error(w, "two credentials", http.StatusBadRequest)
			return
		case bearer == "Bearer doc-at":
			used = "bearer"
		case key == apiKey:
			used = "api key"
		default:
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		d.mu.Lock()
		d.used = append(d.used, used)
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"key_1"}`)
	})
	d.Server = httptest.NewServer(mux)
	t.Cleanup(d.Close)
	return d
}

func TestConfigFromLookupPrecedence(t *testing.T) {
	const id, secret, key = "cid", "cs_secret", "mpk_key"
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		ignored []string
	}{
		{"all three: client credentials win", map[string]string{client.EnvClientID: id, client.EnvClientSecret: secret, client.EnvAPIKey: key},
			client.CredentialClientCredentials, []string{client.EnvAPIKey}},
		{"client credentials", map[string]string{client.EnvClientID: id, client.EnvClientSecret: secret}, client.CredentialClientCredentials, nil},
		{"api key", map[string]string{client.EnvAPIKey: key}, client.CredentialAPIKey, nil},
		{"api key and a lone id", map[string]string{client.EnvAPIKey: key, client.EnvClientID: id}, client.CredentialAPIKey, []string{client.EnvClientID}},
		{"api key and a lone secret", map[string]string{client.EnvAPIKey: key, client.EnvClientSecret: secret}, client.CredentialAPIKey, []string{client.EnvClientSecret}},
		{"none", map[string]string{}, "", nil},
		{"a lone id", map[string]string{client.EnvClientID: id}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, choice := client.ConfigFromLookup(func(k string) string { return tt.env[k] })
			assert.Equal(t, tt.want, choice.Credential)
			assert.Equal(t, tt.ignored, choice.Ignored)
			switch tt.want {
			case client.CredentialClientCredentials:
				assert.Equal(t, id, cfg.ClientID)
				assert.Equal(t, secret, cfg.ClientSecret)
				assert.Empty(t, cfg.APIKey)
			case client.CredentialAPIKey:
				assert.Equal(t, key, cfg.APIKey)
				assert.Empty(t, cfg.ClientID+cfg.ClientSecret)
			default: // passed through, so that New says what is missing
				assert.Equal(t, tt.env[client.EnvClientID], cfg.ClientID)
			}
			for _, s := range []string{secret, key} {
				assert.NotContains(t, choice.String(), s)
			}
		})
	}
}

func TestNewFromEnvAllThreeSet(t *testing.T) {
	const id, secret, key = "cid", "cs_TOPSECRET", "mpk_TOPSECRETKEY"
	d := newMindpeekerDocServer(t, id, secret, key)
	t.Setenv(client.EnvClientID, id)
	t.Setenv(client.EnvClientSecret, secret)
	t.Setenv(client.EnvAPIKey, key)
	t.Setenv(client.EnvBaseURL, d.URL+"/v1")
	t.Setenv(client.EnvTokenURL, d.URL+"/oauth2/token")
	t.Setenv(client.EnvScopes, "")

	c, err := client.NewFromEnv()
	require.NoError(t, err)
	_, err = c.APIKeys.Get(context.Background(), "key_1")
	require.NoError(t, err)

	// The same rule, with a logger: New says which credential it uses and
	// what it ignores, and never a secret.
	var logs bytes.Buffer
	cfg := client.ConfigFromEnv()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, err = client.New(cfg)
	require.NoError(t, err)
	_, err = c.APIKeys.Get(context.Background(), "key_1")
	require.NoError(t, err)

	assert.Equal(t, []string{"bearer", "bearer"}, d.used)
	assert.Contains(t, logs.String(), "client credentials")
	assert.Contains(t, logs.String(), client.EnvAPIKey)
	assert.NotContains(t, logs.String(), secret)
	assert.NotContains(t, logs.String(), key)
}
