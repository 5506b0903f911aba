package redisstore

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// The close script keeps the later window: a shorter Retry-After that arrives
// after a longer one neither shortens the window nor is published; a longer
// one extends it, the key's expiry with it.
func TestCloseScriptKeepsTheLaterWindow(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := t.Context()
	const key, origin = "mindpeeker:{test:script}:gate", "https://api.example.com:443"
	sub := rdb.Subscribe(ctx, key)
	t.Cleanup(func() { _ = sub.Close() })
	_, err := sub.Receive(ctx) // the subscription's confirmation
	require.NoError(t, err)

	steps := []struct {
		ms          string
		wantLeftMin int64 // the script's answer: the window's milliseconds left
		wantPublish bool
	}{
		{"2000", 1990, true},
		{"500", 1900, false}, // shorter: kept at about 2000
		{"3000", 2990, true},
	}
	for _, s := range steps {
		left, err := closeScript.Run(ctx, rdb, []string{key}, origin, s.ms).Int64()
		require.NoError(t, err)
		assert.GreaterOrEqual(t, left, s.wantLeftMin, "after %s", s.ms)
		assert.LessOrEqual(t, left, int64(3000))
		msg, err := sub.ReceiveTimeout(ctx, 100*time.Millisecond)
		if !s.wantPublish {
			require.Error(t, err, "published %v", msg)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, s.ms+" "+origin, msg.(*redis.Message).Payload)
	}
	ttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	assert.InDelta(t, 3*time.Second, ttl, float64(100*time.Millisecond), "the state expires with its last window")
	state, err := stateScript.Run(ctx, rdb, []string{key}).Slice()
	require.NoError(t, err)
	require.Len(t, state, 2)
	assert.Equal(t, origin, state[0])
	assert.InDelta(t, 3000, state[1], 100)
}
