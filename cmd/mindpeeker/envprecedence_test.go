package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// With MINDPEEKER_CLIENT_ID, MINDPEEKER_CLIENT_SECRET and MINDPEEKER_API_KEY
// all set, the command follows the SDK's one rule: client credentials win.
// The key here is unknown to the server, so using it would fail with exit 3.
func TestAllThreeCredentialVariablesSet(t *testing.T) {
	const unknownKey = "mpk_1111111111111111111111111111111111111111"
	h := newHarness(t)
	h.env[client.EnvAPIKey] = unknownKey

	r := h.run(t, args("--verbose sessions list"))
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, h.srv.Stats().TokenRequestsByGrant["client_credentials"])
	assert.Contains(t, r.stderr, "using client credentials")
	assert.Contains(t, r.stderr, "MINDPEEKER_API_KEY is ignored")
	assert.NotContains(t, r.all(), unknownKey)
	assert.NotContains(t, r.all(), h.env[client.EnvClientSecret])

	r = h.run(t, args("auth token"))
	require.Equal(t, 0, r.code, "client credentials have a token to print: %s", r)
	assertAccepted(t, h, strings.TrimSpace(r.stdout))

	// Without the pair, the key is used (and refused here: exit 3).
	r = h.run(t, args("--verbose sessions list"), client.EnvClientSecret, "")
	assert.Equal(t, 3, r.code, r)
	assert.Contains(t, r.stderr, "using the API key")
	assert.Contains(t, r.stderr, "MINDPEEKER_CLIENT_ID is ignored")
}
