package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// These tests build the command once and drive the binary as a script would,
// against an in-process fake server.

var binary string // path of the built command

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mindpeeker-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "mindpeeker")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	args := append([]string{"build"}, raceFlags...)
	out, err := exec.Command("go", append(args, "-o", binary, ".")...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the command: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// harness is one fake server and the environment pointing the command at it.
type harness struct {
	srv *mindpeekertest.Server
	env map[string]string // MINDPEEKER_* variables of the child; "" removes one
}

func newHarness(t *testing.T, opts ...mindpeekertest.Option) *harness {
	t.Helper()
	srv := mindpeekertest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return &harness{srv: srv, env: map[string]string{
		client.EnvBaseURL:          srv.APIURL(),
		client.EnvTokenURL:         srv.TokenURL(),
		"MINDPEEKER_AUTHORIZE_URL": srv.AuthorizeURL(),
		client.EnvClientID:         mindpeekertest.DefaultClientID,
		client.EnvClientSecret:     mindpeekertest.DefaultClientSecret,
		"MINDPEEKER_CONFIG_DIR":    t.TempDir(),
	}}
}

// result is what one run of the command produced.
type result struct {
	stdout, stderr string
	code           int
}

// all is stdout and stderr together, to search for what must appear nowhere.
func (r result) all() string { return r.stdout + "\n" + r.stderr }

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// childEnv is the parent's environment without any MINDPEEKER_* variable (or
// COLUMNS), plus vars.
func childEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINDPEEKER_") && !strings.HasPrefix(kv, "COLUMNS=") {
			env = append(env, kv)
		}
	}
	if os.Getenv("GORACE") == "" {
		// A race-enabled child otherwise sleeps a second at exit.
		env = append(env, "GORACE=atexit_sleep_ms=10")
	}
	for k, v := range vars {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// command returns the command with args, not started, with h's environment
// changed by overrides (alternating names and values; "" unsets).
func (h *harness) command(ctx context.Context, args []string, overrides ...string) *exec.Cmd {
	vars := make(map[string]string, len(h.env))
	for k, v := range h.env {
		vars[k] = v
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		vars[overrides[i]] = overrides[i+1]
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = childEnv(vars)
	cmd.WaitDelay = time.Second
	return cmd
}

// run runs the command to completion.
func (h *harness) run(t *testing.T, args []string, overrides ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := h.command(ctx, args, overrides...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "running %v: %v\n%s", args, err, r)
		r.code = ee.ExitCode()
	}
	require.NotContains(t, r.stderr, "WARNING: DATA RACE")
	return r
}

// args splits a command line on spaces (the tests need no quoting).
func args(line string) []string { return strings.Fields(line) }

// syncBuffer is a buffer a child process writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
