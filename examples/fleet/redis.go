package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// errNoRedis says how to run the example when no Redis is given and none can
// be started.
var errNoRedis = errors.New(`this example needs Redis, and redis-server is not installed. Either install it
(Debian/Ubuntu: apt-get install redis-server) and run the example again, which then
starts its own on a free loopback port, or point MINDPEEKER_REDIS_URL at a Redis:

    MINDPEEKER_REDIS_URL=redis://127.0.0.1:6379/0 go run ./examples/fleet`)

// ownRedis is a redis-server this example started for itself.
type ownRedis struct {
	addr   string
	cmd    *exec.Cmd
	dir    string
	exited chan struct{}
}

// startRedis starts redis-server on a free port of 127.0.0.1, keeping nothing
// on disk, and waits until it answers. Stop it with stop.
func startRedis(ctx context.Context) (*ownRedis, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	var lastErr error
	for range 3 { // the free port may be taken between its choice and redis' bind
		r, err := launchRedis(ctx, path)
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("starting redis-server: %w", lastErr)
}

func launchRedis(ctx context.Context, path string) (*ownRedis, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "fleet-redis-")
	if err != nil {
		return nil, err
	}
	r := &ownRedis{addr: net.JoinHostPort("127.0.0.1", port), dir: dir, exited: make(chan struct{})}
	r.cmd = exec.Command(path, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	r.cmd.Dir = dir
	if err := r.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()

	rdb := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := rdb.Ping(pingCtx).Err()
		cancel()
		if err == nil {
			return r, nil
		}
		select {
		case <-r.exited:
			r.stop()
			return nil, errors.New("redis-server exited at start")
		case <-ctx.Done():
			r.stop()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("redis-server did not answer within 5s: %w", err)
		}
	}
}

// stop kills the server and removes its directory.
func (r *ownRedis) stop() {
	select {
	case <-r.exited:
	default:
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	os.RemoveAll(r.dir)
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
