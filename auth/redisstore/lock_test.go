package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// pollMax is the longest a waiter sleeps between two attempts (lock.go).
const pollMax = 50 * time.Millisecond

func withLockTTL(d time.Duration) func(*redisstore.Options) {
	return func(o *redisstore.Options) { o.LockTTL = d }
}

// criticalSection increments key's counter with a read, a pause and a write,
// which loses updates unless the caller holds the lock, and marks the section
// occupied meanwhile. It reports whether the section was free on entry.
func criticalSection(ctx context.Context, rdb redis.UniversalClient, key string) (exclusive bool, err error) {
	exclusive, err = rdb.SetNX(ctx, key+":inside", 1, 0).Result()
	if err != nil {
		return false, err
	}
	n, err := rdb.Get(ctx, key+":counter").Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	time.Sleep(time.Millisecond)
	if err := rdb.Set(ctx, key+":counter", n+1, 0).Err(); err != nil {
		return false, err
	}
	if exclusive {
		err = rdb.Del(ctx, key+":inside").Err()
	}
	return exclusive, err
}

// lockLoop runs the critical section n times under st's lock and returns how
// many times it found another process inside.
func lockLoop(ctx context.Context, st *redisstore.Store, rdb redis.UniversalClient, key string, n int) (violations int, err error) {
	for range n {
		unlock, err := st.Lock(ctx)
		if err != nil {
			return violations, err
		}
		ok, err := criticalSection(ctx, rdb, key)
		unlock()
		if err != nil {
			return violations, err
		}
		if !ok {
			violations++
		}
	}
	return violations, nil
}

type lockLoopResult struct{ Violations int }

func childLockLoop(a helperArgs) error {
	rdb := redis.NewClient(&redis.Options{Addr: a.RedisAddr})
	defer rdb.Close()
	st, err := redisstore.New(rdb, redisstore.Options{Namespace: "test", Key: a.Key, EncryptionKeys: [][]byte{testKey(1)}, LockTTL: a.LockTTL})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := lockLoop(ctx, st, rdb, a.Key, a.Iterations)
	if err != nil {
		return err
	}
	return redistest.PrintResult(lockLoopResult{Violations: v})
}

// childHold takes the lock, says LOCKED and holds it (extending it) until killed.
func childHold(a helperArgs) error {
	rdb := redis.NewClient(&redis.Options{Addr: a.RedisAddr})
	st, err := redisstore.New(rdb, redisstore.Options{Namespace: "test", Key: a.Key, EncryptionKeys: [][]byte{testKey(1)}, LockTTL: a.LockTTL})
	if err != nil {
		return err
	}
	if _, err := st.Lock(context.Background()); err != nil {
		return err
	}
	fmt.Println("LOCKED")
	select {}
}

func TestLockExcludesGoroutines(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	const workers, iterations = 8, 25
	shared := newStore(t, rdb, "goroutines")
	var (
		wg         sync.WaitGroup
		inside     atomic.Int32
		violations atomic.Int32
	)
	for w := range workers {
		st := shared // half the workers share one Store, the others have their own
		if w%2 == 1 {
			st = newStore(t, rdb, "goroutines")
		}
		wg.Go(func() {
			for range iterations {
				unlock, err := st.Lock(ctx)
				if !assert.NoError(t, err) {
					return
				}
				if inside.Add(1) != 1 {
					violations.Add(1)
				}
				ok, err := criticalSection(ctx, rdb, "goroutines")
				assert.NoError(t, err)
				assert.True(t, ok, "another holder was inside")
				inside.Add(-1)
				unlock()
			}
		})
	}
	wg.Wait()
	assert.Zero(t, violations.Load())
	n, err := rdb.Get(ctx, "goroutines:counter").Int()
	require.NoError(t, err)
	assert.Equal(t, workers*iterations, n, "updates were lost: the lock did not exclude")
	assert.Zero(t, rdb.Exists(ctx, shared.LockKey()).Val(), "the lock is released")
}

func TestLockExcludesProcesses(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.Client(t)
	const children, goroutines, iterations = 3, 2, 20
	args := helperArgs{RedisAddr: srv.Addr, Key: "processes", Iterations: iterations, LockTTL: 5 * time.Second}
	var cs []*redistest.Child
	for range children {
		cs = append(cs, startChild(t, "lockloop", args))
	}
	var wg sync.WaitGroup
	var violations atomic.Int32
	for range goroutines { // this process competes too
		wg.Go(func() {
			v, err := lockLoop(t.Context(), newStore(t, rdb, "processes"), rdb, "processes", iterations)
			assert.NoError(t, err)
			violations.Add(int32(v))
		})
	}
	for _, c := range cs {
		var res lockLoopResult
		c.Result(t, &res, time.Minute)
		violations.Add(int32(res.Violations))
	}
	wg.Wait()
	assert.Zero(t, violations.Load(), "two processes were inside the lock at once")
	n, err := rdb.Get(t.Context(), "processes:counter").Int()
	require.NoError(t, err)
	assert.Equal(t, (children+goroutines)*iterations, n, "updates were lost: the lock did not exclude")
}

func TestLockTakenOverAfterHolderKilled(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.Client(t)
	const ttl = time.Second
	st := newStore(t, rdb, "takeover", withLockTTL(ttl))
	holder := startChild(t, "hold", helperArgs{RedisAddr: srv.Addr, Key: "takeover", LockTTL: ttl})
	holder.Expect(t, "LOCKED", 30*time.Second)

	// Alive, the holder extends the lock: it lasts past its TTL.
	ctx, cancel := context.WithTimeout(t.Context(), 2*ttl)
	_, err := st.Lock(ctx)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	holder.Kill() // a crash: nobody extends or releases the lock any more
	killed := time.Now()
	left, err := rdb.PTTL(t.Context(), st.LockKey()).Result()
	require.NoError(t, err)
	require.Positive(t, left, "the dead holder's lock is still there")
	require.LessOrEqual(t, left, ttl)

	ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	unlock, err := st.Lock(ctx)
	waited := time.Since(killed)
	require.NoError(t, err)
	unlock()
	t.Logf("lock TTL %s; %s left at the kill; taken over %s after it", ttl, left, waited)
	assert.GreaterOrEqual(t, waited, left-20*time.Millisecond, "taken over before the dead holder's lock expired")
	assert.LessOrEqual(t, waited, left+pollMax+time.Second, "taken over later than the lock's expiry") // slack for a loaded CI machine
}

func TestUnlockReleasesOnlyItsOwnLock(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	logs := &lockedBuffer{}
	const ttl = 300 * time.Millisecond
	st := newStore(t, rdb, "owner", withLockTTL(ttl), func(o *redisstore.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	unlock, err := st.Lock(ctx)
	require.NoError(t, err)
	// As if our lock had expired and another process had taken it:
	require.NoError(t, rdb.Set(ctx, st.LockKey(), "another-owner", 0).Err())
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "expired while held") },
		5*time.Second, 10*time.Millisecond, "the holder notices at its next extension")
	unlock()
	unlock() // twice does nothing
	got, err := rdb.Get(ctx, st.LockKey()).Result()
	require.NoError(t, err)
	assert.Equal(t, "another-owner", got, "unlock deleted a lock it does not own")
	assert.Equal(t, time.Duration(-1), rdb.PTTL(ctx, st.LockKey()).Val(), "the extension touched a lock it does not own")

	// Our own lock, released once, stays released for the next holder.
	require.NoError(t, rdb.Del(ctx, st.LockKey()).Err())
	unlockA, err := st.Lock(ctx)
	require.NoError(t, err)
	unlockA()
	unlockB, err := st.Lock(ctx)
	require.NoError(t, err)
	unlockA() // a late second call must not release B's lock
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = st.Lock(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "B's lock was released by A's unlock")
	unlockB()
}

func TestLockHandsOverPromptly(t *testing.T) {
	rdb := startRedis(t).Client(t)
	a, b := newStore(t, rdb, "handover"), newStore(t, rdb, "handover")
	unlock, err := a.Lock(t.Context())
	require.NoError(t, err)
	got := make(chan time.Time)
	go func() {
		unlockB, err := b.Lock(t.Context())
		assert.NoError(t, err)
		got <- time.Now()
		unlockB()
	}()
	time.Sleep(200 * time.Millisecond) // b is polling with its longest interval by now
	released := time.Now()
	unlock()
	waited := (<-got).Sub(released)
	t.Logf("handed over in %s", waited)
	assert.LessOrEqual(t, waited, pollMax+750*time.Millisecond) // slack for a loaded CI machine
}

func TestLockRespectsContext(t *testing.T) {
	rdb := startRedis(t).Client(t)
	st := newStore(t, rdb, "ctx")
	unlock, err := st.Lock(t.Context())
	require.NoError(t, err)
	defer unlock()

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = st.Lock(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 100*time.Millisecond+pollMax+200*time.Millisecond)

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	_, err = st.Lock(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestLockFailsFastWithoutRedis(t *testing.T) {
	srv := startRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	st := newStore(t, rdb, "down")
	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := st.Lock(ctx)
	require.Error(t, err)
	assert.ErrorContains(t, err, "taking the lock")
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "Lock waited for the context instead of failing")
	t.Logf("Lock failed after %s: %v", time.Since(start), err)
}

func TestErrorsWrapTheContextError(t *testing.T) {
	rdb := startRedis(t).Client(t)
	st := newStore(t, rdb, "ctx-errors")
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, err := st.Load(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, st.Save(ctx, sampleToken()), context.DeadlineExceeded)
	assert.ErrorIs(t, st.Delete(ctx), context.DeadlineExceeded)
	_, err = st.Lock(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
