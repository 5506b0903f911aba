package conformance_test

// Tests against go-oauth2, which is lenient: only the harness's own records
// would show a refresh token spent twice.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
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
