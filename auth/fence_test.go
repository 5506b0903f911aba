package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

func TestMemoryStoreGenerations(t *testing.T) {
	ctx := context.Background()
	var st auth.MemoryStore
	tok, gen, err := st.LoadGeneration(ctx)
	require.NoError(t, err)
	assert.Nil(t, tok)
	assert.Zero(t, gen)
	for _, step := range []struct {
		name    string
		save    func() error
		wantErr error
		wantGen uint64
	}{
		{"from the empty store", func() error { return st.SaveIf(ctx, &oauth2.Token{AccessToken: "a"}, 0) }, nil, 1},
		{"from a generation it no longer holds", func() error { return st.SaveIf(ctx, &oauth2.Token{AccessToken: "b"}, 0) }, auth.ErrStale, 1},
		{"unconditional", func() error { return st.Save(ctx, &oauth2.Token{AccessToken: "c"}) }, nil, 2},
		{"from the current generation", func() error { return st.SaveIf(ctx, &oauth2.Token{AccessToken: "d"}, 2) }, nil, 3},
	} {
		err := step.save()
		if step.wantErr != nil {
			assert.ErrorIs(t, err, step.wantErr, step.name)
		} else {
			assert.NoError(t, err, step.name)
		}
		_, gen, err := st.LoadGeneration(ctx)
		require.NoError(t, err)
		assert.Equal(t, step.wantGen, gen, step.name)
	}
	tok, err = st.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "d", tok.AccessToken)
}

// Another process saves a newer token while this Source's renewal is at the
// token endpoint (its lock was lost): the Source does not overwrite it, and
// hands out the newer token.
func TestSourceAdoptsTheNewerTokenOnStaleSave(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := &auth.MemoryStore{}
	var calls atomic.Int32
	grant := auth.GrantFunc(func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		if calls.Add(1) == 2 { // the renewal: meanwhile, another process renewed and saved
			require.NoError(t, st.Save(ctx, &oauth2.Token{AccessToken: "theirs", Expiry: clk.Now().Add(time.Hour)}))
		}
		return &oauth2.Token{AccessToken: "ours", ExpiresIn: 3600}, nil
	})
	src := auth.NewSource(grant, auth.WithStore(st), auth.WithClock(clk.Now))
	_, err := src.TokenContext(ctx)
	require.NoError(t, err)
	clk.Advance(time.Hour)
	tok, err := src.TokenContext(ctx)
	require.NoError(t, err, "a stale save failed the call")
	assert.Equal(t, "theirs", tok.AccessToken)
	stored, gen, err := st.LoadGeneration(ctx)
	require.NoError(t, err)
	assert.Equal(t, "theirs", stored.AccessToken, "the newer token was overwritten")
	assert.Equal(t, uint64(2), gen)
}

// leaseStore is a MemoryStore whose lock is a lease: the first lostLeases
// leases it grants have already ended, each after "another process" saved a
// fresh token when theirs is set.
type leaseStore struct {
	*auth.MemoryStore
	lostLeases atomic.Int32
	theirs     bool
	now        func() time.Time
}

func (l *leaseStore) LockLease(ctx context.Context) (context.Context, func(), error) {
	unlock, err := l.Lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	lease, cancel := context.WithCancelCause(context.Background())
	if l.lostLeases.Add(-1) >= 0 {
		cancel(auth.ErrLeaseLost)
		if !l.theirs {
			return lease, func() { cancel(context.Canceled); unlock() }, nil
		}
		_ = l.Save(ctx, &oauth2.Token{AccessToken: "theirs", RefreshToken: "rt-theirs", Expiry: l.now().Add(time.Hour)})
	}
	return lease, func() { cancel(context.Canceled); unlock() }, nil
}

func TestSourceSpendsNothingOnceItsLeaseIsLost(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lostLeases int32
		theirs     bool // the new holder saved a token
		wantErr    bool
	}{
		{"lost once: renews again and adopts", 1, true, false},
		{"lost every time, another renewed: adopts", 100, true, false},
		{"lost every time, nothing saved: gives up", 100, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock()
			var spent []string
			grant := auth.GrantFunc(func(_ context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
				if prev != nil {
					spent = append(spent, prev.RefreshToken)
				}
				return &oauth2.Token{AccessToken: "ours", RefreshToken: "rt-ours", ExpiresIn: 3600}, nil
			})
			st := &leaseStore{MemoryStore: &auth.MemoryStore{}, theirs: tc.theirs, now: clk.Now}
			src := auth.NewSource(grant, auth.WithStore(st), auth.WithClock(clk.Now))
			_, err := src.TokenContext(ctx)
			require.NoError(t, err)
			clk.Advance(2 * time.Hour)
			st.lostLeases.Store(tc.lostLeases)
			tok, err := src.TokenContext(ctx)
			assert.Empty(t, spent, "a refresh token was spent after the lease was lost")
			if tc.wantErr {
				require.ErrorIs(t, err, auth.ErrLeaseLost)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "theirs", tok.AccessToken)
		})
	}
}

// While another process holds the lock to renew, a Source waiting for it
// adopts the token that process saved as soon as it is saved, without taking
// the lock: a fleet's replicas adopt together, not one at a time.
func TestSourceAdoptsWithoutWaitingForTheLock(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := &auth.MemoryStore{}
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithClock(clk.Now))
	_, err := src.TokenContext(ctx)
	require.NoError(t, err)
	clk.Advance(2 * time.Hour) // expired: the next call waits for a renewal

	unlock, err := st.Lock(ctx) // another process renews
	require.NoError(t, err)
	defer unlock()
	got := make(chan *oauth2.Token, 1)
	go func() {
		tok, err := src.TokenContext(ctx)
		assert.NoError(t, err)
		got <- tok
	}()
	time.Sleep(20 * time.Millisecond) // the Source is waiting for the lock
	require.NoError(t, st.Save(ctx, &oauth2.Token{AccessToken: "theirs", Expiry: clk.Now().Add(time.Hour)}))
	saved := time.Now()
	select {
	case tok := <-got:
		assert.Equal(t, "theirs", tok.AccessToken)
		assert.Less(t, time.Since(saved), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("the Source waited for the lock to adopt a token saved by its holder")
	}
	assert.Equal(t, 1, g.count(), "the Source renewed on its own")
}

// slowFailingStore cannot be read, and its Lock fails after a while, as a
// Redis client retrying a dead server does.
type slowFailingStore struct {
	auth.MemoryStore
	locks atomic.Int32
}

func (s *slowFailingStore) Load(context.Context) (*oauth2.Token, error) {
	return nil, errors.New("store down")
}

func (s *slowFailingStore) Lock(ctx context.Context) (func(), error) {
	s.locks.Add(1)
	select {
	case <-time.After(30 * time.Millisecond):
		return nil, errors.New("store down")
	case <-ctx.Done():
		return nil, fmt.Errorf("store down: %w", ctx.Err())
	}
}

// With the store down, a renewal waits for the lock's own error, however long
// it takes, and then renews from the grant: it does not mistake the store's
// slowness for a lock held by another process.
func TestSourceWithTheStoreDownWaitsForTheLocksError(t *testing.T) {
	st := &slowFailingStore{}
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithRenewTimeout(5*time.Second))
	start := time.Now()
	tok, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok.AccessToken)
	assert.Equal(t, int32(1), st.locks.Load(), "lock attempts")
	assert.Less(t, time.Since(start), 2*time.Second)
}
