package redisstore_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Child processes: the tests re-execute their own binary, running only
// TestHelperProcess, which acts according to the environment.
const (
	envMode = "REDISSTORE_HELPER_MODE" // what the child does: see TestHelperProcess
	envArgs = "REDISSTORE_HELPER_ARGS" // JSON of helperArgs
)

// helperArgs is everything a child needs to know.
type helperArgs struct {
	RedisAddr string
	Key       string // Options.Key; Namespace is "test", the encryption key testKey(1)
	LockTTL   time.Duration

	// lockloop
	Iterations int

	// fleet
	TokenURL, APIURL   string // the token endpoint and an authenticated GET URL
	ClientID           string // a public client of the password grant
	Username, Password string
	Duration           time.Duration
	BlockRefresh       bool // the grant blocks forever instead of refreshing (after saying IN-GRANT)
}

// child is a running child process; each line it writes to stdout is sent on lines.
type child struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *lockedBuffer
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

// startChild runs this test binary as a child in mode, killed when the test ends.
func startChild(tb testing.TB, mode string, args helperArgs) *child {
	tb.Helper()
	js, err := json.Marshal(args)
	require.NoError(tb, err)
	c := &child{lines: make(chan string, 100), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=2m")
	c.cmd.Env = append(os.Environ(), envMode+"="+mode, envArgs+"="+string(js))
	c.cmd.Stderr = c.stderr
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(tb, err)
	require.NoError(tb, c.cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		c.err = c.cmd.Wait()
		close(c.lines)
		close(c.exited)
	}()
	tb.Cleanup(c.kill)
	return c
}

// expect waits for a line starting with prefix and returns the rest of it.
func (c *child) expect(tb testing.TB, prefix string, timeout time.Duration) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				<-c.exited
				tb.Fatalf("child exited (%v) before printing %q; stderr:\n%s", c.err, prefix, c.stderr.String())
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return strings.TrimSpace(rest)
			}
		case <-deadline:
			tb.Fatalf("child printed no %q within %s; stderr:\n%s", prefix, timeout, c.stderr.String())
		}
	}
}

// result waits for the child's RESULT line, decodes it into v and waits for a
// clean exit.
func (c *child) result(tb testing.TB, v any, timeout time.Duration) {
	tb.Helper()
	require.NoError(tb, json.Unmarshal([]byte(c.expect(tb, "RESULT", timeout)), v))
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		tb.Fatal("child did not exit after its result")
	}
	require.NoError(tb, c.err, "child stderr:\n%s", c.stderr.String())
}

// kill SIGKILLs the child (as a crash would) and waits for it.
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// TestHelperProcess is not a test: it is the body of the child processes.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envMode)
	if mode == "" {
		t.Skip("helper process for the multi-process tests")
	}
	var args helperArgs
	if err := json.Unmarshal([]byte(os.Getenv(envArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "bad helper args:", err)
		os.Exit(2)
	}
	var err error
	switch mode {
	case "lockloop":
		err = childLockLoop(args)
	case "hold":
		err = childHold(args)
	case "fleet":
		err = childFleet(args)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// printResult writes v as the child's RESULT line.
func printResult(v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Printf("RESULT %s\n", js)
	return err
}
