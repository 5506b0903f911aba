package jsonlogin_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin/jsonlogintest"
)

// clock is a manual clock shared by the fake server and the Source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func newUser(t *testing.T, opts ...jsonlogintest.Option) (*jsonlogintest.Server, jsonlogin.Grant) {
	t.Helper()
	srv := jsonlogintest.NewServer(opts...)
	t.Cleanup(srv.Close)
	key := srv.AddUser("alice", "alice-secret-pw")
	return srv, jsonlogin.Grant{BaseURL: srv.URL, UserKey: key, UserSecret: "alice-secret-pw"}
}

func TestSourceRenewsThroughRefreshAtJWTExpiry(t *testing.T) {
	clk := newClock()
	start := clk.Now()
	srv, grant := newUser(t, jsonlogintest.WithClock(clk.Now))
	src := auth.NewSource(grant, auth.WithClock(clk.Now))
	ctx := context.Background()

	first, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.WithinDuration(t, start.Add(time.Hour), first.Expiry, 0, "Expiry is the JWT exp claim")
	assert.NotEmpty(t, first.RefreshToken)
	assert.Equal(t, jsonlogintest.Stats{Authenticates: 1}, srv.Stats())

	// Half-way through its life the token is reused without any request.
	clk.Advance(30 * time.Minute)
	again, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.Same(t, first, again)
	assert.Equal(t, jsonlogintest.Stats{Authenticates: 1}, srv.Stats())

	// Five minutes before exp the Source renews in the background, through
	// /refresh, and keeps serving the current token meanwhile.
	clk.Advance(26 * time.Minute)
	during, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, during.AccessToken)
	require.Eventually(t, func() bool { return srv.Stats().Refreshes == 1 }, 5*time.Second, time.Millisecond)
	var second *oauth2.Token
	require.Eventually(t, func() bool {
		tok, err := src.TokenContext(ctx)
		second = tok
		return err == nil && tok.AccessToken != first.AccessToken
	}, 5*time.Second, time.Millisecond)
	assert.WithinDuration(t, clk.Now().Add(time.Hour), second.Expiry, 0)
	assert.Equal(t, first.RefreshToken, second.RefreshToken, "no refresh_token in the answer: the old one stays")
	assert.True(t, srv.ValidAccessToken(second.AccessToken))

	// Past the new token's usable life, the caller waits for a /refresh.
	clk.Advance(time.Hour)
	third, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, second.AccessToken, third.AccessToken)
	assert.Equal(t, jsonlogintest.Stats{Authenticates: 1, Refreshes: 2}, srv.Stats())
}

func TestSourceFallsBackToAuthenticateWhenRefreshRefused(t *testing.T) {
	clk := newClock()
	srv, grant := newUser(t, jsonlogintest.WithClock(clk.Now))
	src := auth.NewSource(grant, auth.WithClock(clk.Now))
	ctx := context.Background()

	first, err := src.TokenContext(ctx)
	require.NoError(t, err)
	srv.RefuseRefresh(true)
	clk.Advance(time.Hour)

	next, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, next.AccessToken)
	assert.NotEqual(t, first.RefreshToken, next.RefreshToken, "a new login brings a new refresh token")
	assert.True(t, srv.ValidAccessToken(next.AccessToken))
	assert.Equal(t, jsonlogintest.Stats{Authenticates: 2, RefusedRefreshes: 1}, srv.Stats())

	// Wrong credentials on the fallback are reported, not retried in a loop.
	srv2, _ := newUser(t, jsonlogintest.WithClock(clk.Now))
	bad := auth.NewSource(jsonlogin.Grant{BaseURL: srv2.URL, UserKey: "uk_nobody", UserSecret: "wrong"}, auth.WithClock(clk.Now))
	_, err = bad.TokenContext(ctx)
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 401, te.StatusCode)
	assert.Equal(t, jsonlogintest.Stats{FailedLogins: 1}, srv2.Stats())
}

func TestSourceAdoptsRotatedRefreshToken(t *testing.T) {
	clk := newClock()
	srv, grant := newUser(t, jsonlogintest.WithClock(clk.Now), jsonlogintest.WithRotatingRefreshTokens())
	src := auth.NewSource(grant, auth.WithClock(clk.Now))
	ctx := context.Background()

	prev, err := src.TokenContext(ctx)
	require.NoError(t, err)
	for range 3 {
		clk.Advance(time.Hour)
		tok, err := src.TokenContext(ctx)
		require.NoError(t, err)
		assert.NotEqual(t, prev.RefreshToken, tok.RefreshToken)
		prev = tok
	}
	// Had the grant kept a spent refresh token, the server would have refused
	// it and the grant would have logged in again.
	assert.Equal(t, jsonlogintest.Stats{Authenticates: 1, Refreshes: 3}, srv.Stats())
}
