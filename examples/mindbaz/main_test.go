package main

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// syncBuffer is a bytes.Buffer safe for the program and the Source's renewal
// goroutine writing at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunWithFake(t *testing.T) {
	var out syncBuffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	s := out.String()
	for _, want := range []string{
		"using the in-process fake API (mindpeekertest)",
		"grant_type=password: 200 OK",
		"same token: true, token requests so far: 1",
		"grant_type=refresh_token: 200 OK",
		"new access token: true, refresh token rotated: true",
		"token file mode -rw-------; the new Source uses the saved token: true, with no token request: true",
		"/v1/sessions -> 200 OK (3 items)",
		"The fake saw 1 password and 1 refresh_token requests; spent refresh tokens presented again: 0.",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, mindpeekertest.DefaultPassword)
}

// TestRunWithCredentials runs the Mindbaz path (client_id 100, renewal as after
// a 401) against the fake standing in for the SSO.
func TestRunWithCredentials(t *testing.T) {
	fake := mindpeekertest.NewServer(mindpeekertest.WithSeedData())
	defer fake.Close()
	fake.AddClient("100", "") // Mindbaz's public client
	fake.AddUser("api-user@example.com", "correct-horse-battery")
	env := map[string]string{
		"MINDBAZ_USERNAME":  "api-user@example.com",
		"MINDBAZ_PASSWORD":  "correct-horse-battery",
		"MINDBAZ_TOKEN_URL": fake.TokenURL(),
		"MINDBAZ_API_URL":   fake.APIURL() + "/sessions",
	}
	var out syncBuffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	s := out.String()
	assert.Contains(t, s, "Logging in to Mindbaz as api-user@example.com")
	assert.Contains(t, s, "as after a 401 Unauthorized")
	assert.Contains(t, s, "new access token: true, refresh token rotated: true")
	assert.Contains(t, s, "-> 200 OK (3 items)")
	assert.NotContains(t, s, "correct-horse-battery")
	st := fake.Stats()
	assert.Equal(t, 1, st.TokenRequestsByGrant["password"])
	assert.Equal(t, 1, st.TokenRequestsByGrant["refresh_token"])
	assert.Zero(t, st.SpentRefreshReuse)

	delete(env, "MINDBAZ_PASSWORD")
	require.ErrorContains(t, run(context.Background(), &out, func(k string) string { return env[k] }), "set both")
}
