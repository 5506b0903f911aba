package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
)

// requireRedisEnv makes a missing redis-server fail the tests instead of
// skipping them, for CI where it is installed on purpose.
const requireRedisEnv = "MINDPEEKER_REQUIRE_REDIS"

// redisServer is a redis-server process started for one test.
type redisServer struct {
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{}
	out    *lockedBuffer
}

// startRedis starts a private redis-server on a free loopback port, without
// persistence, and stops it when the test ends. It skips the test when
// redis-server is not installed.
func startRedis(tb testing.TB) *redisServer {
	tb.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server is not on PATH; install it to run these tests (Debian/Ubuntu: apt-get install -y redis-server)"
		if os.Getenv(requireRedisEnv) != "" {
			tb.Fatalf("%s, or unset %s", msg, requireRedisEnv)
		}
		tb.Skip(msg)
	}
	var lastErr error
	for range 3 { // the free port may be taken between its choice and redis' bind
		srv, err := launchRedis(tb, path)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	tb.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

func launchRedis(tb testing.TB, path string) (*redisServer, error) {
	port := freePort(tb)
	srv := &redisServer{Addr: net.JoinHostPort("127.0.0.1", port), exited: make(chan struct{}), out: &lockedBuffer{}}
	srv.cmd = exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	srv.cmd.Dir = tb.TempDir()
	srv.cmd.Stdout, srv.cmd.Stderr = srv.out, srv.out
	if err := srv.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = srv.cmd.Wait(); close(srv.exited) }()
	tb.Cleanup(srv.Stop)

	// Wait for the port with plain dials (go-redis backs off after failed
	// dials), then for a PING answer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", srv.Addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-srv.exited:
			return nil, fmt.Errorf("redis-server exited: %s", srv.out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			srv.Stop()
			return nil, fmt.Errorf("redis-server did not listen: %v; output: %s", err, srv.out.String())
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		srv.Stop()
		return nil, fmt.Errorf("redis-server did not answer PING: %v; output: %s", err, srv.out.String())
	}
	return srv, nil
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *redisServer) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Client returns a new client of the server, closed when the test ends.
func (s *redisServer) Client(tb testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func freePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
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
