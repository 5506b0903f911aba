package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that, set to any non-empty value,
// makes [Start] fail the test instead of skipping it when redis-server is not
// installed. CI sets it, where redis-server is installed on purpose.
const RequireEnv = "MINDPEEKER_REQUIRE_REDIS"

// InstallHint is the message of a test skipped (or failed) because
// redis-server is not on PATH.
const InstallHint = "redis-server is not on PATH; install it to run these tests (Debian/Ubuntu: apt-get install -y redis-server)"

// startTimeout bounds how long a redis-server may take to answer PING.
const startTimeout = 5 * time.Second

// Server is a redis-server process started by [Start] for one test.
type Server struct {
	// Addr is where the server listens: "127.0.0.1:<port>".
	Addr string

	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited
	out    *LockedBuffer // the server's own output, for error messages
}

// Start starts a private redis-server for tb on a free 127.0.0.1 port, without
// persistence, waits until it answers PING, and kills it when the test ends.
//
// When redis-server is not on PATH it skips the test with [InstallHint], or
// fails it if [RequireEnv] is set. Use it in every test that needs a Redis, and
// [Server.Stop] to take Redis away in the middle of one.
func Start(tb testing.TB) *Server {
	tb.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			tb.Fatalf("%s, or unset %s", InstallHint, RequireEnv)
		}
		tb.Skip(InstallHint)
	}
	var lastErr error
	for range 3 { // the free port may be taken between its choice and redis' bind
		srv, err := launch(tb, path)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	tb.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

// launch starts one redis-server on a port that was free a moment ago.
func launch(tb testing.TB, path string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv := &Server{Addr: net.JoinHostPort("127.0.0.1", port), exited: make(chan struct{}), out: &LockedBuffer{}}
	srv.cmd = exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	srv.cmd.Dir = tb.TempDir()
	srv.cmd.Stdout, srv.cmd.Stderr = srv.out, srv.out
	if err := srv.cmd.Start(); err != nil {
		return nil, fmt.Errorf("running %s: %w", path, err)
	}
	go func() { _ = srv.cmd.Wait(); close(srv.exited) }()
	tb.Cleanup(srv.Stop)

	deadline := time.Now().Add(startTimeout)
	for {
		err := ping(srv.Addr)
		if err == nil {
			return srv, nil
		}
		select {
		case <-srv.exited:
			return nil, fmt.Errorf("redis-server exited: %s", srv.out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			srv.Stop()
			return nil, fmt.Errorf("redis-server did not answer PING within %s: %w; output: %s", startTimeout, err, srv.out.String())
		}
	}
}

// Stop kills the server (as a crash would) and waits for it to exit. Calling it
// again, or after the test, does nothing.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// errNoPong is the error of a server that answered PING with something else.
var errNoPong = errors.New("redistest: no PONG")

// ping sends one PING in the Redis protocol (RESP) and expects +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return fmt.Errorf("%w: %q", errNoPong, line)
	}
	return nil
}

// freePort returns a 127.0.0.1 port that was free when it returned.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// LockedBuffer is a bytes.Buffer safe for concurrent writers (a child
// process's output, a logger shared by goroutines).
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
