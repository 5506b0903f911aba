package auth_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// BenchmarkTokenCacheParallel is token retrieval from the cache under parallel
// load: auth.Source against x/oauth2's ReuseTokenSource (a mutex per call).
func BenchmarkTokenCacheParallel(b *testing.B) {
	tok := &oauth2.Token{AccessToken: "a", ExpiresIn: 3600}
	b.Run("impl=auth.Source", func(b *testing.B) {
		src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			c := *tok
			return &c, nil
		}))
		ctx := context.Background()
		if _, err := src.TokenContext(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := src.TokenContext(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		src := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := src.Token(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkRenewal1000 lets 1000 goroutines ask for a token at the moment it
// expires, with a token endpoint that takes 1ms. It reports the token requests
// per renewal (the goal: exactly 1).
func BenchmarkRenewal1000(b *testing.B) {
	var grants atomic.Int64
	now := time.Unix(1_700_000_000, 0)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		grants.Add(1)
		time.Sleep(time.Millisecond)
		return &oauth2.Token{AccessToken: "a", ExpiresIn: 60}, nil
	}), auth.WithClock(func() time.Time { return *clock.Load() }))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		next := clock.Load().Add(time.Hour) // the cached token has expired
		clock.Store(&next)
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				if _, err := src.TokenContext(ctx); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(grants.Load())/float64(b.N), "grants/op")
}
