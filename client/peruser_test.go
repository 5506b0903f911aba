package client_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// userServer answers GET /v1/sessions/{id} with the bearer token it was sent,
// refusing "expired-*" tokens with a 401, and counts the connections made to it.
func userServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if strings.HasPrefix(tok, "expired-") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"id":"ses_1","title":%q}`, tok)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// Clients made with WithTokenSource send their own user's token, renew it
// after a 401 like any client, and share the parent's connection pool.
func TestWithTokenSourceSendsEachUsersTokenOverOnePool(t *testing.T) {
	srv, conns := userServer(t)
	app, err := client.New(client.Config{BaseURL: srv.URL + "/v1", APIKey: "mpk_app"})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 50 {
		want := fmt.Sprintf("user-%d", i)
		user := app.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: want}))
		s, err := user.Sessions.Get(ctx, "ses_1")
		require.NoError(t, err)
		assert.Equal(t, want, s.Title, "the user's token, not the app's API key")
	}
	assert.EqualValues(t, 1, conns.Load(), "50 per-user clients, one call after another, reuse one connection")

	n := 0
	renewing := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		n++
		return &oauth2.Token{AccessToken: map[bool]string{true: "expired-1", false: "fresh-2"}[n == 1], ExpiresIn: 3600}, nil
	}))
	s, err := app.WithTokenSource(renewing).Sessions.Get(ctx, "ses_1")
	require.NoError(t, err)
	assert.Equal(t, "fresh-2", s.Title, "a 401 renews the user's token and retries once")
	assert.Equal(t, renewing, app.WithTokenSource(renewing).TokenSource())
}

// Clients built without an HTTPClient share one process-wide pool.
func TestClientsWithoutHTTPClientShareOnePool(t *testing.T) {
	srv, conns := userServer(t)
	for i := range 20 {
		c, err := client.New(client.Config{BaseURL: srv.URL + "/v1", TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fmt.Sprint("t", i)})})
		require.NoError(t, err)
		_, err = c.Sessions.Get(context.Background(), "ses_1")
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, conns.Load())
}

// TestWithTokenSourceNil: a nil source is a programming error, reported where
// it is made, not as a nil dereference inside the first request.
func TestWithTokenSourceNil(t *testing.T) {
	app, err := client.New(client.Config{BaseURL: "http://127.0.0.1:1/v1", APIKey: "k"})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "mindpeeker: WithTokenSource(nil)", func() { app.WithTokenSource(nil) })
}
