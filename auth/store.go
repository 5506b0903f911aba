package auth

import (
	"context"
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
type Locker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// MemoryStore is a [Store] and [Locker] that keeps the token in memory, for
// tests and for sharing one token between several Sources in one process (the
// lock makes them renew one at a time). The zero value is ready to use.
type MemoryStore struct {
	mu     sync.Mutex
	tok    *oauth2.Token
	lockCh chan struct{} // a one-slot semaphore: the Locker
}

// Load returns a copy of the stored token, or nil when there is none.
func (m *MemoryStore) Load(context.Context) (*oauth2.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneToken(m.tok), nil
}

// Save replaces the stored token with a copy of t.
func (m *MemoryStore) Save(_ context.Context, t *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = cloneToken(t)
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

func cloneToken(t *oauth2.Token) *oauth2.Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
