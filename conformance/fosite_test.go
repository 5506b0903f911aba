package conformance_test

// Tests that need fosite's strictness: it revokes the whole token family when a
// spent refresh token comes back.

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

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
