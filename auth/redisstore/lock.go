package redisstore

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// How Lock polls a held lock: from pollMin, doubling up to pollMax, each wait
// jittered so that waiting replicas do not poll in step.
const (
	pollMin = 5 * time.Millisecond
	pollMax = 50 * time.Millisecond
)

// releaseTimeout bounds the release of a lock, which runs on its own context:
// the renewal's may already be done.
const releaseTimeout = 5 * time.Second

var (
	// releaseScript deletes the lock only if the caller still owns it, so that a
	// holder whose lock expired never releases the next holder's lock.
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)
	// extendScript resets the lock's expiry only if the caller still owns it.
	extendScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
)

// Lock takes the lock shared by every Store with the same Namespace and Key,
// in this process or any other: SET NX with an expiry of Options.LockTTL and a
// random owner token. While it is held, a goroutine extends it every LockTTL/3,
// so it lasts as long as its holder runs; a holder that crashes or loses Redis
// stops extending it, and the lock expires LockTTL later at most.
//
// Lock waits while another owner holds the lock, polling with backoff and
// jitter (at most 50ms apart), until the lock is free or ctx ends; then it
// returns an error wrapping ctx.Err(). It fails at once, with the Redis error
// wrapped, when Redis cannot be reached. Call unlock once done: it stops the
// extension and deletes the lock if this owner still holds it; calling it again
// does nothing.
//
// [auth.Source] takes this lock with [Store.LockLease], for its whole renewal,
// and reloads the token under it.
func (s *Store) Lock(ctx context.Context) (unlock func(), err error) {
	_, unlock, err = s.LockLease(ctx)
	return unlock, err
}

// LockLease is [Store.Lock], and also returns the lease: a context that ends,
// with the cause [auth.ErrLeaseLost], when the extension finds the lock held by
// another owner, or when no extension has succeeded for LockTTL since the last
// one was sent (Redis unreachable, or this process paused: the lock may have
// expired, and another process may hold it). It also ends when unlock is called.
// A lost lease is logged as a warning.
func (s *Store) LockLease(ctx context.Context) (lease context.Context, unlock func(), err error) {
	owner := crand.Text() // 26 base32 characters, 130 random bits
	wait := pollMin
	for {
		sent := time.Now()
		ok, err := s.rdb.SetNX(ctx, s.lockKey, owner, s.lockTTL).Result()
		if err != nil {
			if ctx.Err() != nil {
				// Cut short by ctx, the SET may still have taken the lock: give
				// it back rather than block the fleet for LockTTL.
				(&holding{s: s, owner: owner}).delete()
			}
			return nil, nil, wrapErr(ctx, "taking the lock", err)
		}
		if ok {
			held, cancel := context.WithCancelCause(context.Background())
			l := &holding{s: s, owner: owner, cancel: cancel, stop: make(chan struct{}), done: make(chan struct{})}
			go l.keep(sent.Add(s.lockTTL))
			return held, l.release, nil
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("redisstore: waiting for the lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, pollMax)
	}
}

// holding is one holding of the lock.
type holding struct {
	s      *Store
	owner  string
	cancel context.CancelCauseFunc // ends the holder's lease context
	stop   chan struct{}           // closed by release
	done   chan struct{}           // closed when keep has returned
	once   sync.Once
}

// keep extends the lock every LockTTL/3 until release, or until the lock turns
// out to be lost: held by another owner, or not extended before validUntil, when
// Redis may have let it expire.
func (l *holding) keep(validUntil time.Time) {
	defer close(l.done)
	every := l.s.lockTTL / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	expiry := time.NewTimer(time.Until(validUntil))
	defer expiry.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-expiry.C:
			l.s.logger.Warn("redisstore: the token lock was not extended in time and may have expired; another process may be renewing too",
				"store", l.s, "lock_ttl", l.s.lockTTL)
			l.cancel(auth.ErrLeaseLost)
			return
		case <-tick.C:
		}
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		n, err := extendScript.Run(ctx, l.s.rdb, []string{l.s.lockKey}, l.owner, l.s.lockTTL.Milliseconds()).Int()
		cancel()
		switch {
		case err != nil:
			l.s.logger.Warn("redisstore: extending the token lock failed; retrying", "store", l.s, "error", err)
		case n == 0:
			l.s.logger.Warn("redisstore: the token lock expired while held; another process may be renewing too",
				"store", l.s, "lock_ttl", l.s.lockTTL)
			l.cancel(auth.ErrLeaseLost)
			return
		default:
			expiry.Reset(time.Until(sent.Add(l.s.lockTTL)))
		}
	}
}

// release stops the extension, ends the lease and deletes the lock if it is
// still this lease's.
func (l *holding) release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.cancel(context.Canceled)
		l.delete()
	})
}

// delete deletes the lock if it is this owner's.
func (l *holding) delete() {
	ctx, cancel := context.WithTimeout(context.Background(), min(releaseTimeout, l.s.lockTTL))
	defer cancel()
	if err := releaseScript.Run(ctx, l.s.rdb, []string{l.s.lockKey}, l.owner).Err(); err != nil {
		l.s.logger.Warn("redisstore: releasing the token lock failed; it expires by itself",
			"store", l.s, "lock_ttl", l.s.lockTTL, "error", err)
	}
}
