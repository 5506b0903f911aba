package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The helper processes of these tests.
const (
	modeEcho  = "echo"  // prints READY, then the result {N: 2*N}
	modeStart = "start" // calls Start, to see it skip or fail without redis-server
)

type echoArgs struct{ N int }

func TestHelperProcess(t *testing.T) {
	switch HelperMode() {
	case "":
		t.Skip("helper process for the tests of StartChild and Start")
	case modeStart:
		Start(t) // skips or fails: PATH has no redis-server
		t.Fatal("Start returned without redis-server")
	case modeEcho:
		var a echoArgs
		err := HelperArgs(&a)
		if err == nil {
			fmt.Println("READY")
			err = PrintResult(echoArgs{N: 2 * a.N})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	default:
		t.Fatalf("unknown mode %q", HelperMode())
	}
}

func TestStartAnswersPingUntilStopped(t *testing.T) {
	srv := Start(t)
	host, _, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	require.NoError(t, ping(srv.Addr))

	srv.Stop()
	err = ping(srv.Addr)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr, "the server still answers after Stop")
	assert.Equal(t, "dial", opErr.Op)
	srv.Stop() // again: nothing to do, and no hang
}

func TestStartsAreIndependent(t *testing.T) {
	a, b := Start(t), Start(t)
	require.NotEqual(t, a.Addr, b.Addr)
	a.Stop()
	require.NoError(t, ping(b.Addr), "stopping one server stopped the other")
}

func TestPingRefusesAnythingButPong(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = conn.Write([]byte("-LOADING Redis is loading the dataset in memory\r\n"))
	}()
	err = ping(l.Addr().String())
	require.ErrorIs(t, err, errNoPong)
	assert.Contains(t, err.Error(), "LOADING")
}

// Without redis-server on PATH, Start skips the test with the install hint, or
// fails it when RequireEnv is set.
func TestStartWithoutRedisServer(t *testing.T) {
	cases := []struct {
		name, require string
		wantExit      int
		wantVerdict   string
	}{
		{"skips", "", 0, "--- SKIP: TestHelperProcess"},
		{"fails when required", "1", 1, "--- FAIL: TestHelperProcess"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "PATH="+t.TempDir(), envMode+"="+modeStart, RequireEnv+"="+c.require)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			exit := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, c.wantExit, exit, "output:\n%s", out.String())
			assert.Contains(t, out.String(), c.wantVerdict)
			assert.Contains(t, out.String(), InstallHint)
			assert.Equal(t, c.require != "", strings.Contains(out.String(), "or unset "+RequireEnv))
			assert.NotContains(t, out.String(), "Start returned without redis-server")
		})
	}
}

func TestChildExpectAndResult(t *testing.T) {
	c := StartChild(t, "TestHelperProcess", modeEcho, echoArgs{N: 21})
	assert.Empty(t, c.Expect(t, "READY", 30*time.Second))
	var res echoArgs
	c.Result(t, &res, 30*time.Second)
	assert.Equal(t, 42, res.N)
	c.Kill() // after the exit: nothing to do, and no hang
}

func TestHelperArgsRefusesGarbage(t *testing.T) {
	t.Setenv(envArgs, "{not json")
	var a echoArgs
	assert.ErrorContains(t, HelperArgs(&a), "redistest: decoding the helper's args")
}
