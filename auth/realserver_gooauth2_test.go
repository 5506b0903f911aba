package auth_test

// Tests against go-oauth2 (lenient), and table tests against both servers of
// the 401 path and the authorization code flow (see realserver_fosite_test.go).

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
	"github.com/mindpeeker/mindpeeker-go/internal/oauthtest"
)

// go-oauth2 is lenient: it never revokes a token family, so a client that spends
// a refresh token twice would go unnoticed. The harness records every refresh
// token presented; each renewal must present the one the previous renewal
// received, and none twice.
func TestGoOAuth2RefreshChain(t *testing.T) {
	const renewals = 5
	srv := oauthtest.NewGoOAuth2(t, oauthtest.Options{})
	src := auth.NewSource(passwordGrant(srv), auth.WithHTTPClient(srv.Client()))
	ctx := testCtx(t)
	tok, err := src.TokenContext(ctx)
	require.NoError(t, err)
	toks := []*oauth2.Token{tok}
	for range renewals {
		src.Invalidate(tok) // as after a 401
		tok, err = src.TokenContext(ctx)
		require.NoError(t, err)
		requireActive(t, srv, tok)
		toks = append(toks, tok)
	}

	st := srv.Stats()
	assert.Equal(t, 1, st.ByGrant["password"])
	assert.Equal(t, renewals, st.ByGrant["refresh_token"], "one refresh per renewal")
	assert.Zero(t, st.RefreshReuse, "no refresh token presented twice")
	reqs := srv.TokenRequests()
	require.Len(t, reqs, renewals+1)
	seen := map[string]bool{}
	for i, r := range reqs[1:] {
		assert.Equal(t, reqs[i].IssuedRefresh, r.RefreshToken, "renewal %d spends the refresh token of the one before", i+1)
		assert.Equal(t, oauthtest.Fingerprint(toks[i].RefreshToken), r.RefreshToken)
		assert.False(t, seen[r.RefreshToken], "renewal %d presents a fresh refresh token", i+1)
		seen[r.RefreshToken] = true
	}

	// The lenience itself: a spent refresh token is refused, but unlike fosite
	// nothing else is revoked, so only the harness's count would show the bug.
	_, err = auth.RefreshToken{TokenURL: srv.TokenURL, ClientID: oauthtest.PublicClientID,
		RefreshToken: toks[0].RefreshToken}.Token(grantCtx(t, srv), nil)
	assert.True(t, auth.IsInvalidGrant(err), "%v", err)
	requireActive(t, srv, tok)
	assert.Equal(t, 1, srv.Stats().RefreshReuse)
	assert.Zero(t, srv.Stats().ReuseDetections)
}

// A server that refuses a token (401) makes the Transport invalidate it once;
// the renewal adopts the token another Source already obtained and saved,
// spending no refresh token, and the request is retried with it.
func TestRealServer_RejectedTokenRenewsOnce(t *testing.T) {
	for _, rs := range realServers {
		t.Run(rs.name, func(t *testing.T) {
			srv := rs.start(t, oauthtest.Options{})
			ctx := testCtx(t)
			store := &auth.MemoryStore{}
			srcA := auth.NewSource(passwordGrant(srv), auth.WithStore(store), auth.WithHTTPClient(srv.Client()))
			srcB := auth.NewSource(passwordGrant(srv), auth.WithStore(store), auth.WithHTTPClient(srv.Client()))
			old, err := srcA.TokenContext(ctx)
			require.NoError(t, err)
			tokB, err := srcB.TokenContext(ctx)
			require.NoError(t, err)
			require.Equal(t, old.AccessToken, tokB.AccessToken, "B adopts A's stored token")

			srcA.Invalidate(old) // A renews; the server revokes the old access token
			fresh, err := srcA.TokenContext(ctx)
			require.NoError(t, err)
			require.NotEqual(t, old.AccessToken, fresh.AccessToken)
			_, err = srv.Introspect(ctx, old.AccessToken)
			require.ErrorIs(t, err, oauthtest.ErrInactiveToken, "the server revoked the replaced access token")

			tr, err := auth.NewTransport(srv.Client().Transport, srv.ResourceURL, srcB)
			require.NoError(t, err)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.ResourceURL, nil)
			require.NoError(t, err)
			resp, err := (&http.Client{Transport: tr}).Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)

			st := srv.Stats()
			assert.Equal(t, 2, st.ResourceRequests)
			assert.Equal(t, 1, st.ResourceRejected, "the stale token, once")
			assert.Equal(t, 1, st.ByGrant["password"])
			assert.Equal(t, 1, st.ByGrant["refresh_token"], "B adopted A's token instead of refreshing")
			assert.Zero(t, st.RefreshReuse)
			assert.Zero(t, st.ReuseDetections)
			now, err := srcB.TokenContext(ctx)
			require.NoError(t, err)
			assert.Equal(t, fresh.AccessToken, now.AccessToken)
		})
	}
}

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
