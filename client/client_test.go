package client_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

func TestNewValidatesCredentials(t *testing.T) {
	static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})
	tests := []struct {
		name    string
		cfg     client.Config
		wantErr string
	}{
		{"client credentials", client.Config{ClientID: "id", ClientSecret: "s"}, ""},
		{"api key", client.Config{APIKey: "mpk_x"}, ""},
		{"token source", client.Config{TokenSource: static}, ""},
		{"credential", client.Config{Credential: auth.NewSource(auth.ClientCredentials{})}, ""},
		{"none", client.Config{}, "no credentials"},
		{"two", client.Config{APIKey: "mpk_x", ClientID: "id", ClientSecret: "s"}, "more than one credential"},
		{"id without secret", client.Config{ClientID: "id"}, "needs both ClientID and ClientSecret"},
		{"plain http to a remote host", client.Config{APIKey: "mpk_x", BaseURL: "http://api.example.com/v1"}, "plain http"},
		{"bad base URL", client.Config{APIKey: "mpk_x", BaseURL: "::"}, "invalid base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.NotNil(t, c.Sessions)
				assert.NotNil(t, c.APIKeys)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), "mpk_x")
		})
	}
}

func TestNewFromEnv(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Write([]byte(`{"id":"key_1"}`))
	}))
	defer srv.Close()
	t.Setenv(client.EnvAPIKey, "mpk_from_env")
	t.Setenv(client.EnvBaseURL, srv.URL+"/v1")
	t.Setenv(client.EnvClientID, "")
	t.Setenv(client.EnvScopes, "remote-viewing:read  profile")
	c, err := client.NewFromEnv()
	require.NoError(t, err)
	_, err = c.APIKeys.Get(context.Background(), "key_1")
	require.NoError(t, err)
	assert.Equal(t, "mpk_from_env", got.Header.Get("X-API-Key"))
	assert.Equal(t, "/v1/api-keys/key_1", got.URL.Path)
	assert.Regexp(t, regexp.MustCompile(`^mindpeeker-go/\d+\.\d+\.\d+ go/`+regexp.QuoteMeta(runtime.Version())+`$`), got.Header.Get("User-Agent"))
	assert.Equal(t, []string{"remote-viewing:read", "profile"}, client.ConfigFromEnv().Scopes)

	t.Setenv(client.EnvAPIKey, "")
	_, err = client.NewFromEnv()
	assert.ErrorContains(t, err, "MINDPEEKER_")
}

func TestUserAgentAppended(t *testing.T) {
	var ua string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua = r.Header.Get("User-Agent")
		w.Write([]byte(`{"id":"ses_1"}`))
	}))
	defer srv.Close()
	c, err := client.New(client.Config{APIKey: "k", BaseURL: srv.URL, UserAgent: "my-app/2.0"})
	require.NoError(t, err)
	_, err = c.Sessions.Get(context.Background(), "ses_1")
	require.NoError(t, err)
	assert.Regexp(t, `^mindpeeker-go/\S+ go/\S+ my-app/2\.0$`, ua)
}

func TestSecretsRedactedFromFmtAndSlog(t *testing.T) {
	const secret, key = "cs_TOPSECRET", "mpk_TOPSECRETKEY123"
	cfg := client.Config{ClientID: "id", ClientSecret: secret, APIKey: key}
	apiKey := apikeys.APIKey{ID: "key_1", Prefix: "mpk_TOPS", Key: key}
	grant := auth.ClientCredentials{ClientID: "id", ClientSecret: secret}
	// An APIKey nested in a slice or map reaches slog's JSON handler through
	// encoding/json, which includes Key by design: JSON is how a new key is
	// handed over (the command's -o json). Its fmt output is still masked.
	values := []any{cfg, &cfg, apiKey, &apiKey, grant, &grant, struct{ C client.Config }{cfg}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "TOPSECRET", "%s of %T", verb, v)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
		assert.NotContains(t, buf.String(), "TOPSECRET", "slog of %T", v)
	}
	for _, v := range []any{[]apikeys.APIKey{apiKey}, map[string]any{"k": apiKey}} {
		assert.NotContains(t, fmt.Sprintf("%v %+v %#v", v, v, v), "TOPSECRET")
	}
	assert.Equal(t, "mpk_TOPS…", apiKey.MaskedKey())
}
