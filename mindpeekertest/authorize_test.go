package mindpeekertest_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// RFC 7636 Appendix B.
const (
	rfcVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	redirectURI  = "http://127.0.0.1:8765/callback"
)

// authorize calls the authorize endpoint and returns the redirect's query.
func authorize(t *testing.T, srv *mpt.Server, q url.Values) (int, url.Values) {
	t.Helper()
	r := do(t, noRedirect(), mustReq(t, "GET", srv.AuthorizeURL()+"?"+q.Encode(), ""))
	if r.status != http.StatusFound {
		return r.status, nil
	}
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	return r.status, loc.Query()
}

func authzQuery(clientID string, kv ...string) url.Values {
	q := form("response_type", "code", "client_id", clientID, "redirect_uri", redirectURI, "state", "st-123")
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

func exchange(t *testing.T, srv *mpt.Server, clientID, code string, kv ...string) result {
	t.Helper()
	f := form("grant_type", "authorization_code", "client_id", clientID, "code", code, "redirect_uri", redirectURI)
	if clientID == mpt.DefaultClientID {
		f.Set("client_secret", mpt.DefaultClientSecret)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return postToken(t, srv, tokenReq{form: f})
}

func TestRFC7636Vector(t *testing.T) {
	sum := sha256.Sum256([]byte(rfcVerifier))
	require.Equal(t, rfcChallenge, base64.RawURLEncoding.EncodeToString(sum[:]))
}

func TestAuthorizationCodePKCE(t *testing.T) {
	srv := newServer(t)
	status, q := authorize(t, srv, authzQuery(mpt.PublicClientID,
		"code_challenge", rfcChallenge, "code_challenge_method", "S256", "scope", "remote-viewing:read profile"))
	require.Equal(t, http.StatusFound, status)
	assert.Equal(t, "st-123", q.Get("state"))
	code := q.Get("code")
	require.NotEmpty(t, code)

	r := exchange(t, srv, mpt.PublicClientID, code)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.token(t).Error, "code_verifier is required")

	r = exchange(t, srv, mpt.PublicClientID, code, "code_verifier", "wrong-verifier-wrong-verifier-wrong-verifier-x")
	assert.Equal(t, "invalid_grant", r.token(t).Error)
	assert.NotContains(t, string(r.body), "wrong-verifier")

	r = exchange(t, srv, mpt.PublicClientID, code, "code_verifier", rfcVerifier)
	require.Equal(t, 200, r.status, "body: %s", r.body)
	tj := r.token(t)
	assert.Equal(t, "remote-viewing:read profile", tj.Scope)
	assert.NotEmpty(t, tj.RefreshToken)
	assert.Equal(t, 200, api(t, srv, bearer(tj.AccessToken), "GET", "/sessions", nil).status)
	assert.Equal(t, 3, srv.Stats().TokenRequestsByGrant["authorization_code"], "three exchanges counted")

	// Codes are single-use; reuse also revokes what the code produced.
	r = exchange(t, srv, mpt.PublicClientID, code, "code_verifier", rfcVerifier)
	assert.Equal(t, "invalid_grant", r.token(t).Error)
	assert.Equal(t, 401, api(t, srv, bearer(tj.AccessToken), "GET", "/sessions", nil).status)

	// The refresh token of an authorization code grant works for a public client.
	srv2 := newServer(t)
	_, q = authorize(t, srv2, authzQuery(mpt.PublicClientID, "code_challenge", rfcChallenge, "code_challenge_method", "S256"))
	tj = exchange(t, srv2, mpt.PublicClientID, q.Get("code"), "code_verifier", rfcVerifier).token(t)
	r = postToken(t, srv2, tokenReq{form: form("grant_type", "refresh_token", "client_id", mpt.PublicClientID, "refresh_token", tj.RefreshToken)})
	assert.Equal(t, 200, r.status, "body: %s", r.body)
}

func TestAuthorizationCodeConfidentialWithoutPKCE(t *testing.T) {
	srv := newServer(t)
	_, q := authorize(t, srv, authzQuery(mpt.DefaultClientID))
	code := q.Get("code")
	require.NotEmpty(t, code)

	r := exchange(t, srv, mpt.DefaultClientID, code, "code_verifier", rfcVerifier)
	assert.Equal(t, "invalid_grant", r.token(t).Error, "verifier without a challenge")
	r = exchange(t, srv, mpt.DefaultClientID, code, "redirect_uri", "http://127.0.0.1:9999/other")
	assert.Equal(t, "invalid_grant", r.token(t).Error, "redirect_uri must match")
	r = exchange(t, srv, mpt.PublicClientID, code)
	assert.Equal(t, "invalid_grant", r.token(t).Error, "code of another client")
	r = exchange(t, srv, mpt.DefaultClientID, code)
	assert.Equal(t, 200, r.status, "body: %s", r.body)
}

func TestAuthorizationCodeExpires(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	_, q := authorize(t, srv, authzQuery(mpt.DefaultClientID))
	clock.Advance(61 * time.Second)
	r := exchange(t, srv, mpt.DefaultClientID, q.Get("code"))
	assert.Equal(t, "invalid_grant", r.token(t).Error)
}

func TestAuthorizeErrors(t *testing.T) {
	srv := newServer(t)
	pkce := []string{"code_challenge", rfcChallenge, "code_challenge_method", "S256"}
	redirected := []struct {
		name    string
		client  string
		kv      []string
		wantErr string
	}{
		{"public client without PKCE", mpt.PublicClientID, nil, "invalid_request"},
		{"plain method", mpt.PublicClientID, []string{"code_challenge", rfcChallenge, "code_challenge_method", "plain"}, "invalid_request"},
		{"missing method", mpt.PublicClientID, []string{"code_challenge", rfcChallenge}, "invalid_request"},
		{"malformed challenge", mpt.DefaultClientID, []string{"code_challenge", "short", "code_challenge_method", "S256"}, "invalid_request"},
		{"wrong response_type", mpt.DefaultClientID, []string{"response_type", "token"}, "unsupported_response_type"},
		{"bad scope", mpt.PublicClientID, append([]string{"scope", "root"}, pkce...), "invalid_scope"},
	}
	for _, tt := range redirected {
		t.Run(tt.name, func(t *testing.T) {
			status, q := authorize(t, srv, authzQuery(tt.client, tt.kv...))
			require.Equal(t, http.StatusFound, status)
			assert.Equal(t, tt.wantErr, q.Get("error"))
			assert.Equal(t, "st-123", q.Get("state"))
			assert.Empty(t, q.Get("code"))
		})
	}

	direct := []struct {
		name string
		kv   []string
	}{
		{"unknown client", []string{"client_id", "nobody"}},
		{"no redirect_uri", []string{"redirect_uri", ""}},
		{"http non-loopback redirect", []string{"redirect_uri", "http://example.com/cb"}},
		{"custom scheme redirect", []string{"redirect_uri", "myapp://cb"}},
	}
	for _, tt := range direct {
		t.Run(tt.name, func(t *testing.T) {
			status, _ := authorize(t, srv, authzQuery(mpt.DefaultClientID, tt.kv...))
			assert.Equal(t, http.StatusBadRequest, status, "never redirect to an unverified URI")
		})
	}

	t.Run("accepted redirect URIs", func(t *testing.T) {
		for _, u := range []string{"http://localhost:1234/cb", "http://[::1]:1234/cb", "https://app.example.com/cb?keep=1"} {
			status, q := authorize(t, srv, authzQuery(mpt.DefaultClientID, "redirect_uri", u))
			require.Equal(t, http.StatusFound, status, u)
			assert.NotEmpty(t, q.Get("code"), u)
		}
		r := do(t, noRedirect(), mustReq(t, "GET", srv.AuthorizeURL()+"?"+authzQuery(mpt.DefaultClientID, "redirect_uri", "https://app.example.com/cb?keep=1").Encode(), ""))
		assert.Contains(t, r.header.Get("Location"), "keep=1")
	})

	t.Run("DenyAuthorization", func(t *testing.T) {
		srv.DenyAuthorization(true)
		_, q := authorize(t, srv, authzQuery(mpt.PublicClientID, pkce...))
		assert.Equal(t, "access_denied", q.Get("error"))
		assert.Equal(t, "st-123", q.Get("state"))
		srv.DenyAuthorization(false)
		_, q = authorize(t, srv, authzQuery(mpt.PublicClientID, pkce...))
		assert.NotEmpty(t, q.Get("code"))
	})
}

// x/oauth2's own PKCE helpers work against the fake, for a public client
// with either client authentication style.
func TestXOAuth2AuthCodeFlow(t *testing.T) {
	srv := newServer(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := &oauth2.Config{
			ClientID:    mpt.PublicClientID,
			Endpoint:    oauth2.Endpoint{AuthURL: srv.AuthorizeURL(), TokenURL: srv.TokenURL(), AuthStyle: style},
			RedirectURL: redirectURI,
			Scopes:      []string{"remote-viewing:read"},
		}
		verifier := oauth2.GenerateVerifier()
		authURL := cfg.AuthCodeURL("state-42", oauth2.S256ChallengeOption(verifier))
		r := do(t, noRedirect(), mustReq(t, "GET", authURL, ""))
		require.Equal(t, http.StatusFound, r.status)
		loc, err := url.Parse(r.header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "state-42", loc.Query().Get("state"))

		tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err, "style %v", style)
		assert.NotEmpty(t, tok.RefreshToken)
		assert.Equal(t, 200, api(t, srv, bearer(tok.AccessToken), "GET", "/sessions", nil).status)

		// Refresh through x/oauth2 once the token is stale.
		tok.Expiry = time.Now().Add(-time.Minute)
		fresh, err := cfg.TokenSource(context.Background(), tok).Token()
		require.NoError(t, err)
		assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
		assert.NotEqual(t, tok.RefreshToken, fresh.RefreshToken)
	}
}
