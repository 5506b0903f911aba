//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// TestLoginInfoIsAPrivateFile: login.json names the URLs the stored tokens
// are sent to, so it is read like the token file (a symlink, a FIFO, a file
// others may read or write is refused, exit 3, without blocking and without
// a request) and written like it (never through a planted symlink).
func TestLoginInfoIsAPrivateFile(t *testing.T) {
	h := newHarness(t)
	h.srv.CreateSession("mine")
	dir := h.env["MINDPEEKER_CONFIG_DIR"]
	infoFile := filepath.Join(dir, "login.json")

	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o600))
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.Symlink(victim, infoFile))
	r, _, _ := login(t, h, mindpeekertest.PublicClientID, publicClient...)
	require.Equal(t, 0, r.code, r)
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b), "the login did not write through the symlink")
	fi, err := os.Lstat(infoFile)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	good, err := os.ReadFile(infoFile)
	require.NoError(t, err)

	plants := []struct {
		name  string
		plant func(t *testing.T)
	}{
		{"readable by others", func(t *testing.T) { require.NoError(t, os.Chmod(infoFile, 0o644)) }},
		{"writable by others", func(t *testing.T) { require.NoError(t, os.Chmod(infoFile, 0o622)) }},
		{"symlink", func(t *testing.T) {
			elsewhere := filepath.Join(t.TempDir(), "login.json")
			require.NoError(t, os.WriteFile(elsewhere, good, 0o600))
			require.NoError(t, os.Remove(infoFile))
			require.NoError(t, os.Symlink(elsewhere, infoFile))
		}},
		{"FIFO", func(t *testing.T) {
			require.NoError(t, os.Remove(infoFile))
			require.NoError(t, syscall.Mkfifo(infoFile, 0o600))
		}},
	}
	for _, p := range plants {
		t.Run(p.name, func(t *testing.T) {
			p.plant(t)
			before := h.srv.Stats()
			r := h.run(t, args("sessions list"), publicClient...) // bounded: 20s
			assert.Equal(t, 3, r.code, r)
			assert.Contains(t, r.stderr, "login.json")
			assert.Contains(t, r.stderr, "not private")
			assert.Equal(t, before.APIRequests, h.srv.Stats().APIRequests, "nothing sent")
			assert.Equal(t, before.TokenRequests, h.srv.Stats().TokenRequests, "nothing sent")

			require.NoError(t, os.Remove(infoFile))
			require.NoError(t, os.WriteFile(infoFile, good, 0o600))
			r = h.run(t, args("sessions list"), publicClient...)
			require.Equal(t, 0, r.code, r)
		})
	}
}
