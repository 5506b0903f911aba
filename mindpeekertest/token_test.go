package mindpeekertest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestClientAuthentication(t *testing.T) {
	srv := newServer(t)
	srv.AddClient("public-2", "")
	cc := func(kv ...string) url.Values {
		return form(append([]string{"grant_type", "client_credentials"}, kv...)...)
	}

	tests := []struct {
		name       string
		req        tokenReq
		wantStatus int
		wantErr    string
		wantBasic  bool // WWW-Authenticate: Basic expected
	}{
		{name: "basic", req: tokenReq{form: cc(), useBasicAuth: true, basicID: mpt.DefaultClientID, basicSecret: mpt.DefaultClientSecret}, wantStatus: 200},
		{name: "body", req: tokenReq{form: cc("client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret)}, wantStatus: 200},
		{name: "basic and matching body id", req: tokenReq{form: cc("client_id", mpt.DefaultClientID), useBasicAuth: true, basicID: mpt.DefaultClientID, basicSecret: mpt.DefaultClientSecret}, wantStatus: 200},
		{name: "basic and conflicting body id", req: tokenReq{form: cc("client_id", mpt.PublicClientID), useBasicAuth: true, basicID: mpt.DefaultClientID, basicSecret: mpt.DefaultClientSecret}, wantStatus: 400, wantErr: "invalid_request"},
		{name: "basic and conflicting body secret", req: tokenReq{form: cc("client_secret", "other"), useBasicAuth: true, basicID: mpt.DefaultClientID, basicSecret: mpt.DefaultClientSecret}, wantStatus: 400, wantErr: "invalid_request"},
		{name: "wrong secret basic", req: tokenReq{form: cc(), useBasicAuth: true, basicID: mpt.DefaultClientID, basicSecret: "nope"}, wantStatus: 401, wantErr: "invalid_client", wantBasic: true},
		{name: "wrong secret body", req: tokenReq{form: cc("client_id", mpt.DefaultClientID, "client_secret", "nope")}, wantStatus: 401, wantErr: "invalid_client"},
		{name: "missing secret", req: tokenReq{form: cc("client_id", mpt.DefaultClientID)}, wantStatus: 401, wantErr: "invalid_client"},
		{name: "unknown client", req: tokenReq{form: cc("client_id", "who", "client_secret", "x")}, wantStatus: 401, wantErr: "invalid_client"},
		{name: "no client", req: tokenReq{form: cc()}, wantStatus: 401, wantErr: "invalid_client"},
		{name: "public client with a secret", req: tokenReq{form: cc("client_id", "public-2", "client_secret", "x")}, wantStatus: 401, wantErr: "invalid_client"},
		{name: "public client may not use client_credentials", req: tokenReq{form: cc("client_id", mpt.PublicClientID)}, wantStatus: 400, wantErr: "unauthorized_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postToken(t, srv, tt.req)
			require.Equal(t, tt.wantStatus, r.status, "body: %s", r.body)
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			tj := r.token(t)
			if tt.wantErr == "" {
				assert.True(t, strings.HasPrefix(tj.AccessToken, "mpat_"), tj.AccessToken)
				assert.Equal(t, "Bearer", tj.TokenType)
				assert.EqualValues(t, 3600, tj.ExpiresIn)
				assert.Empty(t, tj.RefreshToken, "client_credentials has no refresh token")
				assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
				return
			}
			assert.Equal(t, tt.wantErr, tj.Error)
			assert.NotEmpty(t, tj.Description)
			if tt.wantBasic {
				assert.Contains(t, r.header.Get("WWW-Authenticate"), "Basic")
			} else {
				assert.Empty(t, r.header.Get("WWW-Authenticate"))
			}
			assert.NotContains(t, string(r.body), mpt.DefaultClientSecret)
			assert.NotContains(t, string(r.body), "nope")
		})
	}
}

func TestScopes(t *testing.T) {
	srv := newServer(t)
	srv.AddClient("reader", "reader-secret", "remote-viewing:read", "profile")
	get := func(id, secret, scope string) result {
		f := form("grant_type", "client_credentials", "client_id", id, "client_secret", secret)
		if scope != "" {
			f.Set("scope", scope)
		}
		return postToken(t, srv, tokenReq{form: f})
	}
	tests := []struct {
		name, id, secret, scope string
		wantScope               string // "" = error expected
	}{
		{"restricted, none asked", "reader", "reader-secret", "", "remote-viewing:read profile"},
		{"restricted, subset", "reader", "reader-secret", "profile", "profile"},
		{"restricted, outside", "reader", "reader-secret", "remote-viewing:write", ""},
		{"unrestricted, subset", mpt.DefaultClientID, mpt.DefaultClientSecret, "remote-viewing:read remote-viewing:write", "remote-viewing:read remote-viewing:write"},
		{"unrestricted, unknown scope", mpt.DefaultClientID, mpt.DefaultClientSecret, "root", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(tt.id, tt.secret, tt.scope)
			if tt.wantScope == "" {
				require.Equal(t, 400, r.status)
				assert.Equal(t, "invalid_scope", r.token(t).Error)
				return
			}
			require.Equal(t, 200, r.status, "body: %s", r.body)
			assert.Equal(t, tt.wantScope, r.token(t).Scope)
		})
	}

	t.Run("unrestricted token echoes every scope and can do anything", func(t *testing.T) {
		r := get(mpt.DefaultClientID, mpt.DefaultClientSecret, "")
		tj := r.token(t)
		assert.Contains(t, tj.Scope, "remote-viewing:admin")
		assert.Contains(t, tj.Scope, "organizations:write")
		assert.Equal(t, 201, api(t, srv, bearer(tj.AccessToken), "POST", "/sessions", map[string]string{"title": "x"}).status)
	})

	t.Run("scope is enforced on the API", func(t *testing.T) {
		read := clientCredentials(t, srv, "remote-viewing:read")
		assert.Equal(t, 200, api(t, srv, bearer(read), "GET", "/sessions", nil).status)
		r := api(t, srv, bearer(read), "POST", "/sessions", map[string]string{"title": "x"})
		assert.Equal(t, 403, r.status)
		assert.Equal(t, "insufficient_scope", r.errCode(t))
		assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
		id := srv.CreateSession("to delete")
		assert.Equal(t, 403, api(t, srv, bearer(read), "DELETE", "/sessions/"+id, nil).status)

		admin := clientCredentials(t, srv, "remote-viewing:admin")
		assert.Equal(t, 200, api(t, srv, bearer(admin), "GET", "/sessions", nil).status)
		assert.Equal(t, 204, api(t, srv, bearer(admin), "DELETE", "/sessions/"+id, nil).status)

		other := clientCredentials(t, srv, "dowsing:read")
		assert.Equal(t, 403, api(t, srv, bearer(other), "GET", "/sessions", nil).status)
		assert.Equal(t, 200, api(t, srv, bearer(other), "GET", "/api-keys", nil).status, "api-keys need no scope")
	})
}

func TestPasswordGrant(t *testing.T) {
	srv := newServer(t)
	for _, c := range []struct{ name, id, secret string }{
		{"confidential", mpt.DefaultClientID, mpt.DefaultClientSecret},
		{"public", mpt.PublicClientID, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := form("grant_type", "password", "client_id", c.id, "username", mpt.DefaultUsername, "password", mpt.DefaultPassword)
			if c.secret != "" {
				f.Set("client_secret", c.secret)
			}
			r := postToken(t, srv, tokenReq{form: f})
			require.Equal(t, 200, r.status, "body: %s", r.body)
			tj := r.token(t)
			assert.True(t, strings.HasPrefix(tj.RefreshToken, "mprt_"))
			assert.Equal(t, 200, api(t, srv, bearer(tj.AccessToken), "GET", "/sessions", nil).status)

			f.Set("password", "looking-glass")
			r = postToken(t, srv, tokenReq{form: f})
			require.Equal(t, 400, r.status)
			assert.Equal(t, "invalid_grant", r.token(t).Error)
			assert.NotContains(t, string(r.body), "looking-glass")

			f.Del("password")
			r = postToken(t, srv, tokenReq{form: f})
			assert.Equal(t, "invalid_request", r.token(t).Error)
		})
	}

	t.Run("AddUser", func(t *testing.T) {
		srv.AddUser("bob", "builder")
		r := postToken(t, srv, tokenReq{form: form("grant_type", "password", "client_id", mpt.PublicClientID, "username", "bob", "password", "builder")})
		assert.Equal(t, 200, r.status)
	})
}

func TestRefreshRotationStrict(t *testing.T) {
	srv := newServer(t)
	first := passwordGrant(t, srv)

	r := refresh(t, srv, first.RefreshToken)
	require.Equal(t, 200, r.status, "body: %s", r.body)
	second := r.token(t)
	require.NotEmpty(t, second.RefreshToken)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "refresh tokens rotate")
	assert.Equal(t, 200, api(t, srv, bearer(second.AccessToken), "GET", "/sessions", nil).status)

	// An unrelated grant must survive the family revocation below.
	unrelated := passwordGrant(t, srv)

	// Reusing the spent token: refused, counted, family revoked.
	r = refresh(t, srv, first.RefreshToken)
	require.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.token(t).Error)
	assert.Equal(t, 1, srv.Stats().SpentRefreshReuse)

	assert.Equal(t, 401, api(t, srv, bearer(first.AccessToken), "GET", "/sessions", nil).status)
	assert.Equal(t, 401, api(t, srv, bearer(second.AccessToken), "GET", "/sessions", nil).status)
	r = refresh(t, srv, second.RefreshToken)
	assert.Equal(t, 400, r.status, "the newest refresh token of the family is revoked too")
	assert.Equal(t, 1, srv.Stats().SpentRefreshReuse, "a revoked (not spent) token is not reuse")

	assert.Equal(t, 200, api(t, srv, bearer(unrelated.AccessToken), "GET", "/sessions", nil).status)
	assert.Equal(t, 200, refresh(t, srv, unrelated.RefreshToken).status)
}

func TestRefreshLenient(t *testing.T) {
	srv := newServer(t, mpt.WithLenientRefresh())
	first := passwordGrant(t, srv)
	second := refresh(t, srv, first.RefreshToken).token(t)

	r := refresh(t, srv, first.RefreshToken)
	require.Equal(t, 200, r.status, "lenient mode accepts a spent refresh token")
	third := r.token(t)
	assert.Equal(t, 1, srv.Stats().SpentRefreshReuse)
	for _, tok := range []string{first.AccessToken, second.AccessToken, third.AccessToken} {
		assert.Equal(t, 200, api(t, srv, bearer(tok), "GET", "/sessions", nil).status, "nothing revoked")
	}
	assert.Equal(t, 200, refresh(t, srv, second.RefreshToken).status)
}

func TestRefreshOmitRefresh(t *testing.T) {
	srv := newServer(t)
	first := passwordGrant(t, srv)
	srv.SetTokenResponse(mpt.TokenResponseStyle{OmitRefresh: true})
	for i := 0; i < 3; i++ {
		r := refresh(t, srv, first.RefreshToken)
		require.Equal(t, 200, r.status, "old refresh token stays valid; body: %s", r.body)
		assert.Empty(t, r.token(t).RefreshToken)
	}
	assert.Zero(t, srv.Stats().SpentRefreshReuse)
}

func TestRefreshErrors(t *testing.T) {
	srv := newServer(t)
	srv.AddClient("other", "other-secret")
	tj := passwordGrant(t, srv)

	r := postToken(t, srv, tokenReq{form: form("grant_type", "refresh_token", "refresh_token", tj.RefreshToken, "client_id", "other", "client_secret", "other-secret")})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.token(t).Error, "refresh token of another client")

	r = refresh(t, srv, "mprt_made-up")
	assert.Equal(t, "invalid_grant", r.token(t).Error)
	assert.NotContains(t, string(r.body), "mprt_made-up")

	r = refresh(t, srv, "")
	assert.Equal(t, "invalid_request", r.token(t).Error)

	t.Run("narrowing scope", func(t *testing.T) {
		r := refresh(t, srv, tj.RefreshToken+"")
		require.Equal(t, 200, r.status)
		rt := r.token(t).RefreshToken
		r = postToken(t, srv, tokenReq{form: form("grant_type", "refresh_token", "refresh_token", rt, "scope", "profile",
			"client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret)})
		require.Equal(t, 200, r.status)
		assert.Equal(t, "profile", r.token(t).Scope)
	})
}

func TestTokenEndpointErrors(t *testing.T) {
	srv := newServer(t)
	auth := []string{"client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret}

	r := do(t, nil, mustReq(t, "GET", srv.TokenURL(), ""))
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "POST", r.header.Get("Allow"))

	r = postToken(t, srv, tokenReq{form: form(append([]string{"grant_type", "implicit"}, auth...)...)})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "unsupported_grant_type", r.token(t).Error)

	r = postToken(t, srv, tokenReq{form: form(auth...)})
	assert.Equal(t, "invalid_request", r.token(t).Error)

	r = do(t, nil, mustReq(t, "POST", srv.TokenURL(), "%zz"))
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_request", r.token(t).Error)

	assert.NotEmpty(t, r.header.Get("X-Request-Id"))
}

func mustReq(t *testing.T, method, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func TestTokenResponseStyles(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now), mpt.WithTokenLifetime(10*time.Minute))
	ccForm := form("grant_type", "client_credentials", "client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret)

	tests := []struct {
		name  string
		style mpt.TokenResponseStyle
		check func(t *testing.T, r result)
	}{
		{"default", mpt.TokenResponseStyle{}, func(t *testing.T, r result) {
			assert.JSONEq(t, `600`, rawField(t, r, "expires_in"))
			assert.Equal(t, "Bearer", r.token(t).TokenType)
		}},
		{"string expires_in", mpt.TokenResponseStyle{ExpiresIn: "string"}, func(t *testing.T, r result) {
			assert.JSONEq(t, `"600"`, rawField(t, r, "expires_in"))
		}},
		{"absent expires_in", mpt.TokenResponseStyle{ExpiresIn: "absent"}, func(t *testing.T, r result) {
			assert.NotContains(t, r.json(t), "expires_in")
		}},
		{"lowercase token_type", mpt.TokenResponseStyle{TokenType: "bearer"}, func(t *testing.T, r result) {
			assert.Equal(t, "bearer", r.token(t).TokenType)
		}},
		{"form", mpt.TokenResponseStyle{Form: true, TokenType: "BEARER"}, func(t *testing.T, r result) {
			assert.Equal(t, "application/x-www-form-urlencoded", r.header.Get("Content-Type"))
			v, err := url.ParseQuery(string(r.body))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(v.Get("access_token"), "mpat_"))
			assert.Equal(t, "BEARER", v.Get("token_type"))
			assert.Equal(t, "600", v.Get("expires_in"))
		}},
		{"jwt", mpt.TokenResponseStyle{JWT: true}, func(t *testing.T, r result) {
			tok := r.token(t).AccessToken
			parts := strings.Split(tok, ".")
			require.Len(t, parts, 3)
			for _, p := range parts {
				assert.NotEmpty(t, p)
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			require.NoError(t, err)
			var claims struct {
				Exp int64 `json:"exp"`
				Iat int64 `json:"iat"`
			}
			require.NoError(t, json.Unmarshal(payload, &claims))
			assert.Equal(t, clock.Now().Add(10*time.Minute).Unix(), claims.Exp)
			assert.Equal(t, 200, api(t, srv, bearer(tok), "GET", "/sessions", nil).status, "JWTs are accepted by the API")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetTokenResponse(tt.style)
			r := postToken(t, srv, tokenReq{form: ccForm})
			require.Equal(t, 200, r.status, "body: %s", r.body)
			tt.check(t, r)
		})
	}
}

func rawField(t *testing.T, r result, name string) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &m))
	return string(m[name])
}

func TestTokenExpiryFollowsClock(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := clientCredentials(t, srv, "")
	clock.Advance(59 * time.Minute)
	assert.Equal(t, 200, api(t, srv, bearer(tok), "GET", "/sessions", nil).status)
	clock.Advance(time.Minute)
	r := api(t, srv, bearer(tok), "GET", "/sessions", nil)
	assert.Equal(t, 401, r.status)
	assert.Equal(t, "invalid_token", r.errCode(t))
	assert.Equal(t, `Bearer error="invalid_token"`, r.header.Get("WWW-Authenticate"))

	srv.SetTokenLifetime(30 * time.Second)
	r = postToken(t, srv, tokenReq{form: form("grant_type", "client_credentials", "client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret)})
	assert.EqualValues(t, 30, r.token(t).ExpiresIn)
}

func TestTokenLatency(t *testing.T) {
	srv := newServer(t, mpt.WithTokenLatency(50*time.Millisecond))
	start := time.Now()
	clientCredentials(t, srv, "")
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	srv.SetTokenLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	cfg := clientcredentials.Config{ClientID: mpt.DefaultClientID, ClientSecret: mpt.DefaultClientSecret, TokenURL: srv.TokenURL()}
	_, err := cfg.Token(ctx)
	require.Error(t, err, "the latency outlasts the client's deadline")

	srv.SetTokenLatency(0)
	_, err = cfg.Token(context.Background())
	require.NoError(t, err)
}

func TestXOAuth2ClientCredentials(t *testing.T) {
	srv := newServer(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
		cfg := clientcredentials.Config{
			ClientID: mpt.DefaultClientID, ClientSecret: mpt.DefaultClientSecret, TokenURL: srv.TokenURL(),
			Scopes: []string{"remote-viewing:read"}, AuthStyle: style,
		}
		tok, err := cfg.Token(context.Background())
		require.NoError(t, err, "style %v", style)
		assert.Equal(t, "remote-viewing:read", tok.Extra("scope"))
		assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second)
	}
}

func TestRevokeAllTokens(t *testing.T) {
	srv := newServer(t)
	cc := clientCredentials(t, srv, "")
	pw := passwordGrant(t, srv)
	_, key := srv.CreateAPIKey("survivor")

	srv.RevokeAllTokens()
	assert.Equal(t, 401, api(t, srv, bearer(cc), "GET", "/sessions", nil).status)
	assert.Equal(t, 401, api(t, srv, bearer(pw.AccessToken), "GET", "/sessions", nil).status)
	r := refresh(t, srv, pw.RefreshToken)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.token(t).Error)
	assert.Equal(t, 200, api(t, srv, apiKey(key), "GET", "/sessions", nil).status, "API keys survive")

	fresh := clientCredentials(t, srv, "")
	assert.Equal(t, 200, api(t, srv, bearer(fresh), "GET", "/sessions", nil).status, "new tokens work")
}

func TestTokenStats(t *testing.T) {
	srv := newServer(t)
	srv.IssueAccessToken() // not counted
	clientCredentials(t, srv, "")
	tj := passwordGrant(t, srv)
	refresh(t, srv, tj.RefreshToken)
	postToken(t, srv, tokenReq{form: form("grant_type", "client_credentials")}) // fails: no client

	st := srv.Stats()
	assert.Equal(t, 4, st.TokenRequests)
	assert.Equal(t, map[string]int{"client_credentials": 2, "password": 1, "refresh_token": 1}, st.TokenRequestsByGrant)
	assert.Equal(t, 3, st.TokensIssued)

	srv.ResetStats()
	st = srv.Stats()
	assert.Zero(t, st.TokenRequests)
	assert.Empty(t, st.TokenRequestsByGrant)
	assert.Empty(t, srv.Requests())
}
