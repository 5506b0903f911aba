package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// publicClient is the environment of a user who logs in: the fake's public
// client and no secret, so the commands fall back to the stored login.
var publicClient = []string{client.EnvClientID, mindpeekertest.PublicClientID, client.EnvClientSecret, ""}

// login runs 'auth login --no-browser' with the client in env (name, value
// pairs) and plays the browser: it reads the authorization URL the command
// prints on stderr and GETs it; the fake consents at once and redirects to
// the command's loopback callback. It returns the command's result and the
// page the "browser" ended on.
func login(t *testing.T, h *harness, clientID string, env ...string) (r result, status int, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := h.command(ctx, args("auth login --no-browser"), env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var stderr strings.Builder
	sc := bufio.NewScanner(pipe)
	var authURL string
	for authURL == "" && sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, h.env["MINDPEEKER_AUTHORIZE_URL"]+"?") {
			authURL = line
		}
	}
	rest := make(chan string)
	go func() {
		var b strings.Builder
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		rest <- b.String()
	}()

	if authURL != "" {
		u, err := url.Parse(authURL)
		require.NoError(t, err)
		q := u.Query()
		assert.Equal(t, clientID, q.Get("client_id"))
		assert.Equal(t, "S256", q.Get("code_challenge_method"))
		assert.NotEmpty(t, q.Get("state"))
		assert.True(t, strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:"), q.Get("redirect_uri"))

		req, err := http.NewRequestWithContext(ctx, "GET", authURL, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		require.NoError(t, err)
		status, page = resp.StatusCode, string(body)
	}
	stderr.WriteString(<-rest)
	waitErr := cmd.Wait()
	r = result{stdout: stdout.String(), stderr: stderr.String()}
	if err := waitErr; err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "%v\n%s", err, r)
		r.code = ee.ExitCode()
	}
	require.NotEmpty(t, authURL, "no authorization URL on stderr:\n%s", r)
	return r, status, page
}

func TestAuthLoginTokenLogout(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(t.TempDir(), "config") // created by the login
	h.env["MINDPEEKER_CONFIG_DIR"] = dir
	h.srv.CreateSession("mine")

	r, status, page := login(t, h, mindpeekertest.PublicClientID, publicClient...)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "Logged in")
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "Logged in.")
	assert.NotContains(t, r.all(), "mpat_")
	assert.NotContains(t, r.all(), "mprt_")
	assert.Equal(t, 1, h.srv.Stats().TokenRequestsByGrant["authorization_code"])

	tokenFile := filepath.Join(dir, "token.json")
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(tokenFile)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}

	// auth token prints the stored access token, which the API accepts.
	r = h.run(t, args("auth token"), publicClient...)
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	tok := strings.TrimSuffix(r.stdout, "\n")
	require.True(t, strings.HasPrefix(tok, "mpat_"), r.stdout)
	assert.Equal(t, 1, strings.Count(r.stdout, "\n"))
	assertAccepted(t, h, tok)

	// As its help says, a second run reuses the stored token while it lasts.
	before := h.srv.Stats().TokenRequests
	r = h.run(t, args("auth token"), publicClient...)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, tok, strings.TrimSpace(r.stdout))
	assert.Equal(t, before, h.srv.Stats().TokenRequests, "no token request while the stored token is valid")

	// Other commands use the stored login.
	r = h.run(t, args("sessions list -o json"), publicClient...)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, `"title": "mine"`)

	// An expired login is renewed with its refresh token, and the new tokens stored.
	expireStoredToken(t, tokenFile)
	r = h.run(t, args("auth token"), publicClient...)
	require.Equal(t, 0, r.code, r)
	renewed := strings.TrimSpace(r.stdout)
	assert.NotEqual(t, tok, renewed)
	assertAccepted(t, h, renewed)
	assert.Equal(t, 1, h.srv.Stats().TokenRequestsByGrant["refresh_token"])
	var stored struct {
		AccessToken string `json:"access_token"`
	}
	b, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &stored))
	assert.Equal(t, renewed, stored.AccessToken)

	// The login remembers its client and servers: with none of them in the
	// environment, the commands still reach the fake and renew there.
	expireStoredToken(t, tokenFile)
	r = h.run(t, args("sessions list -o json"), client.EnvClientID, "", client.EnvClientSecret, "",
		client.EnvBaseURL, "", client.EnvTokenURL, "")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, `"title": "mine"`)
	assert.Equal(t, 2, h.srv.Stats().TokenRequestsByGrant["refresh_token"])
	var info map[string]string
	b, err = os.ReadFile(filepath.Join(dir, "login.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &info))
	assert.Equal(t, map[string]string{"client_id": mindpeekertest.PublicClientID, "token_url": h.srv.TokenURL(),
		"base_url": h.srv.APIURL()}, info, "no secret in the login info")

	// A token file others can read is refused.
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Chmod(tokenFile, 0o644))
		r = h.run(t, args("sessions list"), publicClient...)
		assert.Equal(t, 3, r.code, r)
		assert.Contains(t, r.stderr, "has mode 0644")
		require.NoError(t, os.Chmod(tokenFile, 0o600))
	}

	// A revoked login exits 3 with a hint to log in again.
	h.srv.RevokeAllTokens()
	expireStoredToken(t, tokenFile)
	r = h.run(t, args("sessions list"), publicClient...)
	assert.Equal(t, 3, r.code, r)
	assert.Contains(t, r.stderr, "invalid_grant")
	assert.Contains(t, r.stderr, "mindpeeker auth login")

	r = h.run(t, args("auth logout"), publicClient...)
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "Logged out")
	assert.NoFileExists(t, tokenFile)
	assert.NoFileExists(t, filepath.Join(dir, "login.json"))

	// The public client's id alone, with no login left, is half a credential:
	// the message names the missing half (usage, like the secret without the id).
	r = h.run(t, args("auth token"), publicClient...)
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, "MINDPEEKER_CLIENT_SECRET is not")
	assert.Contains(t, r.stderr, "auth login")

	r = h.run(t, args("auth logout"), publicClient...)
	assert.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "Not logged in")
}

func TestAuthLoginDenied(t *testing.T) {
	h := newHarness(t)
	h.srv.DenyAuthorization(true)
	r, status, _ := login(t, h, mindpeekertest.PublicClientID, publicClient...)
	assert.Equal(t, 3, r.code, r)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, r.stderr, "access_denied")
	assert.NoFileExists(t, filepath.Join(h.env["MINDPEEKER_CONFIG_DIR"], "token.json"))
}

func TestAuthTokenClientCredentials(t *testing.T) {
	h := newHarness(t)
	r := h.run(t, args("auth token"))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	assertAccepted(t, h, strings.TrimSpace(r.stdout))
	assert.Equal(t, 1, h.srv.Stats().TokenRequestsByGrant["client_credentials"])

	r = h.run(t, args("auth token"), client.EnvAPIKey, "mpk_x", client.EnvClientSecret, "")
	assert.Equal(t, 2, r.code, "an API key has no token to print: %s", r)
	assert.NotContains(t, r.all(), "mpk_x")
}

// As its help says, client credentials tokens are not stored: each run of
// auth token asks the token endpoint anew.
func TestAuthTokenClientCredentialsAreNotReused(t *testing.T) {
	h := newHarness(t)
	for i := 1; i <= 2; i++ {
		r := h.run(t, args("auth token"))
		require.Equal(t, 0, r.code, r)
		assert.Equal(t, i, h.srv.Stats().TokenRequestsByGrant["client_credentials"])
	}
}

// assertAccepted checks that the fake API accepts tok as a bearer token.
func assertAccepted(t *testing.T, h *harness, tok string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", h.srv.APIURL()+"/sessions", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// expireStoredToken rewrites the stored token as expired, as time would.
func expireStoredToken(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.NotEmpty(t, m["refresh_token"], "the login has a refresh token")
	m["expiry"] = time.Now().Add(-time.Minute).Format(time.RFC3339)
	delete(m, "expires_in")
	b, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}
