package redisstore_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// redisServer is a redis-server started for one test (internal/testing/redistest),
// with a go-redis client constructor.
type redisServer struct{ *redistest.Server }

// startRedis starts a private redis-server on a free loopback port, without
// persistence, and stops it when the test ends. It skips the test when
// redis-server is not installed, or fails it if MINDPEEKER_REQUIRE_REDIS is set.
func startRedis(tb testing.TB) redisServer {
	tb.Helper()
	return redisServer{redistest.Start(tb)}
}

// Client returns a new client of the server, closed when the test ends.
func (s redisServer) Client(tb testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// testKey returns a deterministic 32-byte key distinct for each seed.
func testKey(seed byte) []byte { return bytes.Repeat([]byte{seed}, redisstore.KeySize) }

// newStore returns a Store over rdb with a test encryption key.
func newStore(tb testing.TB, rdb redis.UniversalClient, key string, mod ...func(*redisstore.Options)) *redisstore.Store {
	tb.Helper()
	opts := redisstore.Options{Namespace: "test", Key: key, EncryptionKeys: [][]byte{testKey(1)}}
	for _, m := range mod {
		m(&opts)
	}
	st, err := redisstore.New(rdb, opts)
	require.NoError(tb, err)
	return st
}

// commandCounter is a go-redis hook counting the commands sent.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
