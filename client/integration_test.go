package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

func newFake(t *testing.T, opts ...mindpeekertest.Option) *mindpeekertest.Server {
	srv := mindpeekertest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, srv *mindpeekertest.Server, mutate ...func(*client.Config)) *client.Client {
	cfg := client.Config{
		BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := client.New(cfg)
	require.NoError(t, err)
	return c
}

func TestSessionsLifecycle(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv)
	ctx := context.Background()

	created, err := c.Sessions.Create(ctx, &sessions.CreateParams{Title: "Target 4471", TargetID: "tgt_1", Notes: "water"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(created.ID, "ses_"))
	assert.Equal(t, sessions.StatusPending, created.Status)
	assert.False(t, created.CreatedAt.IsZero())

	got, err := c.Sessions.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created, got)

	require.NoError(t, c.Sessions.Delete(ctx, created.ID))
	_, err = c.Sessions.Get(ctx, created.ID)
	assert.ErrorIs(t, err, client.ErrNotFound)
	var apiErr *client.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "not_found", apiErr.Code)
	assert.NotEmpty(t, apiErr.RequestID)

	_, err = c.Sessions.Create(ctx, &sessions.CreateParams{})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, 1, srv.Stats().TokenRequests, "one token for every call")
}

func TestListIsLazyAcrossPages(t *testing.T) {
	srv := newFake(t)
	for i := range 45 {
		srv.CreateSession("s" + string(rune('a'+i%26)))
	}
	c := newClient(t, srv)
	ctx := context.Background()
	listCalls := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "GET" && r.Path == "/v1/sessions" {
				n++
			}
		}
		return n
	}

	var ids []string
	for s, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 10}) {
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	assert.Len(t, ids, 45)
	assert.Equal(t, 5, listCalls())

	srv.ResetStats()
	n := 0
	for _, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 10}) {
		require.NoError(t, err)
		if n++; n == 12 {
			break
		}
	}
	assert.Equal(t, 2, listCalls(), "breaking out fetches nothing more")

	for _, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 101}) {
		assert.ErrorContains(t, err, "out of range")
	}
}

func TestAPIKeysCreateRotateRevoke(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv)
	ctx := context.Background()
	exp := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)

	k, err := c.APIKeys.Create(ctx, &apikeys.CreateParams{Name: "ci", Scopes: []string{client.ScopeRemoteViewingRead}, ExpiresAt: &exp})
	require.NoError(t, err)
	require.NotEmpty(t, k.Key)
	assert.Equal(t, k.Key[:8], k.Prefix)
	assert.Equal(t, exp, k.ExpiresAt.UTC())

	// The new key works as a credential.
	byKey := newClient(t, srv, func(cfg *client.Config) { *cfg = client.Config{BaseURL: srv.APIURL(), APIKey: k.Key} })
	for _, err := range byKey.Sessions.List(ctx, nil) {
		require.NoError(t, err)
	}

	listed := 0
	for key, err := range c.APIKeys.List(ctx, nil) {
		require.NoError(t, err)
		assert.Empty(t, key.Key, "list never carries the key")
		listed++
	}
	assert.Equal(t, 1, listed)

	rotated, err := c.APIKeys.Rotate(ctx, k.ID)
	require.NoError(t, err)
	assert.NotEqual(t, k.ID, rotated.ID)
	assert.NotEqual(t, k.Key, rotated.Key)
	old, err := c.APIKeys.Get(ctx, k.ID)
	require.NoError(t, err)
	assert.NotNil(t, old.RevokedAt)
	_, err = byKey.Sessions.Get(ctx, "ses_x")
	assert.ErrorIs(t, err, client.ErrUnauthorized, "the rotated-away key no longer authenticates")
	_, err = c.APIKeys.Rotate(ctx, k.ID)
	assert.ErrorIs(t, err, client.ErrConflict)

	require.NoError(t, c.APIKeys.Revoke(ctx, rotated.ID))
	_, err = c.APIKeys.Get(ctx, "key_missing")
	assert.ErrorIs(t, err, client.ErrNotFound)
}

// A rotation whose answer is lost on the wire still hands the caller the new
// key, and the server rotated once: the retry carries the same Idempotency-Key.
func TestRotateSurvivesLostResponse(t *testing.T) {
	for _, kind := range []mindpeekertest.FaultKind{mindpeekertest.FaultDropAfter, mindpeekertest.FaultCutBody} {
		srv := newFake(t)
		id, _ := srv.CreateAPIKey("deploy", client.ScopeRemoteViewingRead)
		c := newClient(t, srv)
		srv.Inject(mindpeekertest.Fault{Kind: kind, Target: "POST /v1/api-keys/"})

		rotated, err := c.APIKeys.Rotate(context.Background(), id)
		require.NoError(t, err)
		require.NotEmpty(t, rotated.Key)
		assert.Equal(t, 1, srv.Stats().Rotations)

		byKey := newClient(t, srv, func(cfg *client.Config) { *cfg = client.Config{BaseURL: srv.APIURL(), APIKey: rotated.Key} })
		_, err = byKey.APIKeys.Get(context.Background(), rotated.ID)
		assert.NoError(t, err, "the key handed to the caller is the one the server kept")
	}
}

func TestCreateSessionOnceDespiteDroppedConnection(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv)
	srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDropAfter, Target: "POST /v1/sessions"})
	srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 502, Target: "POST /v1/sessions"})
	s, err := c.Sessions.Create(context.Background(), &sessions.CreateParams{Title: "once"})
	require.NoError(t, err)
	assert.Equal(t, "once", s.Title)
	assert.Equal(t, 1, srv.Stats().SessionsCreated)
}

func TestRateLimitedThenServed(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv)
	id := srv.CreateSession("x")
	for _, date := range []bool{false, true} {
		ra := "1"
		if date {
			ra = time.Now().Add(1500 * time.Millisecond).UTC().Format(http.TimeFormat)
		}
		srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 429, RetryAfter: ra})
		start := time.Now()
		_, err := c.Sessions.Get(context.Background(), id)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "waited out Retry-After %q", ra)
	}
}

func TestRevokedTokenRenewedOnce(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv)
	id := srv.CreateSession("x")
	ctx := context.Background()
	_, err := c.Sessions.Get(ctx, id)
	require.NoError(t, err)
	srv.RevokeAllTokens()
	_, err = c.Sessions.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Stats().TokenRequests)

	srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 401, Times: 2})
	_, err = c.Sessions.Get(ctx, id)
	assert.ErrorIs(t, err, client.ErrUnauthorized, "a second 401 is the caller's")
}

func TestBadClientSecret(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, func(cfg *client.Config) { cfg.ClientSecret = "wrong-secret-value" })
	_, err := c.Sessions.Get(context.Background(), "ses_1")
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "invalid_client", te.Code)
	assert.NotContains(t, err.Error(), "wrong-secret-value")
	assert.Zero(t, srv.Stats().APIRequests, "no token, no request")
	assert.Equal(t, 1, srv.Stats().TokenRequests, "never retried in a loop")
}

func TestTokenResponseShapes(t *testing.T) {
	styles := []mindpeekertest.TokenResponseStyle{
		{ExpiresIn: "string", TokenType: "bearer"},
		{ExpiresIn: "absent", TokenType: "BEARER", JWT: true},
		{ExpiresIn: "absent"},
		{Form: true},
	}
	for _, style := range styles {
		srv := newFake(t)
		srv.SetTokenResponse(style)
		c := newClient(t, srv)
		_, err := c.Sessions.Get(context.Background(), srv.CreateSession("x"))
		require.NoError(t, err, "%+v", style)
		tok, err := c.TokenSource().Token()
		require.NoError(t, err)
		assert.Equal(t, "Bearer", tok.TokenType)
		assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second, "%+v", style)
	}
}

func TestForbiddenScope(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv, func(cfg *client.Config) { cfg.Scopes = client.BasicScopes() })
	_, err := c.Sessions.Create(context.Background(), &sessions.CreateParams{Title: "x"})
	assert.ErrorIs(t, err, client.ErrForbidden)
}
