package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// seen is one request as an API server received it.
type seen struct {
	Path, Authorization, APIKey, Body string
}

// apiServer records every request and answers with handle (200 "ok" when nil).
type apiServer struct {
	*httptest.Server
	mu     sync.Mutex
	got    []seen
	handle func(w http.ResponseWriter, r *http.Request) bool // true when it answered
}

func newAPIServer(t *testing.T) *apiServer {
	a := &apiServer{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		a.mu.Lock()
		a.got = append(a.got, seen{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
			APIKey: r.Header.Get("X-API-Key"), Body: string(body)})
		h := a.handle
		a.mu.Unlock()
		if h != nil && h(w, r) {
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *apiServer) requests() []seen {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]seen(nil), a.got...)
}

func (a *apiServer) setHandler(h func(w http.ResponseWriter, r *http.Request) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handle = h
}

func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestTransportSendsCredentialToItsOriginOnly(t *testing.T) {
	api, other := newAPIServer(t), newAPIServer(t)
	api.setHandler(func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/to-other":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		case "/to-self":
			http.Redirect(w, r, "/landed", http.StatusFound)
		case "/to-other-307":
			http.Redirect(w, r, other.URL+"/landed-post", http.StatusTemporaryRedirect)
		default:
			return false
		}
		return true
	})
	g := &fakeGrant{life: time.Hour}
	tr, err := auth.NewTransport(nil, api.URL+"/v1", auth.NewSource(auth.GrantFunc(g.Token)))
	require.NoError(t, err)
	c := &http.Client{Transport: tr}

	get(t, c, api.URL+"/v1/sessions")
	get(t, c, other.URL+"/v1/sessions") // another port on the same host
	u, _ := url.Parse(api.URL)
	get(t, c, "http://localhost:"+u.Port()+"/v1/sessions") // the same server under another host name
	get(t, c, api.URL+"/to-other")
	get(t, c, api.URL+"/to-self")
	resp, err := c.Post(api.URL+"/to-other-307", "text/plain", strings.NewReader("payload"))
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, []seen{
		{Path: "/v1/sessions", Authorization: "Bearer access-1"},
		{Path: "/v1/sessions"}, // via localhost
		{Path: "/to-other", Authorization: "Bearer access-1"},
		{Path: "/to-self", Authorization: "Bearer access-1"},
		{Path: "/landed", Authorization: "Bearer access-1"},
		{Path: "/to-other-307", Authorization: "Bearer access-1", Body: "payload"},
	}, api.requests())
	assert.Equal(t, []seen{
		{Path: "/v1/sessions"},
		{Path: "/landed"},
		{Path: "/landed-post", Body: "payload"},
	}, other.requests(), "no credential leaves the origin, redirects included")
	assert.Equal(t, 1, g.count())
}

func TestTransportRetriesOnceAfter401(t *testing.T) {
	api := newAPIServer(t)
	g := &fakeGrant{life: time.Hour}
	tr, err := auth.NewTransport(nil, api.URL, auth.NewSource(auth.GrantFunc(g.Token)))
	require.NoError(t, err)
	c := &http.Client{Transport: tr}

	// The server has revoked access-1: one retry with a renewed token succeeds.
	api.setHandler(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") == "Bearer access-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		return false
	})
	req, err := http.NewRequest(http.MethodPost, api.URL+"/v1/sessions", strings.NewReader(`{"title":"t"}`))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", string(body))
	assert.Equal(t, []seen{
		{Path: "/v1/sessions", Authorization: "Bearer access-1", Body: `{"title":"t"}`},
		{Path: "/v1/sessions", Authorization: "Bearer access-2", Body: `{"title":"t"}`},
	}, api.requests(), "the body is replayed")
	assert.Equal(t, 2, g.count())

	// A second 401 is the caller's answer: no loop.
	api.setHandler(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "second refusal")
		return true
	})
	resp, err = c.Get(api.URL + "/v1/sessions")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "second refusal", string(body))
	assert.Len(t, api.requests(), 4)
	assert.Equal(t, 3, g.count(), "one renewal per 401")
}

func TestTransportDoesNotReplayOneShotBody(t *testing.T) {
	api := newAPIServer(t)
	api.setHandler(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	g := &fakeGrant{life: time.Hour}
	tr, err := auth.NewTransport(nil, api.URL, auth.NewSource(auth.GrantFunc(g.Token)))
	require.NoError(t, err)

	// io.MultiReader hides the type http.NewRequest knows how to rewind: no GetBody.
	req, err := http.NewRequest(http.MethodPost, api.URL+"/upload", io.MultiReader(strings.NewReader("stream")))
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Len(t, api.requests(), 1, "a body that cannot be replayed is sent once")
	assert.Equal(t, 1, g.count())
}

// staticKey is a HeaderCredential that is not a Source.
type staticKey struct{ err error }

func (k staticKey) AuthHeader(context.Context) (string, string, error) {
	return "X-API-Key", "mpk_test", k.err
}

func TestTransportWithOtherCredentials(t *testing.T) {
	api := newAPIServer(t)
	api.setHandler(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusUnauthorized)
		return true
	})
	tr, err := auth.NewTransport(nil, api.URL, staticKey{})
	require.NoError(t, err)
	resp := get(t, &http.Client{Transport: tr}, api.URL+"/v1/x")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, []seen{{Path: "/v1/x", APIKey: "mpk_test"}}, api.requests(), "sent once: only a Source can renew")

	boom := errors.New("key vault down")
	tr, err = auth.NewTransport(nil, api.URL, staticKey{err: boom})
	require.NoError(t, err)
	_, err = (&http.Client{Transport: tr}).Get(api.URL + "/v1/y")
	require.ErrorIs(t, err, boom)
	assert.Len(t, api.requests(), 1, "nothing sent without the credential")
}

func TestTransportReportsTokenFailure(t *testing.T) {
	api := newAPIServer(t)
	boom := &auth.TokenError{Grant: "client_credentials", Code: "invalid_client"}
	src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, boom }))
	tr, err := auth.NewTransport(nil, api.URL, src)
	require.NoError(t, err)
	_, err = (&http.Client{Transport: tr}).Get(api.URL + "/v1/x")
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Same(t, boom, te)
	assert.Empty(t, api.requests())
}

func TestNewTransportRefusesInsecureURL(t *testing.T) {
	cred := staticKey{}
	for _, tt := range []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://api.mindpeeker.com/v1", false, true},
		{"http://127.0.0.1:8080/v1", false, true},
		{"http://[::1]:8080/v1", false, true},
		{"http://localhost/v1", false, true},
		{"http://api.mindpeeker.com/v1", true, false},
		{"http://10.1.2.3/v1", true, false},
		{"ftp://api.mindpeeker.com", false, false},
		{"/relative", false, false},
	} {
		_, err := auth.NewTransport(nil, tt.url, cred)
		if tt.ok {
			assert.NoError(t, err, tt.url)
			continue
		}
		assert.Error(t, err, tt.url)
		assert.Equal(t, tt.insecure, errors.Is(err, auth.ErrInsecureURL), tt.url)
	}
}

func TestSourceAuthHeader(t *testing.T) {
	g := &fakeGrant{life: time.Hour}
	name, value, err := auth.NewSource(auth.GrantFunc(g.Token)).AuthHeader(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Authorization", name)
	assert.Equal(t, "Bearer access-1", value)

	boom := errors.New("down")
	_, _, err = auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return nil, boom
	})).AuthHeader(context.Background())
	require.ErrorIs(t, err, boom)
}
