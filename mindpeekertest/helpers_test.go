package mindpeekertest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// newServer starts a server closed at the end of the test.
func newServer(t *testing.T, opts ...mindpeekertest.Option) *mindpeekertest.Server {
	t.Helper()
	srv := mindpeekertest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// noKeepAlive is a client whose every request uses a fresh connection, so
// that net/http never retries a dropped request on its own.
func noKeepAlive() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// noRedirect is a client that does not follow redirects.
func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// result is a finished HTTP exchange.
type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// errCode returns error.code of an API error envelope.
func (r result) errCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.body, &e), "body: %s", r.body)
	require.NotEmpty(t, e.Error.Message, "body: %s", r.body)
	return e.Error.Code
}

func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

// tokenReq is a token endpoint call.
type tokenReq struct {
	form         url.Values
	basicID      string
	basicSecret  string
	useBasicAuth bool
}

func postToken(t *testing.T, srv *mindpeekertest.Server, tr tokenReq) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.TokenURL(), strings.NewReader(tr.form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if tr.useBasicAuth {
		req.SetBasicAuth(url.QueryEscape(tr.basicID), url.QueryEscape(tr.basicSecret))
	}
	return do(t, nil, req)
}

// form builds url.Values from key, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// tokenJSON is a decoded JSON token answer.
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    any    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func (r result) token(t *testing.T) tokenJSON {
	t.Helper()
	var tj tokenJSON
	require.NoError(t, json.Unmarshal(r.body, &tj), "body: %s", r.body)
	return tj
}

// clientCredentials gets an access token for the default client.
func clientCredentials(t *testing.T, srv *mindpeekertest.Server, scope string) string {
	t.Helper()
	f := form("grant_type", "client_credentials", "client_id", mindpeekertest.DefaultClientID,
		"client_secret", mindpeekertest.DefaultClientSecret)
	if scope != "" {
		f.Set("scope", scope)
	}
	r := postToken(t, srv, tokenReq{form: f})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	return r.token(t).AccessToken
}

// passwordGrant gets tokens for the default user via the default client.
func passwordGrant(t *testing.T, srv *mindpeekertest.Server) tokenJSON {
	t.Helper()
	r := postToken(t, srv, tokenReq{form: form("grant_type", "password",
		"client_id", mindpeekertest.DefaultClientID, "client_secret", mindpeekertest.DefaultClientSecret,
		"username", mindpeekertest.DefaultUsername, "password", mindpeekertest.DefaultPassword)})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	tj := r.token(t)
	require.NotEmpty(t, tj.RefreshToken)
	return tj
}

func refresh(t *testing.T, srv *mindpeekertest.Server, rt string) result {
	t.Helper()
	return postToken(t, srv, tokenReq{form: form("grant_type", "refresh_token", "refresh_token", rt,
		"client_id", mindpeekertest.DefaultClientID, "client_secret", mindpeekertest.DefaultClientSecret)})
}

// cred is how an API call authenticates.
type cred struct {
	bearer string
	apiKey string
	scheme string // default "Bearer"
}

func bearer(tok string) cred { return cred{bearer: tok} }
func apiKey(key string) cred { return cred{apiKey: key} }

// api calls the API; body may be nil, a string or a value to marshal.
func api(t *testing.T, srv *mindpeekertest.Server, c cred, method, path string, body any, headers ...string) result {
	t.Helper()
	return apiWith(t, nil, srv, c, method, path, body, headers...)
}

func apiWith(t *testing.T, hc *http.Client, srv *mindpeekertest.Server, c cred, method, path string, body any, headers ...string) result {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, srv.APIURL()+path, rd)
	require.NoError(t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		scheme := c.scheme
		if scheme == "" {
			scheme = "Bearer"
		}
		req.Header.Set("Authorization", scheme+" "+c.bearer)
	}
	if c.apiKey != "" {
		req.Header.Set("X-API-Key", c.apiKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, hc, req)
}

// wireSession and wireKey decode API answers in tests.
type wireSession struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	TargetID  string    `json:"target_id"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type wireKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

type page[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.body, &v), "status %d body: %s", r.status, r.body)
	return v
}
