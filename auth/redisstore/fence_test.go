package redisstore_test

import (
	"context"
	"log/slog"
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
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestStoreGenerations(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	st := newStore(t, rdb, "gen", func(o *redisstore.Options) { o.TTL = time.Hour })
	assert.Equal(t, "mindpeeker:{test:gen}:gen", st.GenerationKey())

	tok, gen, err := st.LoadGeneration(ctx)
	require.NoError(t, err)
	assert.Nil(t, tok)
	assert.Zero(t, gen, "an empty store is generation 0")

	// A value written before generations existed (a plain SET) is generation 0.
	old := newStore(t, rdb, "gen")
	require.NoError(t, old.Save(ctx, sampleToken()))
	raw := rdb.Get(ctx, st.TokenKey()).Val()
	require.NoError(t, rdb.Del(ctx, st.GenerationKey()).Err())
	require.NoError(t, rdb.Set(ctx, st.TokenKey(), raw, 0).Err())
	tok, gen, err = st.LoadGeneration(ctx)
	require.NoError(t, err)
	assertSameToken(t, sampleToken(), tok)
	assert.Zero(t, gen)

	next := sampleToken()
	next.AccessToken = "access-token-SECRET-next"
	err = st.SaveIf(ctx, next, 1)
	require.ErrorIs(t, err, auth.ErrStale, "saved over a generation it did not load")
	assert.NotContains(t, err.Error(), "SECRET")
	require.NoError(t, st.SaveIf(ctx, next, 0))
	tok, gen, err = st.LoadGeneration(ctx)
	require.NoError(t, err)
	assert.Equal(t, next.AccessToken, tok.AccessToken)
	assert.Equal(t, uint64(1), gen)
	require.ErrorIs(t, st.SaveIf(ctx, sampleToken(), 0), auth.ErrStale, "a second save from the same generation")

	require.NoError(t, st.Save(ctx, sampleToken()), "Save is unconditional")
	_, gen, err = st.LoadGeneration(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), gen)
	assert.Equal(t, "2", rdb.Get(ctx, st.GenerationKey()).Val(), "the generation is a plain counter, nothing secret")
	assert.Greater(t, rdb.PTTL(ctx, st.GenerationKey()).Val(), 59*time.Minute, "the generation expires with the token")

	require.NoError(t, st.Delete(ctx))
	tok, gen, err = st.LoadGeneration(ctx)
	require.NoError(t, err)
	assert.Nil(t, tok)
	assert.Equal(t, uint64(3), gen, "a deletion is a generation, so a renewal under way cannot save the token back")
	require.ErrorIs(t, st.SaveIf(ctx, sampleToken(), 2), auth.ErrStale)
}

func TestLockLeaseEnds(t *testing.T) {
	srv := startRedis(t)
	const ttl = 300 * time.Millisecond
	ctx := t.Context()
	t.Run("another owner", func(t *testing.T) {
		rdb := srv.Client(t)
		st := newStore(t, rdb, "lease-owner", withLockTTL(ttl))
		lease, unlock, err := st.LockLease(ctx)
		require.NoError(t, err)
		defer unlock()
		require.NoError(t, lease.Err())
		require.NoError(t, rdb.Set(ctx, st.LockKey(), "another-owner", 0).Err())
		waitDone(t, lease, 5*time.Second)
		assert.ErrorIs(t, context.Cause(lease), auth.ErrLeaseLost)
	})
	t.Run("partitioned", func(t *testing.T) {
		var cut redistest.Partition
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
		rdb.AddHook(&cut)
		t.Cleanup(func() { _ = rdb.Close() })
		st := newStore(t, rdb, "lease-cut", withLockTTL(ttl))
		lease, unlock, err := st.LockLease(ctx)
		require.NoError(t, err)
		defer unlock()
		time.Sleep(ttl) // extended meanwhile
		require.NoError(t, lease.Err(), "the lease ended while it was being extended")
		cut.Cut()
		cutAt := time.Now()
		waitDone(t, lease, 5*time.Second)
		assert.ErrorIs(t, context.Cause(lease), auth.ErrLeaseLost)
		assert.LessOrEqual(t, time.Since(cutAt), ttl+200*time.Millisecond, "noticed later than the lock's expiry")
		t.Logf("lease ended %s after the cut (lock TTL %s)", time.Since(cutAt).Round(time.Millisecond), ttl)
	})
	t.Run("unlock", func(t *testing.T) {
		st := newStore(t, srv.Client(t), "lease-unlock", withLockTTL(ttl))
		lease, unlock, err := st.LockLease(ctx)
		require.NoError(t, err)
		unlock()
		waitDone(t, lease, time.Second)
		assert.NotErrorIs(t, context.Cause(lease), auth.ErrLeaseLost)
	})
}

func waitDone(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(d):
		t.Fatalf("the lease did not end within %s", d)
	}
}

// holdingGrant holds the first token it obtains after armed is set, closing
// obtained, until release is closed: a renewer paused after the token endpoint
// answered, before it saved.
type holdingGrant struct {
	auth.Grant
	armed             atomic.Bool
	obtained, release chan struct{}
}

func (g *holdingGrant) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	tok, err := g.Grant.Token(ctx, prev)
	if g.armed.CompareAndSwap(true, false) {
		close(g.obtained)
		<-g.release
	}
	return tok, err
}

// A renewer whose lock expired while its token request was answered (a pause
// or partition longer than LockTTL) must not overwrite the token that another
// replica saved meanwhile: it adopts that one, and its callers get it.
func TestLateRenewerDoesNotOverwriteNewerToken(t *testing.T) {
	redisSrv := startRedis(t)
	const lockTTL = 300 * time.Millisecond
	clk := &fakeClock{t: time.Now()}
	api := mindpeekertest.NewServer(mindpeekertest.WithClock(clk.Now), mindpeekertest.WithTokenLifetime(time.Hour))
	t.Cleanup(api.Close)
	var cutA redistest.Partition
	rdbA := redis.NewClient(&redis.Options{Addr: redisSrv.Addr, MaxRetries: -1})
	rdbA.AddHook(&cutA)
	t.Cleanup(func() { _ = rdbA.Close() })
	stA := newStore(t, rdbA, "late", withLockTTL(lockTTL))
	stB := newStore(t, redisSrv.Client(t), "late", withLockTTL(lockTTL))
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cc := auth.ClientCredentials{TokenURL: api.TokenURL(), ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret}
	held := &holdingGrant{Grant: cc, obtained: make(chan struct{}), release: make(chan struct{})}
	a := auth.NewSource(held, auth.WithStore(stA), auth.WithClock(clk.Now), auth.WithLogger(logger))
	b := auth.NewSource(cc, auth.WithStore(stB), auth.WithClock(clk.Now), auth.WithLogger(logger))
	token := func(src *auth.Source) string {
		tok, err := src.TokenContext(t.Context())
		require.NoError(t, err, "a call failed")
		return tok.AccessToken
	}

	first := token(a)
	require.Equal(t, first, token(b), "B adopts A's token")
	clk.Add(57 * time.Minute) // time to renew; the token is still valid
	held.armed.Store(true)
	require.Equal(t, first, token(a), "A renews in the background")
	select {
	case <-held.obtained:
	case <-time.After(30 * time.Second):
		t.Fatal("A's renewal did not reach the token endpoint")
	}
	cutA.Cut()
	rdb := redisSrv.Client(t)
	require.Eventually(t, func() bool { return rdb.Exists(t.Context(), stB.LockKey()).Val() == 0 },
		10*time.Second, 5*time.Millisecond, "A's lock did not expire")
	require.Equal(t, first, token(b), "B renews in the background")
	require.Eventually(t, func() bool { return token(b) != first }, 10*time.Second, 5*time.Millisecond, "B did not renew")
	second := token(b)

	cutA.Heal()
	close(held.release) // A saves now, from the generation it loaded before B's save
	assert.Eventually(t, func() bool { return token(a) == second }, 10*time.Second, 5*time.Millisecond,
		"A serves its own, older token")
	stored, gen, err := stB.LoadGeneration(t.Context())
	require.NoError(t, err)
	assert.Equal(t, second, stored.AccessToken, "A overwrote the newer token")
	assert.Equal(t, uint64(2), gen, "A's login and B's renewal")
	assert.Equal(t, 3, api.Stats().TokenRequestsByGrant["client_credentials"], "a login and two renewals")
	assert.Contains(t, logs.String(), "another process saved a newer token during this renewal")
	t.Logf("logs:\n%s", logs.String())
}

// lateSet is a go-redis hook whose SET commands reach Redis only after the
// caller's context has ended: the client gives up, yet the command runs, as on
// a slow network.
type lateSet struct{}

func (lateSet) DialHook(next redis.DialHook) redis.DialHook { return next }

func (lateSet) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "set" {
			return next(ctx, cmd)
		}
		<-ctx.Done()
		_ = next(context.WithoutCancel(ctx), cmd)
		return ctx.Err()
	}
}

func (lateSet) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// A lock attempt cut short by its context may still have taken the lock on the
// server: Lock gives it back, so the fleet is not blocked for LockTTL.
func TestLockCutShortGivesTheLockBack(t *testing.T) {
	srv := startRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	rdb.AddHook(lateSet{})
	t.Cleanup(func() { _ = rdb.Close() })
	st := newStore(t, rdb, "cut-short")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := st.Lock(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, srv.Client(t).Exists(t.Context(), st.LockKey()).Val(), "the lock taken by the late SET is still held")
}
