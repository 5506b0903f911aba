package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin/jsonlogintest"
)

// syncBuffer is a bytes.Buffer safe for the Source's logger and the program
// writing at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestRunWithFake(t *testing.T) {
	var out syncBuffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	s := out.String()
	assert.Contains(t, s, "using the in-process fake service")
	assert.Contains(t, s, "renewed via /refresh: GET /me -> user demo-user, token valid until 14:00:00  [/authenticate 1, /refresh 1, refused refreshes 0]")
	assert.Contains(t, s, "logged in again: GET /me -> user demo-user, token valid until 15:00:00  [/authenticate 2, /refresh 1, refused refreshes 1]")
}

// TestRunAgainstAService runs the credentials path against the fake, as it
// would against a real service.
func TestRunAgainstAService(t *testing.T) {
	srv := jsonlogintest.NewServer()
	defer srv.Close()
	env := map[string]string{
		"JSONLOGIN_BASE_URL":    srv.URL,
		"JSONLOGIN_USER_KEY":    srv.AddUser("svc", "svc-secret-value"),
		"JSONLOGIN_USER_SECRET": "svc-secret-value",
	}
	var out syncBuffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	s := out.String()
	assert.Contains(t, s, "POST /authenticate -> access token expiring at")
	assert.Contains(t, s, "POST /refresh -> new access token expiring at")
	assert.Contains(t, s, "refresh token kept")
	assert.NotContains(t, s, "svc-secret-value")
	assert.Equal(t, jsonlogintest.Stats{Authenticates: 1, Refreshes: 1}, srv.Stats())

	delete(env, "JSONLOGIN_USER_SECRET")
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "set all of"))
}
