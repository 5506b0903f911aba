package redisstore_test

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/fleettest"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// fakeClock is a clock the test moves, shared by the Sources and the server.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Redis dies mid-run: the cached tokens keep working, a client-credentials
// Source renews from its grant with a warning, and a refresh-token Source
// refuses to spend its shared refresh token without the lock.
func TestRedisOutage(t *testing.T) {
	redisSrv := startRedis(t)
	// No retries, so that each command fails at once once Redis is gone (the
	// defaults retry for about two seconds).
	rdb := redis.NewClient(&redis.Options{Addr: redisSrv.Addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	var commands commandCounter
	rdb.AddHook(&commands)
	clk := &fakeClock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	api := mindpeekertest.NewServer(mindpeekertest.WithClock(clk.Now), mindpeekertest.WithTokenLifetime(time.Hour))
	t.Cleanup(api.Close)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := t.Context()

	cc := auth.NewSource(auth.ClientCredentials{TokenURL: api.TokenURL(), ClientID: mindpeekertest.DefaultClientID,
		ClientSecret: mindpeekertest.DefaultClientSecret}, auth.WithStore(newStore(t, rdb, "cc")), auth.WithClock(clk.Now), auth.WithLogger(logger))
	pw := auth.NewSource(auth.Password{TokenURL: api.TokenURL(), ClientID: mindpeekertest.PublicClientID,
		Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword},
		auth.WithStore(newStore(t, rdb, "pw")), auth.WithClock(clk.Now), auth.WithLogger(logger))
	call := func(src *auth.Source) error {
		tr, err := auth.NewTransport(nil, api.APIURL(), src)
		require.NoError(t, err)
		return fleettest.Get(&http.Client{Transport: tr, Timeout: 10 * time.Second}, api.APIURL()+"/sessions")
	}
	require.NoError(t, call(cc))
	require.NoError(t, call(pw))
	ccFirst, err := cc.TokenContext(ctx)
	require.NoError(t, err)
	pwFirst, err := pw.TokenContext(ctx)
	require.NoError(t, err)

	redisSrv.Stop()
	before := commands.n.Load()
	clk.Add(30 * time.Minute)
	for range 20 {
		require.NoError(t, call(cc), "a call failed while the cached token was valid")
		require.NoError(t, call(pw), "a call failed while the cached token was valid")
	}
	assert.Equal(t, before, commands.n.Load(), "a cache hit touched Redis")
	assert.Empty(t, logs.String())

	// Time to renew (57 of 60 minutes): the current tokens are still handed
	// out while the renewals run in the background.
	clk.Add(27 * time.Minute)
	require.NoError(t, call(cc))
	require.NoError(t, call(pw), "a failed background renewal failed a call")
	require.Eventually(t, func() bool {
		return strings.Contains(logs.String(), "not spending the shared refresh token") &&
			strings.Contains(logs.String(), "kept in memory only")
	}, 10*time.Second, 10*time.Millisecond, "both background renewals ran")
	require.NoError(t, call(pw), "the valid token is still used")

	// Past the first tokens' expiry, with Redis still down.
	clk.Add(3 * time.Minute)
	require.NoError(t, call(cc), "client credentials renewed from the grant without Redis")
	ccNext, err := cc.TokenContext(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, ccFirst.AccessToken, ccNext.AccessToken)
	assert.Contains(t, logs.String(), "token store lock unavailable; renewing without it")
	assert.Contains(t, logs.String(), "token store unavailable; renewing from the grant")
	assert.Contains(t, logs.String(), "kept in memory only")

	_, err = pw.TokenContext(ctx)
	require.Error(t, err, "the refresh token was spent without the lock")
	assert.ErrorContains(t, err, "cannot lock the token store, not spending the shared refresh token")
	assert.ErrorContains(t, err, "redisstore: taking the lock")
	require.Error(t, call(pw))

	s := api.Stats()
	assert.Equal(t, 2, s.TokenRequestsByGrant["client_credentials"], "one login, one renewal")
	assert.Equal(t, 1, s.TokenRequestsByGrant["password"])
	assert.Zero(t, s.TokenRequestsByGrant["refresh_token"], "the shared refresh token was spent without the lock")
	for _, secret := range []string{ccFirst.AccessToken, ccNext.AccessToken, pwFirst.AccessToken, pwFirst.RefreshToken,
		mindpeekertest.DefaultClientSecret, mindpeekertest.DefaultPassword} {
		assert.False(t, strings.Contains(logs.String(), secret), "a secret is in the logs")
	}
	t.Logf("logs:\n%s", logs.String())
}
