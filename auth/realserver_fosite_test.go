package auth_test

// Tests of the grants against real OAuth 2.0 server libraries running on
// loopback (internal/oauthtest): ory/fosite, strict, which revokes a whole token
// family when a spent refresh token comes back, and go-oauth2/oauth2, lenient.
// Tests named TestRealServer_* run against both (realServers); TestFosite* need
// fosite's strictness. realserver_gooauth2_test.go holds the go-oauth2 tests and
// the 401 and authorization code tables; realserver_process_test.go the
// multi-process test.

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/oauthtest"
)

// realServers are the server libraries every table test runs against.
var realServers = []struct {
	name  string
	start func(oauthtest.TB, oauthtest.Options) *oauthtest.Server
}{
	{"fosite", oauthtest.NewFosite},
	{"go-oauth2", oauthtest.NewGoOAuth2},
}

// realLifespan is the access-token lifespan of the tests that wait for real
// expiry: the shortest for which fosite never announces expires_in 0.
const realLifespan = 2 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// grantCtx is the context for calling a Grant directly: it carries the
// server's HTTP client, as a Source's does.
func grantCtx(t *testing.T, srv *oauthtest.Server) context.Context {
	return context.WithValue(testCtx(t), oauth2.HTTPClient, srv.Client())
}

func passwordGrant(srv *oauthtest.Server) auth.Password {
	return auth.Password{TokenURL: srv.TokenURL, ClientID: oauthtest.PublicClientID,
		Username: oauthtest.Username, Password: oauthtest.Password, Scopes: []string{"read"}}
}

// requireActive asserts that the server accepts tok's access token.
func requireActive(t *testing.T, srv *oauthtest.Server, tok *oauth2.Token) *oauthtest.TokenInfo {
	t.Helper()
	require.NotNil(t, tok)
	info, err := srv.Introspect(context.Background(), tok.AccessToken)
	require.NoError(t, err, "the server must accept the access token")
	return info
}

// waitServerExpiry sleeps until tok has expired for the Source and then until
// the server itself no longer accepts it.
func waitServerExpiry(t *testing.T, srv *oauthtest.Server, tok *oauth2.Token) {
	t.Helper()
	time.Sleep(time.Until(tok.Expiry))
	require.Eventually(t, func() bool {
		_, err := srv.Introspect(context.Background(), tok.AccessToken)
		return errors.Is(err, oauthtest.ErrExpiredToken)
	}, 2*time.Second, 10*time.Millisecond, "the server should expire the access token")
}

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

// A restarted program continues from the stored, rotated refresh token, even
// when it is configured with the original (now spent) one.
func TestFositeRestartContinuesFromStoredRefreshToken(t *testing.T) {
	srv := oauthtest.NewFosite(t, oauthtest.Options{})
	path := filepath.Join(t.TempDir(), "state", "token.json")
	ctx := testCtx(t)
	var skewA atomic.Int64 // how far Source A's clock runs ahead
	clockA := func() time.Time { return time.Now().Add(time.Duration(skewA.Load())) }

	srcA := auth.NewSource(passwordGrant(srv), auth.WithStore(auth.NewFileStore(path)),
		auth.WithHTTPClient(srv.Client()), auth.WithClock(clockA))
	first, err := srcA.TokenContext(ctx)
	require.NoError(t, err)
	original := first.RefreshToken
	skewA.Store(int64(2 * time.Hour)) // A's token has expired: A renews
	rotated, err := srcA.TokenContext(ctx)
	require.NoError(t, err)
	require.NotEqual(t, original, rotated.RefreshToken, "the refresh token rotated")
	require.Equal(t, 1, srv.Stats().ByGrant["refresh_token"])
	// Source A is dropped here: the program exits.

	restarted := func(skew time.Duration) *auth.Source {
		return auth.NewSource(auth.RefreshToken{TokenURL: srv.TokenURL, ClientID: oauthtest.PublicClientID, RefreshToken: original},
			auth.WithStore(auth.NewFileStore(path)), auth.WithHTTPClient(srv.Client()),
			auth.WithClock(func() time.Time { return time.Now().Add(skew) }))
	}

	// Restarted while the stored token is still fresh: it is used as is.
	tok, err := restarted(2 * time.Hour).TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, rotated.AccessToken, tok.AccessToken)
	assert.Equal(t, 2, srv.Stats().TokenRequests, "no token request")

	// Restarted once it needs renewing: it spends the stored refresh token.
	tok, err = restarted(4 * time.Hour).TokenContext(ctx)
	require.NoError(t, err)
	requireActive(t, srv, tok)
	st := srv.Stats()
	assert.Equal(t, 2, st.ByGrant["refresh_token"])
	assert.Zero(t, st.RefreshReuse)
	assert.Zero(t, st.ReuseDetections, "the spent original refresh token was never presented")
	reqs := srv.TokenRequests()
	assert.Equal(t, oauthtest.Fingerprint(rotated.RefreshToken), reqs[len(reqs)-1].RefreshToken)

	stored, err := auth.NewFileStore(path).Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, stored.RefreshToken, "the newest refresh token is stored")
}

// The control for the tests above: presenting a spent refresh token is what
// fosite catches and punishes, so their zero counts mean something.
func TestFositeDetectsSpentRefreshToken(t *testing.T) {
	srv := oauthtest.NewFosite(t, oauthtest.Options{})
	ctx := testCtx(t)
	first, err := auth.NewSource(passwordGrant(srv), auth.WithHTTPClient(srv.Client())).TokenContext(ctx)
	require.NoError(t, err)
	spend := func() (*oauth2.Token, error) { // a fresh Source without a store, as a careless program would
		return auth.NewSource(auth.RefreshToken{TokenURL: srv.TokenURL, ClientID: oauthtest.PublicClientID,
			RefreshToken: first.RefreshToken}, auth.WithHTTPClient(srv.Client())).TokenContext(ctx)
	}
	second, err := spend()
	require.NoError(t, err)
	requireActive(t, srv, second)

	_, err = spend()
	require.Error(t, err)
	assert.True(t, auth.IsInvalidGrant(err), "%v", err)
	st := srv.Stats()
	assert.Equal(t, 1, st.ReuseDetections)
	assert.Equal(t, 1, st.RefreshReuse)
	_, err = srv.Introspect(ctx, second.AccessToken)
	assert.ErrorIs(t, err, oauthtest.ErrInactiveToken, "fosite revoked the whole family")
}
