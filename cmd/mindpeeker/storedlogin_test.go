package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// TestStoredLoginStaysOnItsOrigins checks that the tokens of the stored login
// only ever go to the origins it was made with: a token or base URL on another
// origin, from a variable or a flag, is refused before anything is sent, and
// the other server sees no request at all.
func TestStoredLoginStaysOnItsOrigins(t *testing.T) {
	h := newHarness(t)
	h.srv.CreateSession("mine")
	r, _, _ := login(t, h, mindpeekertest.PublicClientID, publicClient...)
	require.Equal(t, 0, r.code, r)
	tokenFile := filepath.Join(h.env["MINDPEEKER_CONFIG_DIR"], "token.json")

	other := mindpeekertest.NewServer() // where the tokens must not go
	t.Cleanup(other.Close)
	origin := h.srv.URL // the fake serves the token endpoint and the API
	otherPort := other.URL[strings.LastIndex(other.URL, ":")+1:]

	tests := []struct {
		name    string
		flags   string
		env     []string
		names   string // the variable or flag the message names
		refused bool
	}{
		{name: "token URL variable", env: []string{client.EnvTokenURL, other.TokenURL()}, names: client.EnvTokenURL, refused: true},
		{name: "token URL flag", flags: "--token-url " + other.TokenURL(), names: "--token-url", refused: true},
		{name: "base URL variable", env: []string{client.EnvBaseURL, other.APIURL()}, names: client.EnvBaseURL, refused: true},
		{name: "base URL flag", flags: "--base-url " + other.APIURL(), names: "--base-url", refused: true},
		{name: "flag wins over a variable", flags: "--base-url " + h.srv.APIURL(),
			env: []string{client.EnvBaseURL, other.APIURL(), client.EnvTokenURL, other.TokenURL()}, names: client.EnvTokenURL, refused: true},
		{name: "same host, another port", env: []string{client.EnvTokenURL, "http://127.0.0.1:" + otherPort + "/oauth2/token"},
			names: client.EnvTokenURL, refused: true},
		{name: "localhost is another origin than 127.0.0.1", env: []string{client.EnvBaseURL, strings.Replace(h.srv.APIURL(), "127.0.0.1", "localhost", 1)},
			names: client.EnvBaseURL, refused: true},
		{name: "same origin", flags: "--token-url " + h.srv.TokenURL() + " --base-url " + h.srv.APIURL()},
		{name: "same origin, other spelling", env: []string{client.EnvBaseURL, strings.Replace(h.srv.APIURL(), "http://", "HTTP://", 1)}},
		{name: "nothing set: the recorded URLs", env: []string{client.EnvBaseURL, "", client.EnvTokenURL, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expireStoredToken(t, tokenFile) // so that a run would renew the login
			r := h.run(t, args(tc.flags+" sessions list -o json"), append(publicClient, tc.env...)...)
			assert.NotContains(t, r.all(), "mprt_", "no refresh token in any output")
			assert.NotContains(t, r.all(), "mpat_", "no access token in any output")
			assert.Zero(t, other.Stats().TokenRequests, "no token request to the other server")
			assert.Zero(t, other.Stats().APIRequests, "no API request to the other server")
			if !tc.refused {
				require.Equal(t, 0, r.code, r)
				assert.Contains(t, r.stdout, `"title": "mine"`)
				return
			}
			require.Equal(t, 2, r.code, r)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tc.names)
			assert.Contains(t, r.stderr, "stored login was made with "+origin)
			assert.NotContains(t, r.stderr, "auth login' to log in again", "not a refused login")
		})
	}
	assert.Equal(t, 3, h.srv.Stats().TokenRequestsByGrant["refresh_token"], "the accepted runs renewed on the login's own origin")
}

// TestStoredLoginTokenEndpointDown checks that a token endpoint failing for a
// while (5xx, 429) is a network or server error, exit 1, not a refused login
// telling the user to log in again.
func TestStoredLoginTokenEndpointDown(t *testing.T) {
	h := newHarness(t)
	r, _, _ := login(t, h, mindpeekertest.PublicClientID, publicClient...)
	require.Equal(t, 0, r.code, r)
	tokenFile := filepath.Join(h.env["MINDPEEKER_CONFIG_DIR"], "token.json")

	for _, status := range []int{503, 500, 429} {
		expireStoredToken(t, tokenFile)
		h.srv.Inject(tokenFault(status))
		r := h.run(t, args("sessions list"), publicClient...)
		h.srv.ClearFaults()
		assert.Equal(t, 1, r.code, "HTTP %d: %s", status, r)
		assert.NotContains(t, r.stderr, "auth login", "HTTP %d is no reason to log in again", status)
		assert.NotContains(t, r.all(), "mprt_")
	}

	// Once the endpoint is back, the same stored login works: it was never refused.
	expireStoredToken(t, tokenFile)
	r = h.run(t, args("sessions list"), publicClient...)
	assert.Equal(t, 0, r.code, r)
}
