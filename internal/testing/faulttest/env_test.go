package faulttest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/internal/stall"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// clock is a settable clock shared by the fake server and the token Source,
// so that a test can expire tokens without sleeping.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// grantKind is how the client under test obtains its tokens.
type grantKind int

const (
	clientCredentials grantKind = iota // client.Config ClientID/ClientSecret
	passwordGrant                      // an auth.Source over auth.Password, with refresh tokens
)

// env is one row's world: a fresh fake server, the client under test, and the
// data the operations work on.
type env struct {
	t         *testing.T
	srv       *mindpeekertest.Server
	clock     *clock
	hc        *http.Client
	c         *client.Client
	sessionID string // an existing session
	keyID     string // an existing API key, with its full value in key
	key       string
	err       error // what the operation under test returned
}

// newEnv starts a server and builds the client as row r configures it.
func newEnv(t *testing.T, r row) *env {
	t.Helper()
	clk := &clock{}
	srv := mindpeekertest.NewServer(mindpeekertest.WithClock(clk.Now))
	t.Cleanup(srv.Close)
	// No keep-alives: Go's http.Transport silently replays a GET or a request
	// with an Idempotency-Key once when a reused connection closes without an
	// answer, which would make every request count off by one.
	tr := &http.Transport{}
	if r.stall > 0 { // the default transport's bound on silence (client.Config.StallTimeout)
		tr = stall.NewTransport(r.stall)
	}
	tr.DisableKeepAlives = true
	hc := &http.Client{Transport: tr, Timeout: r.httpTimeout}
	t.Cleanup(hc.CloseIdleConnections)

	cfg := client.Config{
		BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(), HTTPClient: hc,
		MaxRetries: 3, MaxRetryWait: 20 * time.Millisecond,
	}
	if r.maxRetryWait > 0 {
		cfg.MaxRetryWait = r.maxRetryWait
	}
	if r.tokenDown {
		cfg.TokenURL = closedPortURL(t) + "/oauth2/token"
	}
	switch r.grant {
	case clientCredentials:
		cfg.ClientID, cfg.ClientSecret = mindpeekertest.DefaultClientID, mindpeekertest.DefaultClientSecret
	case passwordGrant:
		cfg.TokenSource = auth.NewSource(auth.Password{
			TokenURL: srv.TokenURL(), ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret,
			Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword,
		}, auth.WithHTTPClient(hc), auth.WithClock(clk.Now))
	}
	c, err := client.New(cfg)
	require.NoError(t, err)

	e := &env{t: t, srv: srv, clock: clk, hc: hc, c: c, sessionID: srv.CreateSession("existing")}
	e.keyID, e.key = srv.CreateAPIKey("deploy", client.ScopeRemoteViewingRead)
	return e
}

// closedPortURL returns the URL of a loopback port that nothing listens on.
func closedPortURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// warm obtains a token with one successful call, so that the row's fault
// meets a client that already holds a token.
func (e *env) warm() {
	_, err := e.c.Sessions.Get(context.Background(), e.sessionID)
	require.NoError(e.t, err, "warm-up call")
}

// keyWorks reports whether key authenticates as X-API-Key.
func (e *env) keyWorks(key string) bool {
	e.t.Helper()
	byKey, err := client.New(client.Config{BaseURL: e.srv.APIURL(), APIKey: key, HTTPClient: e.hc})
	require.NoError(e.t, err)
	_, err = byKey.Sessions.Get(context.Background(), e.sessionID)
	if err != nil {
		assert.ErrorIs(e.t, err, client.ErrUnauthorized, "a key that does not work is refused with 401")
	}
	return err == nil
}

// operation is a call under test; verify checks a successful result against
// the server after the request counts were taken.
type operation struct {
	name   string
	run    func(ctx context.Context, e *env) (any, error)
	verify func(t *testing.T, e *env, result any)
}

var (
	getSession = operation{
		name: "Sessions.Get",
		run: func(ctx context.Context, e *env) (any, error) {
			return e.c.Sessions.Get(ctx, e.sessionID)
		},
		verify: func(t *testing.T, e *env, res any) {
			assert.Equal(t, e.sessionID, res.(*sessions.Session).ID)
		},
	}
	createSession = operation{
		name: "Sessions.Create",
		run: func(ctx context.Context, e *env) (any, error) {
			return e.c.Sessions.Create(ctx, &sessions.CreateParams{Title: "fault matrix"})
		},
		verify: func(t *testing.T, e *env, res any) {
			created := res.(*sessions.Session)
			got, err := e.c.Sessions.Get(context.Background(), created.ID)
			require.NoError(t, err, "the session handed to the caller is the one the server kept")
			assert.Equal(t, "fault matrix", got.Title)
		},
	}
	createKey = operation{
		name: "APIKeys.Create",
		run: func(ctx context.Context, e *env) (any, error) {
			return e.c.APIKeys.Create(ctx, &apikeys.CreateParams{Name: "ci", Scopes: []string{client.ScopeRemoteViewingRead}})
		},
		verify: func(t *testing.T, e *env, res any) {
			k := res.(*apikeys.APIKey)
			require.NotEmpty(t, k.Key)
			assert.True(t, e.keyWorks(k.Key), "the key handed to the caller authenticates")
		},
	}
	rotateKey = operation{
		name: "APIKeys.Rotate",
		run: func(ctx context.Context, e *env) (any, error) {
			return e.c.APIKeys.Rotate(ctx, e.keyID)
		},
		verify: func(t *testing.T, e *env, res any) {
			k := res.(*apikeys.APIKey)
			require.NotEmpty(t, k.Key)
			assert.NotEqual(t, e.keyID, k.ID)
			assert.True(t, e.keyWorks(k.Key), "the new key handed to the caller authenticates")
			assert.False(t, e.keyWorks(e.key), "the old key is revoked")
		},
	}
)

// concurrentCallers is how many goroutines getSessionConcurrently runs.
const concurrentCallers = 8

var (
	getSessionConcurrently = operation{
		name: "Sessions.Get ×8 concurrently",
		run: func(ctx context.Context, e *env) (any, error) {
			var wg sync.WaitGroup
			errs := make([]error, concurrentCallers)
			for i := range concurrentCallers {
				wg.Go(func() { _, errs[i] = e.c.Sessions.Get(ctx, e.sessionID) })
			}
			wg.Wait()
			return nil, errors.Join(errs...)
		},
		verify: func(*testing.T, *env, any) {},
	}
	deleteSession = operation{
		name: "Sessions.Delete",
		run: func(ctx context.Context, e *env) (any, error) {
			return nil, e.c.Sessions.Delete(ctx, e.sessionID)
		},
		verify: func(t *testing.T, e *env, _ any) { sessionGone(t, e) },
	}
	revokeKey = operation{
		name: "APIKeys.Revoke",
		run: func(ctx context.Context, e *env) (any, error) {
			return nil, e.c.APIKeys.Revoke(ctx, e.keyID)
		},
		verify: func(t *testing.T, e *env, _ any) {
			assert.False(t, e.keyWorks(e.key), "the revoked key no longer authenticates")
		},
	}
)

// sessionGone checks that the existing session was deleted.
func sessionGone(t *testing.T, e *env) {
	t.Helper()
	_, err := e.c.Sessions.Get(context.Background(), e.sessionID)
	assert.ErrorIs(t, err, client.ErrNotFound, "the session is deleted")
}
