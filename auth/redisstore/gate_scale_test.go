package redisstore_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// Toward a large fleet: 10, 100 and 1,000 replicas (each a RateGate with its
// own Redis client, in this process) and one closed window. The Redis
// commands it costs do not grow with the fleet: one close script, from the
// replica that got the 429; the others are told by the channel.
func TestRateGateCommandsPerWindowBySize(t *testing.T) {
	redisSrv := startRedis(t)
	rdb := redisSrv.Client(t)
	var hits atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "60") // beyond MaxRetryWait: the call returns at once
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(api.Close)
	u, err := url.Parse(api.URL)
	require.NoError(t, err)
	origin := auth.OriginOf(u).String()

	for _, n := range []int{10, 100, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			hits.Store(0)
			key := "scale-" + strconv.Itoa(n)
			beforeStart := commandCalls(t, rdb)
			gates := make([]*redisstore.RateGate, n)
			for i := range gates {
				gates[i] = newScaleGate(t, redisSrv.Addr, key)
			}
			waitSubscribed(t, rdb, "mindpeeker:{test:"+key+"}:gate", n)
			started := settledCalls(t, rdb)
			startup := started.minus(beforeStart)

			c, err := client.New(client.Config{BaseURL: api.URL, APIKey: "k", RateGate: gates[0], MaxRetryWait: time.Second})
			require.NoError(t, err)
			closedAt := time.Now()
			_, err = c.Do(t.Context(), "GET", "/x", nil, nil)
			require.ErrorIs(t, err, client.ErrRateLimited)
			require.Eventually(t, func() bool {
				for _, g := range gates {
					if g.OpenAt(origin).IsZero() {
						return false
					}
				}
				return true
			}, 20*time.Second, time.Millisecond, "not every replica learned of the window")
			everyone := time.Since(closedAt)
			window := settledCalls(t, rdb).minus(started)

			t.Logf("%4d replicas: start-up %s; one closed window %s; every view closed %s after the call began",
				n, startup, window, everyone.Round(100*time.Microsecond))
			// One close script ran (its one HGET); the first on a fresh Redis
			// costs an EVAL more, which loads it.
			assert.Equal(t, int64(1), window["hget"], "one close script per window")
			assert.LessOrEqual(t, window.total(), int64(8), "a window's commands grow with the fleet")
			assert.Equal(t, int64(n), startup["subscribe"], "one subscription per replica")
		})
	}
}

// newScaleGate is newGate with the key of a scale run.
func newScaleGate(tb testing.TB, addr, key string) *redisstore.RateGate {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
	g, err := redisstore.NewRateGate(rdb, redisstore.RateGateOptions{Namespace: "test", Key: key})
	require.NoError(tb, err)
	tb.Cleanup(func() { g.Stop(); _ = rdb.Close() })
	return g
}

// settledCalls returns the command counts once they stop changing (the
// gates' background reads are done).
func settledCalls(tb testing.TB, rdb *redis.Client) calls {
	tb.Helper()
	last := commandCalls(tb, rdb)
	for range 200 {
		time.Sleep(50 * time.Millisecond)
		now := commandCalls(tb, rdb)
		if now.minus(last).total() == 0 {
			return now
		}
		last = now
	}
	tb.Fatal("Redis never went quiet")
	return nil
}
