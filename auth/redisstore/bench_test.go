package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// BenchmarkSourceCacheHit measures Source.TokenContext with a valid token and a
// Redis store: the path of every API call. It must not touch Redis.
func BenchmarkSourceCacheHit(b *testing.B) {
	rdb := startRedis(b).Client(b)
	var commands commandCounter
	rdb.AddHook(&commands)
	api := mindpeekertest.NewServer()
	b.Cleanup(api.Close)
	src := auth.NewSource(auth.ClientCredentials{TokenURL: api.TokenURL(), ClientID: mindpeekertest.DefaultClientID,
		ClientSecret: mindpeekertest.DefaultClientSecret}, auth.WithStore(newStore(b, rdb, "bench-hit")))
	ctx := b.Context()
	_, err := src.TokenContext(ctx)
	require.NoError(b, err)
	before := commands.n.Load()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.TokenContext(ctx); err != nil {
			b.Fatal(err)
		}
	}
	require.Equal(b, before, commands.n.Load(), "a cache hit touched Redis")
}

// BenchmarkStoreRenewalRoundTrip measures what the store adds to one renewal:
// Lock, Load, Save and unlock against a local redis-server.
func BenchmarkStoreRenewalRoundTrip(b *testing.B) {
	rdb := startRedis(b).Client(b)
	st := newStore(b, rdb, "bench-renew", withLockTTL(10*time.Second))
	ctx := b.Context()
	tok := sampleToken()
	require.NoError(b, st.Save(ctx, tok))
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := st.Lock(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Load(ctx); err != nil {
			b.Fatal(err)
		}
		if err := st.Save(ctx, tok); err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}

// BenchmarkStoreLoad measures one Load: GET, AES-GCM open, JSON decode.
func BenchmarkStoreLoad(b *testing.B) {
	rdb := startRedis(b).Client(b)
	st := newStore(b, rdb, "bench-load")
	ctx := b.Context()
	require.NoError(b, st.Save(ctx, sampleToken()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Load(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreSave measures one Save: JSON encode, AES-GCM seal, SET.
func BenchmarkStoreSave(b *testing.B) {
	rdb := startRedis(b).Client(b)
	st := newStore(b, rdb, "bench-save")
	ctx := b.Context()
	tok := sampleToken()
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Save(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
