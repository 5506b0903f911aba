package redisstore_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
)

const apiOrigin = "https://api.example.com:443"

// newGate returns a RateGate with its own Redis client, stopped when the test ends.
func newGate(tb testing.TB, addr string, logger *slog.Logger) *redisstore.RateGate {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	g, err := redisstore.NewRateGate(rdb, redisstore.RateGateOptions{Namespace: "test", Key: "gate", Logger: logger})
	require.NoError(tb, err)
	tb.Cleanup(func() { g.Stop(); _ = rdb.Close() })
	return g
}

// waitSubscribed waits until n gates listen on key.
func waitSubscribed(tb testing.TB, rdb *redis.Client, key string, n int) {
	tb.Helper()
	require.Eventually(tb, func() bool {
		m, err := rdb.PubSubNumSub(tb.Context(), key).Result()
		return err == nil && m[key] == int64(n)
	}, 20*time.Second, 5*time.Millisecond, "%d gates did not subscribe", n)
}

func TestRateGateClosesFleetWide(t *testing.T) {
	srv := startRedis(t)
	a, b := newGate(t, srv.Addr, nil), newGate(t, srv.Addr, nil)
	assert.Equal(t, "mindpeeker:{test:gate}:gate", a.Key(), "namespaced as the token store's keys")
	waitSubscribed(t, srv.Client(t), a.Key(), 2)

	until := time.Now().Add(2 * time.Second)
	a.CloseUntil(t.Context(), apiOrigin, until)
	assert.Equal(t, until, a.OpenAt(apiOrigin), "the closing replica's own view changes at once")
	require.Eventually(t, func() bool { return !b.OpenAt(apiOrigin).IsZero() }, 2*time.Second, time.Millisecond)
	assert.WithinDuration(t, until, b.OpenAt(apiOrigin), 50*time.Millisecond)
	assert.True(t, b.OpenAt("https://other.example.com:443").IsZero(), "another origin stays open")

	// A shorter Retry-After never opens the gate earlier, here or there.
	b.CloseUntil(t.Context(), apiOrigin, time.Now().Add(500*time.Millisecond))
	assert.WithinDuration(t, until, b.OpenAt(apiOrigin), 50*time.Millisecond)

	// A replica that starts later reads the window it missed.
	late := newGate(t, srv.Addr, nil)
	require.Eventually(t, func() bool { return !late.OpenAt(apiOrigin).IsZero() }, 5*time.Second, time.Millisecond)
	assert.WithinDuration(t, until, late.OpenAt(apiOrigin), 50*time.Millisecond)

	// The state holds an origin and a time, nothing else.
	state, err := srv.Client(t).HGetAll(t.Context(), a.Key()).Result()
	require.NoError(t, err)
	require.Len(t, state, 1)
	assert.Regexp(t, `^\d{13}$`, state[apiOrigin])
}

// With Redis gone, each replica keeps its own view, and says so once, not at
// every close.
func TestRateGateWithoutRedisKeepsItsOwnView(t *testing.T) {
	srv := startRedis(t)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	a, b := newGate(t, srv.Addr, logger), newGate(t, srv.Addr, logger)
	waitSubscribed(t, srv.Client(t), a.Key(), 2)
	srv.Stop()

	start := time.Now()
	for i := range 20 {
		a.CloseUntil(t.Context(), apiOrigin, start.Add(time.Second+time.Duration(i)*time.Millisecond))
	}
	assert.WithinDuration(t, start.Add(time.Second+19*time.Millisecond), a.OpenAt(apiOrigin), 0, "the own view is kept")
	time.Sleep(300 * time.Millisecond) // the closes fail meanwhile
	assert.True(t, b.OpenAt(apiOrigin).IsZero(), "told without Redis")
	warnings := strings.Count(logs.String(), "cannot reach Redis")
	assert.Positive(t, warnings)
	assert.LessOrEqual(t, warnings, 2, "one warning per gate and outage, not one per close:\n%s", logs.String())
}

func TestNewRateGateRefusesBadOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	tests := []struct {
		name string
		opts redisstore.RateGateOptions
	}{
		{"no namespace", redisstore.RateGateOptions{Key: "k"}},
		{"no key", redisstore.RateGateOptions{Namespace: "n"}},
		{"colon in namespace", redisstore.RateGateOptions{Namespace: "a:b", Key: "k"}},
		{"hash tag in key", redisstore.RateGateOptions{Namespace: "n", Key: "a}b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redisstore.NewRateGate(rdb, tt.opts)
			require.Error(t, err)
		})
	}
	_, err := redisstore.NewRateGate(nil, redisstore.RateGateOptions{Namespace: "n", Key: "k"})
	require.Error(t, err)
}
