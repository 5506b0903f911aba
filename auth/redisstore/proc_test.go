package redisstore_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/testing/fleettest"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// Child processes: the tests re-execute their own binary (redistest.StartChild),
// running only TestHelperProcess, which acts according to its mode.
const helperTest = "TestHelperProcess"

// helperArgs is everything a lockloop or hold child needs to know; fleet
// children take a fleettest.Args.
type helperArgs struct {
	RedisAddr string
	Key       string // Options.Key; Namespace is "test", the encryption key testKey(1)
	LockTTL   time.Duration

	// lockloop
	Iterations int
}

// startChild runs this test binary as a child in mode, killed when the test ends.
func startChild(tb testing.TB, mode string, args any) *redistest.Child {
	tb.Helper()
	return redistest.StartChild(tb, helperTest, mode, args)
}

// TestHelperProcess is not a test: it is the body of the child processes.
func TestHelperProcess(t *testing.T) {
	mode := redistest.HelperMode()
	if mode == "" {
		t.Skip("helper process for the multi-process tests")
	}
	var err error
	switch mode {
	case "lockloop", "hold":
		var args helperArgs
		if err = redistest.HelperArgs(&args); err != nil {
			break
		}
		if mode == "lockloop" {
			err = childLockLoop(args)
		} else {
			err = childHold(args)
		}
	case gateMode:
		err = runGateChild()
	case fleettest.Mode:
		var args fleettest.Args
		if err = redistest.HelperArgs(&args); err != nil {
			break
		}
		err = fleettest.RunChild(args)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
