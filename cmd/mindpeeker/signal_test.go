package main

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// TestInterruptCancelsRequest checks that SIGINT cancels a request the
// server never answers: the command stops at once with exit code 1.
func TestInterruptCancelsRequest(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	h := newHarness(t)
	h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultHang, Target: "GET /v1/sessions"})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := h.command(ctx, args("sessions list"))
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())

	// Wait until the request hangs on the server.
	require.Eventually(t, func() bool { return h.srv.Stats().APIRequests == 1 }, 10*time.Second, 5*time.Millisecond)
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err := cmd.Wait()
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "context canceled")
	assert.Empty(t, stdout.String())
}
