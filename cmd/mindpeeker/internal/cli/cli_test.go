package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name    string
		started bool
		err     error
		want    int
	}{
		{"cobra parse error", false, errors.New("unknown flag: --x"), ExitUsage},
		{"usage error in a command", true, usageErrorf("--title is required"), ExitUsage},
		{"wrapped usage error", true, fmt.Errorf("x: %w", usageErrorf("bad")), ExitUsage},
		{"401", true, fmt.Errorf("get: %w", &client.APIError{StatusCode: 401}), ExitAuth},
		{"403", true, &client.APIError{StatusCode: 403, Code: "insufficient_scope"}, ExitAuth},
		{"404", true, &client.APIError{StatusCode: 404}, ExitError},
		{"500", true, &client.APIError{StatusCode: 500}, ExitError},
		{"invalid_client", true, fmt.Errorf("list: %w", &auth.TokenError{Grant: "client_credentials", Code: "invalid_client", StatusCode: 401}), ExitAuth},
		{"invalid_grant", true, &auth.TokenError{Grant: "refresh_token", Code: "invalid_grant", StatusCode: 400}, ExitAuth},
		{"token endpoint 4xx without code", true, &auth.TokenError{Grant: "refresh_token", StatusCode: 403, Err: errors.New("x")}, ExitAuth},
		{"token endpoint 503", true, &auth.TokenError{Grant: "client_credentials", StatusCode: 503, Err: errors.New("x")}, ExitError},
		{"token endpoint unreachable", true, &auth.TokenError{Grant: "client_credentials", Err: errors.New("connection refused")}, ExitError},
		{"token endpoint 503 temporarily_unavailable", true, &auth.TokenError{Grant: "refresh_token", Code: "temporarily_unavailable", StatusCode: 503}, ExitError},
		{"token endpoint 500 server_error", true, &auth.TokenError{Grant: "client_credentials", Code: "server_error", StatusCode: 500}, ExitError},
		{"token endpoint 429 with a code", true, &auth.TokenError{Grant: "client_credentials", Code: "rate_limited", StatusCode: 429}, ExitError},
		{"temporarily_unavailable at 400", true, &auth.TokenError{Grant: "refresh_token", Code: "temporarily_unavailable", StatusCode: 400}, ExitError},
		{"token endpoint 404 without code", true, &auth.TokenError{Grant: "client_credentials", StatusCode: 404, Err: errors.New("x")}, ExitError},
		{"invalid_grant at 200", true, &auth.TokenError{Grant: "refresh_token", Code: "invalid_grant", StatusCode: 200}, ExitAuth},
		{"invalid_scope", true, &auth.TokenError{Grant: "client_credentials", Code: "invalid_scope", StatusCode: 400}, ExitAuth},
		{"unauthorized_client", true, &auth.TokenError{Grant: "client_credentials", Code: "unauthorized_client", StatusCode: 400}, ExitAuth},
		{"access_denied", true, &auth.TokenError{Grant: "password", Code: "access_denied", StatusCode: 403}, ExitAuth},
		{"invalid_request 400", true, &auth.TokenError{Grant: "refresh_token", Code: "invalid_request", StatusCode: 400}, ExitAuth},
		{"insecure token URL", true, &auth.TokenError{Grant: "client_credentials", Err: fmt.Errorf("auth: x: %w", auth.ErrInsecureURL)}, ExitUsage},
		{"insecure URL", true, fmt.Errorf("sessions: %w", auth.ErrInsecureURL), ExitUsage},
		{"no credentials", true, errNoCredentials, ExitAuth},
		{"insecure token file", true, fmt.Errorf("load: %w", auth.ErrInsecureFile), ExitAuth},
		{"login refused", true, fmt.Errorf("login: %w", &auth.AuthorizationError{Code: "access_denied"}), ExitAuth},
		{"forged callback", true, fmt.Errorf("login: %w", auth.ErrStateMismatch), ExitAuth},
		{"network", true, errors.New("dial tcp: connection refused"), ExitError},
		{"cancelled", true, context.Canceled, ExitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{started: tc.started}
			assert.Equal(t, tc.want, a.exitCode(tc.err))
		})
	}
}

// TestRunUsage checks, in process, the errors cobra and the commands report
// before any request: all exit 2 with a message and a pointer to --help.
func TestRunUsage(t *testing.T) {
	env := map[string]string{client.EnvClientID: "id", client.EnvClientSecret: "secret", EnvConfigDir: t.TempDir(),
		client.EnvBaseURL: "http://127.0.0.1:1/v1", client.EnvTokenURL: "http://127.0.0.1:1/token"}
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"bogus"}, `unknown command "bogus" for "mindpeeker"`},
		{[]string{"sessions", "lst"}, `did you mean list`},
		{[]string{"apikeys", "rotat", "x"}, `unknown command "rotat"`},
		{[]string{"sessions", "list", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"sessions", "list", "--limit", "abc"}, `invalid argument "abc"`},
		{[]string{"sessions", "list", "--limit", "101"}, "invalid --limit 101"},
		{[]string{"sessions", "list", "extra"}, "too many arguments"},
		{[]string{"sessions", "get"}, "missing argument ID"},
		{[]string{"sessions", "get", ""}, "argument ID is empty"},
		{[]string{"sessions", "create"}, "--title is required"},
		{[]string{"-o", "yaml", "sessions", "list"}, `invalid --output "yaml"`},
		{[]string{"apikeys", "create", "--scope", "profile"}, "--name is required"},
		{[]string{"apikeys", "create", "--name", "n"}, "--scope is required"},
		{[]string{"apikeys", "create", "--name", "n", "--scope", "profile", "--expires-in", "soon"}, `invalid --expires-in "soon"`},
		{[]string{"apikeys", "create", "--name", "n", "--scope", "profile", "--expires-at", "tomorrow"}, `invalid --expires-at "tomorrow"`},
		{[]string{"apikeys", "create", "--name", "n", "--scope", "profile", "--expires-in", "1d", "--expires-at", "2030-01-01T00:00:00Z"}, "none of the others can be"},
		{[]string{"fake-server", "--addr", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"fake-server", "--addr", "nonsense"}, "invalid --addr"},
		{[]string{"auth", "login", "--timeout", "0s"}, "invalid --timeout"},
		{[]string{"sessions", "create", "--title", "t", "--idempotency-key", "a b"}, "invalid --idempotency-key"},
		{[]string{"apikeys", "rotate", "key_1", "--idempotency-key", "k\r\nX-Evil: 1"}, "invalid --idempotency-key"},
		{[]string{"apikeys", "create", "--name", "n", "--scope", "profile", "--idempotency-key", strings.Repeat("k", 256)}, "longer than 255"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tc.args, nil, &stdout, &stderr, func(k string) string { return env[k] })
			assert.Equal(t, ExitUsage, code, stderr.String())
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), tc.msg)
			assert.Contains(t, stderr.String(), "--help' for usage.")
		})
	}
}

func TestRunHelpAndCompletion(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{{"--help"}, {"sessions"}, {"apikeys", "create", "--help"}, {"help", "auth"}} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, ExitOK, Run(t.Context(), args, nil, &stdout, &stderr, env), "%v: %s", args, stderr.String())
		assert.Contains(t, stdout.String(), "Usage:", args)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, ExitOK, Run(t.Context(), []string{"completion", shell}, nil, &stdout, &stderr, env), stderr.String())
		assert.Contains(t, stdout.String(), "mindpeeker", shell)
	}
}

// TestEveryCommandHasExamples keeps the help discoverable: every command of
// ours documents itself with at least one example.
func TestEveryCommandHasExamples(t *testing.T) {
	a := &app{env: func(string) string { return "" }}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.HasSubCommands() {
			return
		}
		n++
		assert.NotEmpty(t, c.Short, c.CommandPath())
		assert.Contains(t, c.Example, "mindpeeker "+strings.TrimPrefix(c.CommandPath(), "mindpeeker "), c.CommandPath())
	}
	walk(a.rootCommand())
	assert.Equal(t, 13, n, "sessions 4, apikeys 5, auth 3, fake-server 1")
}

// TestHelpIsAccurate checks the help's claims that reviews found wrong: -o
// json prints the SDK's models (not the API's raw objects), and a lost answer
// is asked again with the same key, which --idempotency-key can also give.
func TestHelpIsAccurate(t *testing.T) {
	help := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		require.Equal(t, ExitOK, Run(t.Context(), append(args, "--help"), nil, &stdout, &stderr, func(string) string { return "" }), stderr.String())
		return stdout.String()
	}
	root := help()
	assert.Contains(t, root, "-o json prints the API\nobjects as the SDK models them: fields the SDK does not know are not printed.")
	assert.NotContains(t, root, "the API's own JSON")
	assert.Contains(t, help("sessions", "list"), "output format: table, or json (the API objects as the SDK models them; unknown fields are not printed)")
	for _, cmd := range [][]string{{"apikeys", "create"}, {"apikeys", "rotate"}, {"sessions", "create"}} {
		h := help(cmd...)
		assert.Contains(t, h, "--idempotency-key string", cmd)
		assert.Contains(t, h, "asks once more with the same key", cmd)
		assert.NotContains(t, h, "a retry after a lost answer", cmd)
	}
}
