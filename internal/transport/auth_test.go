package transport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

func TestUnauthorizedRenewsOnceThenRetries(t *testing.T) {
	g := &tokenGrant{}
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t2" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeJSON(w, 401, `{"error":{"code":"invalid_token","message":"revoked"}}`)
			return
		}
		writeJSON(w, 200, `{"id":"ses_1"}`)
	})
	e := newEngine(t, srv.URL, bearerSource(g))
	var out struct{ ID string }
	require.NoError(t, e.Do(context.Background(), "GET", "/x", nil, &out))
	assert.Equal(t, "ses_1", out.ID)
	assert.EqualValues(t, 2, g.calls.Load())
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestSecondUnauthorizedIsReturned(t *testing.T) {
	g := &tokenGrant{}
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"error":{"code":"invalid_token","message":"no"}}`)
	})
	e := newEngine(t, srv.URL, bearerSource(g))
	err := e.Do(context.Background(), "GET", "/x", nil, nil)
	assert.ErrorIs(t, err, apierror.ErrUnauthorized)
	assert.EqualValues(t, 2, srv.hits.Load(), "one renewal, one retry")
	assert.EqualValues(t, 2, g.calls.Load())
}

func TestUnauthorizedStormRenewsOnce(t *testing.T) {
	g := &tokenGrant{}
	src := auth.NewSource(g)
	_, err := src.Token() // everyone starts with t1
	require.NoError(t, err)
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer t1" {
			writeJSON(w, 401, `{"error":{"code":"invalid_token","message":"revoked"}}`)
			return
		}
		writeJSON(w, 200, `{}`)
	})
	e := newEngine(t, srv.URL, transport.Bearer(src))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { assert.NoError(t, e.Do(context.Background(), "GET", "/x", nil, nil)) })
	}
	wg.Wait()
	assert.EqualValues(t, 2, g.calls.Load(), "50 requests meeting the same 401 cause one renewal")
}

func TestAPIKeyUnauthorizedIsFinal(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "mpk_secret", r.Header.Get("X-API-Key"))
		writeJSON(w, 401, `{"error":{"code":"invalid_token","message":"no"}}`)
	})
	e := newEngine(t, srv.URL, transport.APIKey("mpk_secret"))
	err := e.Do(context.Background(), "GET", "/x", nil, nil)
	assert.ErrorIs(t, err, apierror.ErrUnauthorized)
	assert.EqualValues(t, 1, srv.hits.Load())
}

func TestNoTokenNoRequest(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	failing := auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return nil, &auth.TokenError{Grant: "client_credentials", Code: "invalid_client", Err: assert.AnError}
	})
	e := newEngine(t, srv.URL, bearerSource(failing))
	err := e.Do(context.Background(), "GET", "/x", nil, nil)
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "invalid_client", te.Code)
	assert.EqualValues(t, 0, srv.hits.Load())
}

func TestCredentialNeverCrossesOrigin(t *testing.T) {
	tests := []struct {
		name  string
		authz transport.Authorizer
		hdr   string
	}{
		{"bearer", bearerSource(&tokenGrant{}), "Authorization"},
		{"api key", transport.APIKey("mpk_secret"), "X-Api-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// other: a different port on the same host (127.0.0.1), which Go's
			// http.Client treats as the same host for Authorization.
			var seenByOther []string
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenByOther = append(seenByOther, r.Header.Get(tt.hdr))
				if r.URL.Path == "/back" { // and back to the API origin
					http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
					return
				}
				writeJSON(w, 200, `{}`)
			}))
			defer other.Close()
			var seenByAPI []string
			var api *httptest.Server
			api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenByAPI = append(seenByAPI, r.Header.Get(tt.hdr))
				switch r.URL.Path {
				case "/away":
					http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
				case "/away-and-back":
					http.Redirect(w, r, other.URL+"/back?to="+api.URL+"/home", http.StatusFound)
				case "/same-origin":
					http.Redirect(w, r, "/home", http.StatusFound)
				default:
					writeJSON(w, 200, `{}`)
				}
			}))
			defer api.Close()
			e := newEngine(t, api.URL, tt.authz)
			for _, path := range []string{"/away", "/away-and-back", "/same-origin"} {
				require.NoError(t, e.Do(context.Background(), "GET", path, nil, nil), path)
			}
			for _, v := range seenByOther {
				assert.Empty(t, v, "credential sent to another origin")
			}
			assert.Len(t, seenByOther, 2)
			require.Len(t, seenByAPI, 5)
			for _, v := range seenByAPI {
				assert.NotEmpty(t, v, "credential kept for the API origin")
			}
		})
	}
}

func TestPlainHTTPRefusedForNonLoopback(t *testing.T) {
	tests := []struct {
		base    string
		wantErr bool
	}{
		{"http://api.example.com/v1", true},
		{"http://10.0.0.1:8080/v1", true},
		{"http://127.0.0.1:8080/v1", false},
		{"http://localhost:8080/v1", false},
		{"http://[::1]:8080/v1", false},
		{"https://api.example.com/v1", false},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			_, err := transport.New(transport.Options{BaseURL: tt.base, HTTPClient: http.DefaultClient, Authorizer: transport.APIKey("k")})
			if tt.wantErr {
				require.ErrorIs(t, err, auth.ErrInsecureURL)
				assert.Contains(t, err.Error(), "https")
				assert.NotContains(t, err.Error(), "k\"")
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestLogsHaveNoSecrets(t *testing.T) {
	var buf syncBuffer
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			writeJSON(w, 500, `{"error":{"code":"internal","message":"x"}}`)
			return
		}
		writeJSON(w, 200, `{}`)
	})
	e := newEngine(t, srv.URL, transport.APIKey("mpk_topsecret"), func(o *transport.Options) { o.Logger = debugLogger(&buf) })
	require.NoError(t, e.Do(context.Background(), "POST", "/api-keys/key_1/rotate", nil, nil))
	logs := buf.String()
	assert.Equal(t, 2, strings.Count(logs, `"msg":"mindpeeker: request attempt"`), logs)
	assert.Contains(t, logs, `"status":500`)
	assert.Contains(t, logs, `"path":"/api-keys/key_1/rotate"`)
	assert.Contains(t, logs, `"wait"`)
	assert.NotContains(t, logs, "topsecret")
}
