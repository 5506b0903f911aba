package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// syncBuffer is a bytes.Buffer safe for the program and the callback server
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

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noBrowser(string) error { panic("the fake path must not open the system browser") }

func TestRunWithFake(t *testing.T) {
	var out syncBuffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }, noBrowser))
	s := out.String()
	for _, want := range []string{
		"using the in-process fake API (mindpeekertest)",
		"callback, which answered 200 OK",
		"logged in: Bearer token valid for ",
		"refresh token included: true",
		"3 sessions",
		"The fake saw 1 token request(s): 1 authorization_code, 0 refresh_token.",
	} {
		assert.Contains(t, s, want)
	}
}

// TestRunWithCredentials runs the real-service path against the fake, with a
// test browser in place of the system one.
func TestRunWithCredentials(t *testing.T) {
	fake := mindpeekertest.NewServer(mindpeekertest.WithSeedData())
	defer fake.Close()
	env := map[string]string{
		"MINDPEEKER_CLIENT_ID":     mindpeekertest.PublicClientID,
		"MINDPEEKER_AUTHORIZE_URL": fake.AuthorizeURL(),
		"MINDPEEKER_TOKEN_URL":     fake.TokenURL(),
		"MINDPEEKER_BASE_URL":      fake.APIURL(),
	}
	opened := 0
	browser := func(url string) error {
		opened++
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	var out syncBuffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }, browser))
	assert.Equal(t, 1, opened)
	assert.Contains(t, out.String(), "3 sessions")
	assert.NotContains(t, out.String(), "fake")
	assert.Equal(t, 1, fake.Stats().TokenRequestsByGrant["authorization_code"])

	fake.DenyAuthorization(true)
	err := run(context.Background(), &out, func(k string) string { return env[k] }, browser)
	require.ErrorContains(t, err, "refused the login (access_denied)")
}
