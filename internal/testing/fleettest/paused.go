package fleettest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// pausedLockTTL is the lock's TTL in [RunPausedRenewer]: short, so that the
// paused renewer's lock expires quickly.
const pausedLockTTL = 300 * time.Millisecond

// RunPausedRenewer proves that a replica which loses the lock while renewing
// neither spends the refresh token another replica spent meanwhile nor fails a
// call. Replica A starts renewing and is held right after it loaded the token
// under the lock (a hook in its store), cut off from Redis until its lock has
// expired; replica B, with its own Redis connection, renews meanwhile; a call on
// A waits for A's renewal (A's token may have been revoked by B's refresh); then
// A resumes. Both replicas must end on B's token and the server must have seen
// one login and one refresh, no refresh token spent twice, no failed token
// request. cfg.Helper is not used: both replicas run in this process, on a
// clock the test moves. The server's access tokens must live a minute or more.
func RunPausedRenewer(t *testing.T, cfg Config) {
	t.Helper()
	srv := redistest.Start(t)
	var cutA redistest.Partition
	stA := &pausingStore{Store: newPausedStore(t, srv.Addr, &cutA), paused: make(chan struct{}), resume: make(chan struct{})}
	stB := newPausedStore(t, srv.Addr, nil)
	clk := &clock{t: time.Now()}
	grant := auth.Password{TokenURL: cfg.TokenURL, ClientID: cfg.ClientID, Username: cfg.Username, Password: cfg.Password}
	logs := &redistest.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := auth.NewSource(grant, auth.WithStore(stA), auth.WithClock(clk.Now), auth.WithLogger(logger))
	b := auth.NewSource(grant, auth.WithStore(stB), auth.WithClock(clk.Now), auth.WithLogger(logger))
	callA, callB := caller(t, cfg.APIURL, a), caller(t, cfg.APIURL, b)

	require.NoError(t, callA(), "A logs in")
	require.NoError(t, callB(), "B adopts A's token")
	first := token(t, a)
	require.Equal(t, first.AccessToken, token(t, b).AccessToken, "B did not adopt the stored token")
	require.GreaterOrEqual(t, first.ExpiresIn, int64(60), "the server's tokens live less than a minute")

	life := time.Duration(first.ExpiresIn) * time.Second
	clk.Add(life - min(life/8, 150*time.Second)) // time to renew (auth.Source's margins), the token still valid
	stA.armed.Store(true)
	require.NoError(t, callA(), "a call during A's renewal")
	waitFor(t, stA.paused, "A holding the lock, the token loaded")
	cutA.Cut()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	require.Eventually(t, func() bool { return rdb.Exists(context.Background(), stB.LockKey()).Val() == 0 },
		10*time.Second, 5*time.Millisecond, "A's lock did not expire")

	require.NoError(t, callB(), "B starts renewing")
	require.Eventually(t, func() bool { return token(t, b).AccessToken != first.AccessToken },
		10*time.Second, 5*time.Millisecond, "B did not renew")
	second := token(t, b)
	duringPause := make(chan error, 1)
	go func() { duringPause <- callA() }() // fosite revoked A's token: this call waits for A's renewal

	time.Sleep(50 * time.Millisecond)
	cutA.Heal()
	close(stA.resume)
	select {
	case err := <-duringPause:
		require.NoError(t, err, "a call made while A was paused")
	case <-time.After(30 * time.Second):
		t.Fatal("a call made while A was paused did not return")
	}
	assert.Eventually(t, func() bool { return token(t, a).AccessToken == second.AccessToken },
		10*time.Second, 5*time.Millisecond, "A did not adopt B's token")
	require.NoError(t, callA())
	require.NoError(t, callB())

	stored, err := stB.Load(t.Context())
	require.NoError(t, err)
	require.NotNil(t, stored)
	assert.Equal(t, Fingerprint(second.AccessToken), Fingerprint(stored.AccessToken), "the store lost B's token")
	got := cfg.Counts()
	t.Logf("server saw %+v; logs:\n%s", got, logs.String())
	assert.Equal(t, 1, got.Password, "logged in again")
	assert.Equal(t, 1, got.Refresh, "one renewal, one refresh")
	assert.Zero(t, got.Reuse, "a spent refresh token was presented")
	assert.Zero(t, got.Failed, "the server refused token requests")
	assert.Contains(t, logs.String(), "lock was lost before renewing", "A did not notice it lost the lock")
}

func newPausedStore(t *testing.T, addr string, p *redistest.Partition) *redisstore.Store {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	if p != nil {
		rdb.AddHook(p)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st, err := redisstore.New(rdb, redisstore.Options{Namespace: "test", Key: "paused",
		EncryptionKeys: [][]byte{bytes.Repeat([]byte{1}, redisstore.KeySize)}, LockTTL: pausedLockTTL,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	return st
}

// pausingStore holds the first load under its lock after armed is set until
// resume is closed, closing paused meanwhile: a renewer paused with the lock
// held, the token loaded.
type pausingStore struct {
	*redisstore.Store
	armed, held    atomic.Bool
	paused, resume chan struct{}
}

func (p *pausingStore) Lock(ctx context.Context) (func(), error) {
	_, unlock, err := p.LockLease(ctx)
	return unlock, err
}

func (p *pausingStore) LockLease(ctx context.Context) (context.Context, func(), error) {
	lease, unlock, err := p.Store.LockLease(ctx)
	if err != nil {
		return nil, nil, err
	}
	p.held.Store(true)
	return lease, func() { p.held.Store(false); unlock() }, nil
}

func (p *pausingStore) Load(ctx context.Context) (*oauth2.Token, error) {
	tok, err := p.Store.Load(ctx)
	p.pause()
	return tok, err
}

func (p *pausingStore) LoadGeneration(ctx context.Context) (*oauth2.Token, uint64, error) {
	tok, gen, err := p.Store.LoadGeneration(ctx)
	p.pause()
	return tok, gen, err
}

func (p *pausingStore) pause() {
	if p.held.Load() && p.armed.CompareAndSwap(true, false) {
		close(p.paused)
		<-p.resume
	}
}

// caller returns a function making one authenticated GET of url with src.
func caller(t *testing.T, url string, src *auth.Source) func() error {
	tr, err := auth.NewTransport(nil, url, src)
	require.NoError(t, err)
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	return func() error { return Get(hc, url) }
}

func token(t *testing.T, src *auth.Source) *oauth2.Token {
	tok, err := src.TokenContext(t.Context())
	require.NoError(t, err)
	return tok
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
