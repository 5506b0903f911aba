package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

func TestRotatesOnlyOldKeysAndPrintsEachOnce(t *testing.T) {
	for _, env := range []string{client.EnvClientID, client.EnvAPIKey} {
		t.Setenv(env, "")
	}
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), &stdout, &stderr, 90*24*time.Hour, false))
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2, stdout.String())
	names := map[string]bool{}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		require.Len(t, f, 3)
		names[f[1]] = true
		assert.True(t, strings.HasPrefix(f[2], "mpk_"))
		assert.NotContains(t, stderr.String(), f[2], "a new key is printed once, on stdout only")
	}
	assert.Equal(t, map[string]bool{"deploy-bot": true, "nightly-export": true}, names)

	stdout.Reset()
	require.NoError(t, run(context.Background(), &stdout, &stderr, 90*24*time.Hour, true))
	assert.Empty(t, stdout.String(), "a dry run prints no key")
}
