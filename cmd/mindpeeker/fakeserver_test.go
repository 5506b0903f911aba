package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/cmd/mindpeeker/internal/cli"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// TestFakeServer runs 'fake-server' as a user would: it reads the export
// lines, runs commands against the server they name, and stops it with
// SIGINT.
func TestFakeServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stopping the server needs SIGINT")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	h := &harness{env: map[string]string{"MINDPEEKER_CONFIG_DIR": t.TempDir()}}
	cmd := h.command(ctx, args("fake-server --addr 127.0.0.1:0"))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	exports := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(exports) < 5 && sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		require.True(t, ok && strings.HasPrefix(sc.Text(), "export "), "not an export line: %q", sc.Text())
		exports[name] = value
	}
	require.Len(t, exports, 5, "stderr: %s", stderr.String())
	base := exports[client.EnvBaseURL]
	assert.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*/v1$`, base, "port 0 is replaced by the real port")
	origin := strings.TrimSuffix(base, "/v1")
	assert.Equal(t, origin+"/oauth2/token", exports[client.EnvTokenURL])
	assert.Equal(t, origin+"/oauth2/authorize", exports["MINDPEEKER_AUTHORIZE_URL"])
	assert.Equal(t, mindpeekertest.DefaultClientID, exports[client.EnvClientID])
	assert.Equal(t, mindpeekertest.DefaultClientSecret, exports[client.EnvClientSecret])

	// Run commands with exactly that environment: the seeded sessions are there.
	h.env = exports
	h.env["MINDPEEKER_CONFIG_DIR"] = t.TempDir()
	r := h.run(t, args("sessions list -o json"))
	require.Equal(t, 0, r.code, r)
	var list []sessions.Session
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	assert.Len(t, list, 3, "WithSeedData has three sessions")
	r = h.run(t, args("apikeys list -o json"))
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, `"prefix": "mpk_`)

	// The fake knows the command's default public client: log in with it and
	// use the stored login, with no client in the environment.
	noClient := []string{client.EnvClientID, "", client.EnvClientSecret, ""}
	r, status, _ := login(t, h, cli.DefaultClientID, noClient...)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 200, status)
	r = h.run(t, args("sessions get -o json "+list[0].ID), noClient...)
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, list[0].ID)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	for sc.Scan() {
		t.Errorf("unexpected stdout after the exports: %q", sc.Text())
	}
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	assert.Contains(t, stderr.String(), "listening on "+origin)
	assert.Contains(t, stderr.String(), "stopped")
}

// TestFakeServerEnvFile follows the README's recipe: the env file appears,
// whole, only once the server answers, and disappears when it stops.
func TestFakeServerEnvFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stopping the server needs SIGINT")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	envFile := filepath.Join(t.TempDir(), "fake.env")
	h := &harness{env: map[string]string{"MINDPEEKER_CONFIG_DIR": t.TempDir()}}
	cmd := h.command(ctx, args("fake-server --addr 127.0.0.1:0 --env-file "+envFile))
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	var data []byte
	require.Eventually(t, func() bool {
		var err error
		data, err = os.ReadFile(envFile)
		return err == nil
	}, 10*time.Second, 5*time.Millisecond, "stderr: %s", stderr.String())

	// Read at once: whole, private, and the server already answers.
	exports := map[string]string{}
	for line := range strings.Lines(string(data)) {
		name, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSuffix(line, "\n"), "export "), "=")
		require.True(t, ok, "not an export line: %q", line)
		exports[name] = value
	}
	require.Len(t, exports, 5)
	fi, err := os.Stat(envFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	h.env = exports
	h.env["MINDPEEKER_CONFIG_DIR"] = t.TempDir()
	r := h.run(t, args("sessions list"))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, stdout.String(), "the exports go to the file only")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	assert.NoFileExists(t, envFile, "a stopped server leaves no env file pointing at it")
	entries, err := os.ReadDir(filepath.Dir(envFile))
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary file left")
}

func TestFakeServerRefusesRemoteAddr(t *testing.T) {
	h := &harness{env: map[string]string{}}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8080"} {
		r := h.run(t, args("fake-server --addr "+addr))
		assert.Equal(t, 2, r.code, r)
		assert.Contains(t, r.stderr, "--allow-remote")
		assert.Empty(t, r.stdout)
	}
}
