package auth

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// In the renew-ahead window, while the renewal is in flight, a caller gets the
// cached token without taking the Source's lock and without allocating.
func TestSourceWindowTakesNoLockWhileRenewing(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	renewing, release := make(chan struct{}), make(chan struct{})
	calls := 0
	s := NewSource(GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		if calls++; calls == 2 {
			close(renewing)
			<-release
		}
		return &oauth2.Token{AccessToken: "tok", ExpiresIn: 3600}, nil
	}), WithClock(func() time.Time { return now }))
	defer close(release)
	first, err := s.Token()
	require.NoError(t, err)

	now = now.Add(58 * time.Minute) // past renewAt (55 min), before expireAt
	_, err = s.Token()              // starts the background renewal
	require.NoError(t, err)
	<-renewing

	s.mu.Lock() // a caller that needed the lock would block here
	defer s.mu.Unlock()
	done := make(chan float64)
	go func() {
		done <- testing.AllocsPerRun(1000, func() {
			if tok, err := s.TokenContext(context.Background()); err != nil || tok != first {
				panic("not the cached token")
			}
		})
	}()
	select {
	case allocs := <-done:
		assert.Zero(t, allocs)
	case <-time.After(5 * time.Second):
		t.Fatal("a caller in the renew-ahead window waited for the Source's lock")
	}
}
