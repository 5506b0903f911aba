package conformance_test

// The authorization code flow (auth.AuthCodeFlow, auth.LoginLoopback) against
// both servers, which require PKCE (S256).

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

// noRedirects is a browser that stops at the authorization server's redirect,
// so the test can read the callback URL.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize sends the browser to authURL and returns the callback's query.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	resp, err := noRedirects.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode)
	loc, err := resp.Location()
	require.NoError(t, err)
	require.Equal(t, "/callback", loc.Path)
	return loc.Query()
}

// The authorization code flow with PKCE and state against servers that require
// PKCE: the code is exchanged once, with its own verifier, and only for the
// state that was issued; a refusal is reported with its code, and nothing that
// fails a check on the callback reaches the token endpoint.
func TestRealServer_AuthCodePKCE(t *testing.T) {
	for _, rs := range realServers {
		t.Run(rs.name, func(t *testing.T) {
			srv := rs.start(t, oauthtest.Options{})
			flow := auth.NewAuthCodeFlow(&oauth2.Config{ClientID: oauthtest.PublicClientID, Scopes: []string{"read"},
				RedirectURL: "http://127.0.0.1:43210/callback", // any loopback port (RFC 8252)
				Endpoint:    oauth2.Endpoint{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL}})
			tokenRequests := func() int { return srv.Stats().TokenRequests }

			t.Run("success", func(t *testing.T) {
				authURL, p, err := flow.Start()
				require.NoError(t, err)
				cb := authorize(t, authURL)
				assert.Equal(t, p.State, cb.Get("state"))
				tok, err := flow.Exchange(grantCtx(t, srv), p, cb)
				require.NoError(t, err)
				info := requireActive(t, srv, tok)
				assert.Equal(t, oauthtest.Username, info.Subject)
				assert.Equal(t, []string{"read"}, info.Scopes)
				require.NotEmpty(t, tok.RefreshToken)

				before := tokenRequests()
				_, err = flow.Exchange(grantCtx(t, srv), p, cb) // the same code again
				var te *auth.TokenError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "authorization_code", te.Grant)
				assert.Equal(t, "invalid_grant", te.Code, "a code is single-use")
				assert.Equal(t, before+1, tokenRequests())
			})
			t.Run("forged state", func(t *testing.T) {
				authURL, p, err := flow.Start()
				require.NoError(t, err)
				cb := authorize(t, authURL)
				cb.Set("state", "forged-"+cb.Get("state"))
				before := tokenRequests()
				_, err = flow.Exchange(grantCtx(t, srv), p, cb)
				require.ErrorIs(t, err, auth.ErrStateMismatch)
				assert.Equal(t, before, tokenRequests(), "no token request")
			})
			t.Run("wrong verifier", func(t *testing.T) {
				authURL, p, err := flow.Start()
				require.NoError(t, err)
				cb := authorize(t, authURL)
				wrong := &auth.Pending{State: p.State, Verifier: oauth2.GenerateVerifier()}
				before := tokenRequests()
				_, err = flow.Exchange(grantCtx(t, srv), wrong, cb)
				var te *auth.TokenError
				require.ErrorAs(t, err, &te, "the server enforces PKCE")
				assert.Equal(t, "invalid_grant", te.Code)
				assert.Equal(t, before+1, tokenRequests())
			})
			t.Run("access denied", func(t *testing.T) {
				srv.DenyAuthorization(true)
				defer srv.DenyAuthorization(false)
				authURL, p, err := flow.Start()
				require.NoError(t, err)
				cb := authorize(t, authURL)
				before := tokenRequests()
				_, err = flow.Exchange(grantCtx(t, srv), p, cb)
				var ae *auth.AuthorizationError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "access_denied", ae.Code)
				assert.Contains(t, err.Error(), "access_denied")
				assert.Equal(t, before, tokenRequests(), "no token request")
			})
		})
	}
}

// LoginLoopback completes against a real server, with an in-process browser
// that follows the redirects to the loopback callback.
func TestRealServer_LoginLoopback(t *testing.T) {
	browser := func(authURL string) error {
		resp, err := http.Get(authURL) // follows the redirect to the callback
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return err
	}
	for _, rs := range realServers {
		t.Run(rs.name, func(t *testing.T) {
			srv := rs.start(t, oauthtest.Options{})
			cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID, Scopes: []string{"read"},
				Endpoint: oauth2.Endpoint{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL}}
			opts := auth.LoopbackOptions{OpenBrowser: browser, Prompt: io.Discard, Timeout: 10 * time.Second}
			tok, err := auth.LoginLoopback(grantCtx(t, srv), cfg, opts)
			require.NoError(t, err)
			assert.Equal(t, oauthtest.Username, requireActive(t, srv, tok).Subject)

			srv.DenyAuthorization(true)
			_, err = auth.LoginLoopback(grantCtx(t, srv), cfg, opts)
			var ae *auth.AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "access_denied", ae.Code)
			assert.Equal(t, 1, srv.Stats().ByGrant["authorization_code"])
		})
	}
}
