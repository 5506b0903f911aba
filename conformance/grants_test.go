package conformance_test

// Grants against both servers: client credentials in every auth style, the
// password grant refreshed at expiry by many goroutines at once, and the 401
// path of auth.Transport.

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

func TestRealServer_ClientCredentials(t *testing.T) {
	styles := []struct {
		name, id, secret string
		style            oauth2.AuthStyle
		wantAuth         string
	}{
		{"basic", oauthtest.BasicClientID, oauthtest.BasicClientSecret, oauth2.AuthStyleInHeader, "basic"},
		{"in params (zero value)", oauthtest.PostClientID, oauthtest.PostClientSecret, 0, "post"},
		{"in params", oauthtest.PostClientID, oauthtest.PostClientSecret, oauth2.AuthStyleInParams, "post"},
	}
	refused := []struct {
		name, id, secret string
		style            oauth2.AuthStyle
	}{
		{"wrong secret", oauthtest.PostClientID, "not-the-secret", 0},
		{"basic client in params", oauthtest.BasicClientID, oauthtest.BasicClientSecret, 0},
		{"params client with basic", oauthtest.PostClientID, oauthtest.PostClientSecret, oauth2.AuthStyleInHeader},
	}
	for _, rs := range realServers {
		t.Run(rs.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range styles {
				t.Run(c.name, func(t *testing.T) {
					srv := rs.start(t, oauthtest.Options{})
					src := auth.NewSource(auth.ClientCredentials{TokenURL: srv.TokenURL, ClientID: c.id,
						ClientSecret: c.secret, Scopes: []string{"read"}, AuthStyle: c.style}, auth.WithHTTPClient(srv.Client()))
					tok, err := src.TokenContext(testCtx(t))
					require.NoError(t, err)
					info := requireActive(t, srv, tok)
					assert.Equal(t, c.id, info.ClientID)
					assert.Equal(t, []string{"read"}, info.Scopes)

					again, err := src.TokenContext(testCtx(t))
					require.NoError(t, err)
					assert.Same(t, tok, again, "the cached token is reused")
					reqs := srv.TokenRequests()
					require.Len(t, reqs, 1)
					assert.Equal(t, "client_credentials", reqs[0].Grant)
					assert.Equal(t, c.wantAuth, reqs[0].ClientAuth)
				})
			}
			for _, c := range refused {
				t.Run(c.name, func(t *testing.T) {
					srv := rs.start(t, oauthtest.Options{})
					src := auth.NewSource(auth.ClientCredentials{TokenURL: srv.TokenURL, ClientID: c.id,
						ClientSecret: c.secret, AuthStyle: c.style}, auth.WithHTTPClient(srv.Client()))
					_, err := src.TokenContext(testCtx(t))
					var te *auth.TokenError
					require.ErrorAs(t, err, &te)
					assert.Equal(t, "invalid_client", te.Code)
					assert.Equal(t, "client_credentials", te.Grant)
					assert.Equal(t, 401, te.StatusCode)
					var re *oauth2.RetrieveError
					require.ErrorAs(t, err, &re)
					assert.Equal(t, "invalid_client", re.ErrorCode)
					assert.NotContains(t, err.Error(), c.secret)
					assert.Equal(t, 1, srv.Stats().TokenRequests, "one request: the other auth style is never tried")
				})
			}
		})
	}
}

// At expiry, with the server's token expired too, 50 goroutines ask at once:
// each renewal spends the refresh token exactly once and all of them get the
// new token, which the server accepts.
func TestRealServer_PasswordRefreshAtExpiry(t *testing.T) {
	t.Parallel()
	const goroutines, renewals = 50, 2
	for _, rs := range realServers {
		t.Run(rs.name, func(t *testing.T) {
			t.Parallel()
			srv := rs.start(t, oauthtest.Options{AccessTokenLifespan: realLifespan})
			src := auth.NewSource(passwordGrant(srv), auth.WithHTTPClient(srv.Client()))
			ctx := testCtx(t)
			prev, err := src.TokenContext(ctx)
			require.NoError(t, err)
			requireActive(t, srv, prev)
			require.NotEmpty(t, prev.RefreshToken)

			for round := 1; round <= renewals; round++ {
				waitServerExpiry(t, srv, prev)
				start := make(chan struct{})
				toks := make([]*oauth2.Token, goroutines)
				errs := make([]error, goroutines)
				var wg sync.WaitGroup
				for i := range goroutines {
					wg.Go(func() {
						<-start
						toks[i], errs[i] = src.TokenContext(ctx)
					})
				}
				close(start)
				wg.Wait()
				for i := range goroutines {
					require.NoError(t, errs[i], "goroutine %d", i)
					assert.Equal(t, toks[0].AccessToken, toks[i].AccessToken, "goroutine %d", i)
				}
				cur := toks[0]
				requireActive(t, srv, cur)
				assert.NotEqual(t, prev.AccessToken, cur.AccessToken)
				assert.NotEqual(t, prev.RefreshToken, cur.RefreshToken, "the refresh token rotated")

				st := srv.Stats()
				assert.Equal(t, 1, st.ByGrant["password"], "round %d", round)
				assert.Equal(t, round, st.ByGrant["refresh_token"], "round %d: one refresh per renewal", round)
				assert.Zero(t, st.RefreshReuse, "round %d", round)
				assert.Zero(t, st.ReuseDetections, "round %d", round)
				reqs := srv.TokenRequests()
				last := reqs[len(reqs)-1]
				assert.Equal(t, oauthtest.Fingerprint(prev.RefreshToken), last.RefreshToken, "spent the newest refresh token")
				assert.Equal(t, oauthtest.Fingerprint(cur.RefreshToken), last.IssuedRefresh)
				prev = cur
			}
		})
	}
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
