package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// TestExitCodes checks each documented exit code: what a script sees for
// success, API and network errors, usage errors and refused credentials.
func TestExitCodes(t *testing.T) {
	const badSecret = "wrong-secret-Zq81xK" // must never be echoed
	tests := []struct {
		name   string
		args   string
		env    []string                                 // overrides of the harness environment
		setup  func(h *harness)                         // before the run
		code   int                                      // expected exit code
		stderr []string                                 // substrings of stderr
		check  func(t *testing.T, h *harness, r result) // more checks
	}{
		{name: "ok", args: "sessions list", code: 0},
		{name: "404 with request id", args: "sessions get ses_missing", code: 1,
			stderr: []string{"HTTP 404 not_found", "(request req_"}},
		{name: "500 burst outlasting the retries", args: "sessions list", code: 1,
			setup: func(h *harness) {
				h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 500, Times: 4})
			},
			stderr: []string{"HTTP 500", "(request req_"},
			check: func(t *testing.T, h *harness, _ result) {
				assert.Equal(t, 4, h.srv.Stats().APIRequests, "one attempt and three retries")
				assert.Zero(t, h.srv.PendingFaults())
			}},
		{name: "network error", args: "sessions list", code: 1,
			env:    []string{client.EnvBaseURL, "http://127.0.0.1:1/v1", client.EnvAPIKey, "mpk_whatever"},
			stderr: []string{"connection refused"}},
		{name: "unknown command", args: "sesions list", code: 2, stderr: []string{`unknown command "sesions"`, "did you mean sessions"}},
		{name: "unknown subcommand", args: "apikeys delete key_1", code: 2, stderr: []string{`unknown command "delete"`}},
		{name: "bad flag", args: "sessions list --limt 5", code: 2, stderr: []string{"unknown flag: --limt"}},
		{name: "bad flag value", args: "sessions list --limit many", code: 2, stderr: []string{`invalid argument "many"`}},
		{name: "missing argument", args: "apikeys rotate", code: 2, stderr: []string{"missing argument ID"}},
		{name: "bad output format", args: "sessions list -o yaml", code: 2},
		{name: "bad expires-in", args: "apikeys create --name n --scope profile --expires-in 3y", code: 2, stderr: []string{"--expires-in"}},
		{name: "both expiry flags", args: "apikeys create --name n --scope profile --expires-in 3d --expires-at 2030-01-01T00:00:00Z", code: 2},
		{name: "plain http to a remote host", args: "sessions list", code: 2,
			env: []string{client.EnvBaseURL, "http://api.example.com/v1"}, stderr: []string{"plain http"}},
		{name: "plain http token URL to a remote host", args: "sessions list", code: 2,
			env: []string{client.EnvTokenURL, "http://auth.example.com/oauth2/token"}, stderr: []string{"plain http"},
			check: func(t *testing.T, h *harness, _ result) {
				assert.Zero(t, h.srv.Stats().APIRequests)
			}},
		{name: "login with a plain http authorize URL to a remote host", args: "auth login --no-browser --timeout 5s", code: 2,
			env: []string{"MINDPEEKER_AUTHORIZE_URL", "http://auth.example.com/oauth2/authorize"}, stderr: []string{"plain http"}},
		{name: "login with a plain http token URL to a remote host", args: "auth login --no-browser --timeout 5s", code: 2,
			env: []string{client.EnvTokenURL, "http://auth.example.com/oauth2/token"}, stderr: []string{"plain http"}},
		{name: "token endpoint 503 temporarily_unavailable", args: "sessions list", code: 1,
			setup:  func(h *harness) { h.srv.Inject(tokenFault(503)) },
			stderr: []string{"temporarily_unavailable"}},
		{name: "token endpoint 500 server_error", args: "sessions list", code: 1,
			setup:  func(h *harness) { h.srv.Inject(tokenFault(500)) },
			stderr: []string{"server_error"}},
		{name: "token endpoint 429", args: "sessions list", code: 1,
			setup:  func(h *harness) { h.srv.Inject(tokenFault(429)) },
			stderr: []string{"rate_limited"}},
		{name: "token endpoint 400 invalid_request", args: "sessions list", code: 3,
			setup:  func(h *harness) { h.srv.Inject(tokenFault(400)) },
			stderr: []string{"invalid_request"}},
		{name: "bad client secret", args: "sessions list", code: 3,
			env:    []string{client.EnvClientSecret, badSecret},
			stderr: []string{"invalid_client"},
			check: func(t *testing.T, _ *harness, r result) {
				assert.NotContains(t, r.all(), badSecret)
				assert.NotContains(t, r.all(), badSecret[:8])
			}},
		{name: "bad client secret with --verbose", args: "--verbose sessions list", code: 3,
			env: []string{client.EnvClientSecret, badSecret},
			check: func(t *testing.T, _ *harness, r result) {
				assert.NotContains(t, r.all(), badSecret)
			}},
		{name: "403 missing scope", args: "sessions create --title x", code: 3,
			env: []string{client.EnvScopes, "remote-viewing:read"}, stderr: []string{"HTTP 403"}},
		{name: "unknown API key", args: "sessions list", code: 3,
			env:    []string{client.EnvAPIKey, "mpk_0000000000000000000000000000000000000000", client.EnvClientID, "", client.EnvClientSecret, ""},
			stderr: []string{"HTTP 401"},
			check: func(t *testing.T, _ *harness, r result) {
				assert.NotContains(t, r.all(), "mpk_0000000000")
			}},
		{name: "no credentials", args: "sessions list", code: 3,
			env: []string{client.EnvClientID, "", client.EnvClientSecret, ""}, stderr: []string{"no credentials", "auth login"}},
		{name: "secret without id", args: "sessions list", code: 2,
			env: []string{client.EnvClientID, ""}, stderr: []string{"MINDPEEKER_CLIENT_SECRET is set but MINDPEEKER_CLIENT_ID is not"}},
		{name: "id without secret", args: "sessions list", code: 2,
			env: []string{client.EnvClientSecret, ""}, stderr: []string{"MINDPEEKER_CLIENT_ID is set but MINDPEEKER_CLIENT_SECRET is not"}},
		{name: "completion for an unknown shell", args: "completion tcsh", code: 2, stderr: []string{`"tcsh"`, "bash"}},
		{name: "help for an unknown command", args: "help bogus", code: 2, stderr: []string{`unknown command "bogus"`}},
		{name: "help for an unknown subcommand", args: "help sessions bogus", code: 2, stderr: []string{`"bogus"`}},
		{name: "limit 0", args: "sessions list --limit 0", code: 2, stderr: []string{"invalid --limit 0"}},
		{name: "negative limit", args: "sessions list --limit -5", code: 2, stderr: []string{"invalid --limit -5"}},
		{name: "unknown flag of a group", args: "apikeys --bogus", code: 2, stderr: []string{"unknown flag: --bogus"}},
		{name: "unknown shorthand flag", args: "sessions list -z", code: 2, stderr: []string{"unknown shorthand flag"}},
		{name: "404 on a wrong base URL hints at it", args: "sessions list", code: 1,
			setup:  func(h *harness) { h.env[client.EnvBaseURL] = strings.TrimSuffix(h.srv.APIURL(), "/v1") },
			stderr: []string{"HTTP 404", "MINDPEEKER_BASE_URL", "--base-url", "/v1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.srv.CreateSession("existing")
			if tc.setup != nil {
				tc.setup(h)
			}
			r := h.run(t, args(tc.args), tc.env...)
			require.Equal(t, tc.code, r.code, r)
			if tc.code != 0 {
				assert.Empty(t, r.stdout, "errors leave stdout empty")
				assert.True(t, strings.HasPrefix(r.stderr, "Error: ") || strings.Contains(r.stderr, "\nError: "), r.stderr)
			}
			if tc.code == 2 {
				assert.Contains(t, r.stderr, "--help' for usage.")
			}
			for _, s := range tc.stderr {
				assert.Contains(t, r.stderr, s)
			}
			assert.NotContains(t, r.all(), mindpeekertest.DefaultClientSecret, "no secret in any output")
			assert.NotContains(t, r.all(), "mpat_", "no access token in any output")
			if tc.check != nil {
				tc.check(t, h, r)
			}
		})
	}
}

// tokenFault makes the token endpoint answer status, with its OAuth error
// code, to every token request of a run.
func tokenFault(status int) mindpeekertest.Fault {
	return mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Target: "token", Status: status, Times: 100}
}
