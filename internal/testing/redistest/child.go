package redistest

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
)

// The environment through which StartChild tells a helper process what to do.
const (
	envMode = "MINDPEEKER_TEST_HELPER_MODE" // the mode; see HelperMode
	envArgs = "MINDPEEKER_TEST_HELPER_ARGS" // the args, as JSON; see HelperArgs
)

// resultPrefix starts the line in which a helper reports its result.
const resultPrefix = "RESULT"

// Child is a helper process started by [StartChild]. Each line it writes to its
// standard output can be waited for with [Child.Expect].
type Child struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *LockedBuffer
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

// StartChild re-executes the running test binary as a helper process that runs
// only the test named helper, with mode and args (encoded as JSON) in its
// environment, and kills it when tb ends.
//
// The helper test reads them with [HelperMode] and [HelperArgs], skips when
// HelperMode is empty (in an ordinary run), and otherwise does the work of the
// mode, prints lines the parent waits for ([PrintResult] for the last one) and
// exits the process. Use it to prove what several processes do together: take
// a lock, share a token, die while holding either.
func StartChild(tb testing.TB, helper, mode string, args any) *Child {
	tb.Helper()
	js, err := json.Marshal(args)
	if err != nil {
		tb.Fatalf("encoding the helper's args: %v", err)
	}
	c := &Child{lines: make(chan string, 100), stderr: &LockedBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1", "-test.timeout=2m")
	c.cmd.Env = append(os.Environ(), envMode+"="+mode, envArgs+"="+string(js))
	c.cmd.Stderr = c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("helper stdout: %v", err)
	}
	if err := c.cmd.Start(); err != nil {
		tb.Fatalf("starting the helper process: %v", err)
	}
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
	tb.Cleanup(c.Kill)
	return c
}

// Expect waits up to timeout for a line of the child's output starting with
// prefix and returns the rest of it, trimmed. It fails the test if the child
// exits or the time runs out first.
func (c *Child) Expect(tb testing.TB, prefix string, timeout time.Duration) string {
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

// Result waits up to timeout for the child's [PrintResult] line, decodes it
// into v, and then waits for the child to exit cleanly. Anything else fails
// the test.
func (c *Child) Result(tb testing.TB, v any, timeout time.Duration) {
	tb.Helper()
	if err := json.Unmarshal([]byte(c.Expect(tb, resultPrefix, timeout)), v); err != nil {
		tb.Fatalf("decoding the child's result: %v", err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		tb.Fatal("child did not exit after its result")
	}
	if c.err != nil {
		tb.Fatalf("child exited with %v; stderr:\n%s", c.err, c.stderr.String())
	}
}

// Kill SIGKILLs the child, as a crash would, and waits for it to exit. Calling
// it again, or after the test, does nothing.
func (c *Child) Kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// HelperMode returns the mode [StartChild] started this process in, or "" when
// this process is not a helper (an ordinary test run).
func HelperMode() string { return os.Getenv(envMode) }

// HelperArgs decodes into v the args that [StartChild] gave this helper process.
func HelperArgs(v any) error {
	if err := json.Unmarshal([]byte(os.Getenv(envArgs)), v); err != nil {
		return fmt.Errorf("redistest: decoding the helper's args: %w", err)
	}
	return nil
}

// PrintResult writes v, as JSON, on the helper's RESULT line, the one
// [Child.Result] decodes. A helper prints it last.
func PrintResult(v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redistest: encoding the helper's result: %w", err)
	}
	_, err = fmt.Printf("%s %s\n", resultPrefix, js)
	return err
}
