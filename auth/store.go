package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/oauth2"
)

// Store keeps the newest token, refresh token included, so that a restarted
// program continues where it left off instead of logging in again. A [Source]
// loads it before its first renewal and saves every new token before handing it out.
//
// A Store shared by several processes must also implement [Locker].
type Store interface {
	Load(ctx context.Context) (*oauth2.Token, error) // nil, nil when empty
	Save(ctx context.Context, t *oauth2.Token) error
}

// Locker is implemented by a [Store] that several processes share (a file on one
// host, Redis for a fleet). The Source holds the lock for the whole renewal and
// reloads the store under it, so that only one process spends a refresh token and
// the others adopt the token it saved.
//
// Lock blocks until the lock is held or ctx ends. A lock held by a crashed process
// must not be held forever (an expiry, or an OS lock that dies with its process).
//
// A lock with an expiry can be lost while held: a holder paused, or cut off from
// the lock's service, for longer than the expiry still believes it holds the lock
// when another process takes it. Such a Locker must say so by implementing
// [LeaseLocker], which tells the holder when the loss is known, and its Store
// should implement [FencedStore], which keeps a holder that learned too late from
// overwriting the newer token. Plain Lock tells a holder nothing.
type Locker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// ErrLeaseLost is the cause (see [context.Cause]) of a [LeaseLocker] lease's end
// when the lock was lost while held.
var ErrLeaseLost = errors.New("auth: the token store's lock was lost while held")

// LeaseLocker is a [Locker] whose lock is a lease: it lasts only while its holder
// keeps extending it in time. LockLease is Lock, and also returns the lease, a
// context that ends, with the cause [ErrLeaseLost], as soon as the holder learns
// that the lock is lost: another owner holds it, or no extension succeeded within
// the lease's duration (so it may have expired). The lease also ends when unlock
// is called (with the cause context.Canceled). It does not end when ctx does.
//
// A [Source] checks the lease before spending a token or refresh token under
// the lock; when it has ended, the Source does not spend it, and renews again,
// waiting for the lock, so that it adopts what the new holder saves. A loss that
// happens after the check (the token request already sent) is caught by
// [FencedStore.SaveIf].
type LeaseLocker interface {
	Locker
	LockLease(ctx context.Context) (lease context.Context, unlock func(), err error)
}

// ErrStale is returned (wrapped) by [FencedStore.SaveIf] when the store no longer
// holds the generation the caller loaded: another process saved a newer token
// in between.
var ErrStale = errors.New("auth: the stored token changed since it was loaded")

// FencedStore is a [Store] that fences renewals. Each token it saves gets a
// generation, one more than the generation it replaces, and a save can be made
// conditional on the generation a renewer started from, so that a renewer that
// lost its lock (see [LeaseLocker]) cannot overwrite a newer token.
//
// A [Source] whose store implements it loads with LoadGeneration under the lock
// and saves with SaveIf; on [ErrStale] it adopts the stored token instead of
// its own, and its callers get the newer token, not an error.
type FencedStore interface {
	Store
	// LoadGeneration is Load, and also returns the stored token's generation:
	// 0 when the store is empty or the token was saved without one.
	LoadGeneration(ctx context.Context) (t *oauth2.Token, generation uint64, err error)
	// SaveIf saves t, as generation+1, only if the store still holds
	// generation; otherwise it saves nothing and returns an error wrapping
	// [ErrStale]. The comparison and the write are one atomic step. Save
	// (unconditional) also moves the generation on by one.
	SaveIf(ctx context.Context, t *oauth2.Token, generation uint64) error
}

// MemoryStore is a [Store], [FencedStore] and [Locker] that keeps the token in
// memory, for tests and for sharing one token between several Sources in one
// process (the lock makes them renew one at a time). The zero value is ready to
// use. A type that embeds it to change Load or Save must change LoadGeneration
// or SaveIf too: a Source uses those when they are there.
type MemoryStore struct {
	mu     sync.Mutex
	tok    *oauth2.Token
	gen    uint64        // the generation of tok (FencedStore)
	lockCh chan struct{} // a one-slot semaphore: the Locker
}

// Load returns a copy of the stored token, or nil when there is none.
func (m *MemoryStore) Load(ctx context.Context) (*oauth2.Token, error) {
	t, _, err := m.LoadGeneration(ctx)
	return t, err
}

// LoadGeneration returns a copy of the stored token and its generation: the
// number of saves so far.
func (m *MemoryStore) LoadGeneration(context.Context) (*oauth2.Token, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneToken(m.tok), m.gen, nil
}

// Save replaces the stored token with a copy of t.
func (m *MemoryStore) Save(_ context.Context, t *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok, m.gen = cloneToken(t), m.gen+1
	return nil
}

// SaveIf replaces the stored token with a copy of t if the store still holds
// generation, and fails with [ErrStale] otherwise.
func (m *MemoryStore) SaveIf(_ context.Context, t *oauth2.Token, generation uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen != generation {
		return fmt.Errorf("auth: memory store: %w (generation %d, not %d)", ErrStale, m.gen, generation)
	}
	m.tok, m.gen = cloneToken(t), m.gen+1
	return nil
}

// Lock takes the store's lock, waiting until it is free or ctx ends.
func (m *MemoryStore) Lock(ctx context.Context) (unlock func(), err error) {
	m.mu.Lock()
	if m.lockCh == nil {
		m.lockCh = make(chan struct{}, 1)
	}
	ch := m.lockCh
	m.mu.Unlock()
	select {
	case ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-ch }) }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: waiting for the memory store's lock: %w", ctx.Err())
	}
}

var (
	_ FencedStore = (*MemoryStore)(nil)
	_ Locker      = (*MemoryStore)(nil)
)

func cloneToken(t *oauth2.Token) *oauth2.Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
