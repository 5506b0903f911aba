package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// profile is the answer of the untyped GET /user/profile.
type profile struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	Scopes []string `json:"scopes"`
}

// way is one of the two public ways to reach an untyped endpoint.
type way struct {
	name string
	// get sends GET path (relative to the base URL, or absolute) and decodes a
	// 2xx answer into out; it returns the answer's metadata and error.
	get func(ctx context.Context, c *client.Client, path string, out any) (*client.Response, error)
}

var ways = []way{
	{"Do", func(ctx context.Context, c *client.Client, path string, out any) (*client.Response, error) {
		return c.Do(ctx, "GET", path, nil, out)
	}},
	{"HTTPClient", func(ctx context.Context, c *client.Client, path string, out any) (*client.Response, error) {
		if !strings.Contains(path, "://") {
			path = baseOf(c) + path
		}
		var meta client.Response
		req, err := http.NewRequestWithContext(client.WithResponse(ctx, &meta), "GET", path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.HTTPClient().Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if err := client.CheckResponse(resp); err != nil {
			return &meta, err
		}
		return &meta, json.NewDecoder(resp.Body).Decode(out)
	}},
}

// bases remembers each test client's base URL, for the HTTPClient way.
var bases sync.Map

func baseOf(c *client.Client) string { v, _ := bases.Load(c); return v.(string) }

func newDoClient(t *testing.T, base string, mutate ...func(*client.Config)) *client.Client {
	cfg := client.Config{BaseURL: base, MaxRetryWait: 5 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := client.New(cfg)
	require.NoError(t, err)
	bases.Store(c, base)
	return c
}

func withClientCredentials(srv *mindpeekertest.Server) func(*client.Config) {
	return func(cfg *client.Config) {
		cfg.TokenURL, cfg.ClientID, cfg.ClientSecret = srv.TokenURL(), mindpeekertest.DefaultClientID, mindpeekertest.DefaultClientSecret
	}
}

func TestUntypedEndpoint(t *testing.T) {
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			ctx := context.Background()
			t.Run("success with metadata", func(t *testing.T) {
				srv := newFake(t)
				c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
				var p profile
				resp, err := w.get(ctx, c, "/user/profile", &p)
				require.NoError(t, err)
				assert.Equal(t, "client:"+mindpeekertest.DefaultClientID, p.ID)
				assert.Equal(t, 200, resp.StatusCode)
				assert.NotEmpty(t, resp.RequestID)
				assert.Equal(t, 1, resp.Attempts)
			})
			t.Run("401 renewed once", func(t *testing.T) {
				srv := newFake(t)
				c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
				var p profile
				_, err := w.get(ctx, c, "/user/profile", &p)
				require.NoError(t, err)
				srv.RevokeAllTokens()
				resp, err := w.get(ctx, c, "/user/profile", &p)
				require.NoError(t, err)
				assert.Equal(t, 2, resp.Attempts, "the 401 and its renewed retry")
				assert.Equal(t, 2, srv.Stats().TokensIssued)
			})
			t.Run("429 Retry-After waited", func(t *testing.T) {
				srv := newFake(t)
				c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
				srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 429, RetryAfter: "1", Target: "GET /v1/user/profile"})
				start := time.Now()
				var p profile
				resp, err := w.get(ctx, c, "/user/profile", &p)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, time.Since(start), time.Second)
				assert.Equal(t, 2, resp.Attempts)
			})
			t.Run("5xx retried", func(t *testing.T) {
				srv := newFake(t)
				c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
				srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultHTML, Status: 502, Times: 2, Target: "GET /v1/user/profile"})
				var p profile
				resp, err := w.get(ctx, c, "/user/profile", &p)
				require.NoError(t, err)
				assert.Equal(t, 3, resp.Attempts)
			})
			t.Run("error body typed", func(t *testing.T) {
				srv := newFake(t)
				c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
				resp, err := w.get(ctx, c, "/user/nothing", &profile{})
				require.ErrorIs(t, err, client.ErrNotFound)
				var apiErr *client.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, "not_found", apiErr.Code)
				assert.NotEmpty(t, apiErr.RequestID)
				require.NotNil(t, resp)
				assert.Equal(t, 404, resp.StatusCode)
				assert.Equal(t, apiErr.RequestID, resp.RequestID)
			})
		})
	}
}

// TestNoCredentialToAnotherOrigin: an absolute URL to another origin, and a
// redirect from the API to one, carry no credential; the API's own origin
// (absolute or relative) does.
func TestNoCredentialToAnotherOrigin(t *testing.T) {
	var otherAuth atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherAuth.Store(r.Header.Get("Authorization") + r.Header.Get("X-Api-Key"))
		io.WriteString(w, `{"id":"other"}`)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
			return
		}
		assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		io.WriteString(w, `{"id":"api"}`)
	}))
	defer api.Close()
	for _, w := range ways {
		for _, cred := range []struct {
			name string
			set  func(*client.Config)
		}{
			{"bearer", func(cfg *client.Config) {
				cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok"})
			}},
			{"api key", func(cfg *client.Config) { cfg.APIKey = "mpk_secret" }},
		} {
			t.Run(w.name+"/"+cred.name, func(t *testing.T) {
				c := newDoClient(t, api.URL, cred.set)
				for _, path := range []string{other.URL + "/abs", "/away"} {
					otherAuth.Store("unset")
					var out struct{ ID string }
					_, err := w.get(context.Background(), c, path, &out)
					require.NoError(t, err, path)
					assert.Equal(t, "other", out.ID, path)
					assert.Empty(t, otherAuth.Load(), "credential sent to another origin via %s", path)
				}
				if cred.name == "bearer" {
					var out struct{ ID string }
					_, err := w.get(context.Background(), c, api.URL+"/abs", &out)
					require.NoError(t, err)
					assert.Equal(t, "api", out.ID)
				}
			})
		}
	}
}

// countingSource is a plain oauth2.TokenSource: a new token from the fake each
// time it is asked.
type countingSource struct {
	srv   *mindpeekertest.Server
	calls atomic.Int32
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	s.calls.Add(1)
	return &oauth2.Token{AccessToken: s.srv.IssueAccessToken(), Expiry: time.Now().Add(time.Hour)}, nil
}

func TestPlainTokenSourceCachedAndRenewedAfter401(t *testing.T) {
	srv := newFake(t)
	ts := &countingSource{srv: srv}
	c := newDoClient(t, srv.APIURL(), func(cfg *client.Config) { cfg.TokenSource = ts })
	ctx := context.Background()
	for range 3 {
		_, err := c.Do(ctx, "GET", "/user/profile", nil, nil)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, ts.calls.Load(), "the client caches the token")
	srv.RevokeAllTokens()
	resp, err := c.Do(ctx, "GET", "/user/profile", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.EqualValues(t, 2, ts.calls.Load())
}

func TestPlainTokenSourceExpiredTokenAskedAgain(t *testing.T) {
	srv := newFake(t)
	var calls atomic.Int32
	ts := tokenFunc(func() (*oauth2.Token, error) {
		calls.Add(1) // each token within the 10s margin of its expiry
		return &oauth2.Token{AccessToken: srv.IssueAccessToken(), Expiry: time.Now().Add(5 * time.Second)}, nil
	})
	c := newDoClient(t, srv.APIURL(), func(cfg *client.Config) { cfg.TokenSource = ts })
	for range 2 {
		_, err := c.Do(context.Background(), "GET", "/user/profile", nil, nil)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, calls.Load())
}

type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

func TestReuseTokenSourceSaysWhyNotRenewed(t *testing.T) {
	srv := newFake(t)
	c := newDoClient(t, srv.APIURL(), func(cfg *client.Config) {
		cfg.TokenSource = oauth2.ReuseTokenSource(nil, &countingSource{srv: srv})
	})
	_, err := c.Do(context.Background(), "GET", "/user/profile", nil, nil)
	require.NoError(t, err)
	srv.RevokeAllTokens()
	resp, err := c.Do(context.Background(), "GET", "/user/profile", nil, nil)
	require.ErrorIs(t, err, client.ErrUnauthorized)
	require.ErrorIs(t, err, client.ErrTokenNotRenewed)
	assert.Contains(t, err.Error(), "*auth.Source")
	assert.Equal(t, 1, resp.Attempts, "no retry with the refused token")
}

// invalidatingSource is a user's own source implementing auth.Invalidator.
type invalidatingSource struct {
	srv     *mindpeekertest.Server
	mu      sync.Mutex
	cur     *oauth2.Token
	refused []string
}

func (s *invalidatingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		s.cur = &oauth2.Token{AccessToken: s.srv.IssueAccessToken()}
	}
	return s.cur, nil
}

func (s *invalidatingSource) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = append(s.refused, rejected.AccessToken)
	s.cur = nil
}

func TestUserInvalidatorToldTheRefusedToken(t *testing.T) {
	srv := newFake(t)
	ts := &invalidatingSource{srv: srv}
	c := newDoClient(t, srv.APIURL(), func(cfg *client.Config) { cfg.TokenSource = ts })
	first, err := ts.Token()
	require.NoError(t, err)
	srv.RevokeAllTokens()
	resp, err := c.Do(context.Background(), "GET", "/user/profile", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, []string{first.AccessToken}, ts.refused)
}

// failFirstDial fails the first connection attempt as a dial error: the
// request provably never left the machine.
func failFirstDial() *http.Client {
	var failed atomic.Bool
	d := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if failed.CompareAndSwap(false, true) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: assert.AnError}
		}
		return d.DialContext(ctx, network, addr)
	}}
	return &http.Client{Transport: tr}
}

func TestIdempotencyKeysDisabled(t *testing.T) {
	ctx := context.Background()
	title := map[string]string{"title": "t"}
	t.Run("no key, 5xx not retried", func(t *testing.T) {
		srv := newFake(t)
		c := newDoClient(t, srv.APIURL(), withClientCredentials(srv), func(cfg *client.Config) { cfg.DisableIdempotencyKeys = true })
		srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 503, Target: "POST /v1/sessions"})
		resp, err := c.Do(ctx, "POST", "/sessions", title, nil)
		var apiErr *client.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 503, apiErr.StatusCode)
		assert.Equal(t, 1, resp.Attempts)
		for _, r := range srv.Requests() {
			assert.Empty(t, r.Header.Get("Idempotency-Key"), r.Path)
		}
	})
	t.Run("lost answer not retried", func(t *testing.T) {
		srv := newFake(t)
		c := newDoClient(t, srv.APIURL(), withClientCredentials(srv), func(cfg *client.Config) { cfg.DisableIdempotencyKeys = true })
		srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDropAfter, Target: "POST /v1/sessions"})
		_, err := c.Do(ctx, "POST", "/sessions", title, nil)
		require.Error(t, err)
		assert.Equal(t, 1, srv.Stats().SessionsCreated, "created once, never twice")
	})
	t.Run("never sent is retried", func(t *testing.T) {
		srv := newFake(t)
		c := newDoClient(t, srv.APIURL(), func(cfg *client.Config) {
			cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: srv.IssueAccessToken()})
			cfg.DisableIdempotencyKeys, cfg.HTTPClient = true, failFirstDial()
		})
		resp, err := c.Do(ctx, "POST", "/sessions", title, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, resp.Attempts)
		assert.Equal(t, 1, srv.Stats().SessionsCreated)
	})
	t.Run("keys on by default", func(t *testing.T) {
		srv := newFake(t)
		c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
		srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDropAfter, Target: "POST /v1/sessions"})
		_, err := c.Do(ctx, "POST", "/sessions", title, nil) // net/http itself may replay it: it has a key
		require.NoError(t, err)
		assert.Equal(t, 1, srv.Stats().SessionsCreated)
	})
}

func TestDoBodyAndOut(t *testing.T) {
	srv := newFake(t)
	c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
	ctx := context.Background()
	var raw json.RawMessage
	resp, err := c.Do(ctx, "POST", "sessions", json.RawMessage(`{"title":"raw"}`), &raw)
	require.NoError(t, err)
	assert.Equal(t, 201, resp.StatusCode)
	assert.Contains(t, string(raw), `"title":"raw"`)
	var s struct{ ID, Title string }
	_, err = c.Do(ctx, "POST", "/sessions", []byte(`{"title":"bytes"}`), &s)
	require.NoError(t, err)
	assert.Equal(t, "bytes", s.Title)
	_, err = c.Do(ctx, "DELETE", "/sessions/"+s.ID, nil, nil)
	require.NoError(t, err)
}

func TestWithResponseOnTypedCall(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv)
	id := srv.CreateSession("x")
	var resp client.Response
	_, err := c.Sessions.Get(client.WithResponse(context.Background(), &resp), id)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.NotEmpty(t, resp.RequestID)
	assert.Equal(t, 1, resp.Attempts)
}

func TestHTTPClientPostBodies(t *testing.T) {
	ctx := context.Background()
	post := func(t *testing.T, c *client.Client, body io.Reader) (*http.Response, client.Response) {
		var meta client.Response
		req, err := http.NewRequestWithContext(client.WithResponse(ctx, &meta), "POST", baseOf(c)+"/sessions", body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.HTTPClient().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp, meta
	}
	t.Run("rewindable body retried with one key", func(t *testing.T) {
		srv := newFake(t)
		c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
		srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 502, Target: "POST /v1/sessions"})
		resp, meta := post(t, c, strings.NewReader(`{"title":"streamed"}`))
		require.NoError(t, client.CheckResponse(resp))
		assert.Equal(t, 201, resp.StatusCode)
		assert.Equal(t, 2, meta.Attempts)
		var keys []string
		for _, r := range srv.Requests() {
			if r.Path == "/v1/sessions" {
				keys = append(keys, r.Header.Get("Idempotency-Key"))
			}
		}
		require.Len(t, keys, 2)
		assert.NotEmpty(t, keys[0])
		assert.Equal(t, keys[0], keys[1])
	})
	t.Run("one-shot body sent once", func(t *testing.T) {
		srv := newFake(t)
		c := newDoClient(t, srv.APIURL(), withClientCredentials(srv))
		srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 502, Target: "POST /v1/sessions"})
		resp, meta := post(t, c, io.MultiReader(strings.NewReader(`{"title":"once"}`))) // no GetBody
		var apiErr *client.APIError
		require.ErrorAs(t, client.CheckResponse(resp), &apiErr)
		assert.Equal(t, 502, apiErr.StatusCode)
		assert.Equal(t, 1, meta.Attempts)
	})
}

// TestDoRelativePathStaysOnOrigin: a path without a leading slash is joined
// under the base URL, so "@host" or ":port" cannot move the request elsewhere.
func TestDoRelativePathStaysOnOrigin(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		io.WriteString(w, `{}`)
	}))
	defer api.Close()
	c := newDoClient(t, api.URL, func(cfg *client.Config) { cfg.APIKey = "mpk_secret" })
	for _, p := range []string{"@127.0.0.2/x", ":1/x", "user/profile"} {
		_, err := c.Do(context.Background(), "GET", p, nil, nil)
		require.NoError(t, err, p)
	}
	assert.Equal(t, []string{"/@127.0.0.2/x", "/:1/x", "/user/profile"}, paths)
}
