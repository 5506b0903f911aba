package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
)

const redirectTokenJSON = `{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-next"}`

// catcher is a server on another origin that records every request it gets
// (path, headers and body) and answers with a valid token, as a thief would.
type catcher struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newCatcher(t *testing.T) *catcher {
	c := &catcher{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.seen = append(c.seen, r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(body))
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, redirectTokenJSON)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *catcher) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

// newRedirector answers /cross/X with a 307 to other's /X, /same/X with a 307
// to its own /X, and anything else with a valid token.
func newRedirector(t *testing.T, other string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/cross/"):
			http.Redirect(w, r, other+strings.TrimPrefix(r.URL.Path, "/cross"), http.StatusTemporaryRedirect)
		case strings.HasPrefix(r.URL.Path, "/same/"):
			http.Redirect(w, r, srv.URL+strings.TrimPrefix(r.URL.Path, "/same"), http.StatusTemporaryRedirect)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, redirectTokenJSON)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// grantCase is one way a token request carries a secret in its body.
type grantCase struct {
	name    string
	grant   func(base string, hc *http.Client) auth.Grant // base ends in /cross or /same
	prev    *oauth2.Token
	secrets []string
}

func grantCases() []grantCase {
	withRefresh := &oauth2.Token{AccessToken: "old", RefreshToken: "the-refresh-token"}
	return []grantCase{
		{name: "client credentials", secrets: []string{"cc-secret"},
			grant: func(base string, _ *http.Client) auth.Grant {
				return auth.ClientCredentials{TokenURL: base + "/token", ClientID: "id", ClientSecret: "cc-secret"}
			}},
		{name: "password", secrets: []string{"pw-secret", "the-password"},
			grant: func(base string, _ *http.Client) auth.Grant {
				return auth.Password{TokenURL: base + "/token", ClientID: "id", ClientSecret: "pw-secret", Username: "u", Password: "the-password"}
			}},
		{name: "password refresh", prev: withRefresh, secrets: []string{"the-refresh-token", "the-password"},
			grant: func(base string, _ *http.Client) auth.Grant {
				return auth.Password{TokenURL: base + "/token", ClientID: "id", Username: "u", Password: "the-password"}
			}},
		{name: "refresh token", secrets: []string{"rt-secret", "the-refresh-token"},
			grant: func(base string, _ *http.Client) auth.Grant {
				return auth.RefreshToken{TokenURL: base + "/token", ClientID: "id", ClientSecret: "rt-secret", RefreshToken: "the-refresh-token"}
			}},
		{name: "jsonlogin authenticate", secrets: []string{"user-secret"},
			grant: func(base string, hc *http.Client) auth.Grant {
				return jsonlogin.Grant{BaseURL: base, UserKey: "k", UserSecret: "user-secret", HTTPClient: hc}
			}},
		{name: "jsonlogin refresh", prev: withRefresh, secrets: []string{"user-secret", "the-refresh-token"},
			grant: func(base string, hc *http.Client) auth.Grant {
				return jsonlogin.Grant{BaseURL: base, UserKey: "k", UserSecret: "user-secret", HTTPClient: hc}
			}},
		{name: "authorization code exchange", secrets: []string{"ac-secret", "the-code", "the-verifier"},
			grant: func(base string, _ *http.Client) auth.Grant {
				f := auth.NewAuthCodeFlow(&oauth2.Config{ClientID: "id", ClientSecret: "ac-secret",
					Endpoint: oauth2.Endpoint{AuthURL: base + "/authorize", TokenURL: base + "/token"}})
				return auth.GrantFunc(func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
					p := &auth.Pending{State: "st", Verifier: "the-verifier"}
					return f.Exchange(ctx, p, url.Values{"state": {"st"}, "code": {"the-code"}})
				})
			}},
	}
}

// way is how a caller reaches a grant: directly (with the default client or
// the caller's in the context) or through a Source (likewise). callerClient
// says whether the caller's client is the one sending.
type way struct {
	name         string
	callerClient bool
	token        func(g auth.Grant, prev *oauth2.Token, hc *http.Client) (*oauth2.Token, error)
}

var ways = []way{
	{"direct, default client", false, func(g auth.Grant, prev *oauth2.Token, _ *http.Client) (*oauth2.Token, error) {
		return g.Token(context.Background(), prev)
	}},
	{"direct, caller's client in the context", true, func(g auth.Grant, prev *oauth2.Token, hc *http.Client) (*oauth2.Token, error) {
		return g.Token(context.WithValue(context.Background(), oauth2.HTTPClient, hc), prev)
	}},
	{"Source, default client", false, func(g auth.Grant, prev *oauth2.Token, _ *http.Client) (*oauth2.Token, error) {
		return sourceToken(g, prev)
	}},
	{"Source, WithHTTPClient", true, func(g auth.Grant, prev *oauth2.Token, hc *http.Client) (*oauth2.Token, error) {
		return sourceToken(g, prev, auth.WithHTTPClient(hc))
	}},
}

// sourceToken asks a new Source for a token; with prev, the Source starts
// from an expired copy of it in a store, so that it renews with its refresh token.
func sourceToken(g auth.Grant, prev *oauth2.Token, opts ...auth.Option) (*oauth2.Token, error) {
	if prev != nil {
		st := &auth.MemoryStore{}
		expired := *prev
		expired.Expiry = time.Unix(1, 0)
		if err := st.Save(context.Background(), &expired); err != nil {
			return nil, err
		}
		opts = append(opts, auth.WithStore(st))
	}
	return auth.NewSource(g, opts...).Token()
}

// TestTokenRequestsNeverFollowARedirectToAnotherOrigin: a token request carries
// a client secret, password, refresh token or code in its body, which Go's
// http.Client re-sends on a 307; whatever the grant, however reached, with
// whatever client, none of it reaches another origin, while a redirect within
// the origin is followed under the caller's own redirect policy. The caller's
// client is not modified.
func TestTokenRequestsNeverFollowARedirectToAnotherOrigin(t *testing.T) {
	for _, gc := range grantCases() {
		for _, w := range ways {
			t.Run(gc.name+"/"+w.name, func(t *testing.T) {
				thief := newCatcher(t)
				front := newRedirector(t, thief.URL)
				var callerHops atomic.Int32
				callerPolicy := func(*http.Request, []*http.Request) error { callerHops.Add(1); return nil }
				hc := &http.Client{CheckRedirect: callerPolicy}
				fieldClient := hc // jsonlogin.Grant.HTTPClient, when the caller's client is used
				if !w.callerClient {
					fieldClient = nil
				}

				_, err := w.token(gc.grant(front.URL+"/cross", fieldClient), gc.prev, hc)
				assert.Empty(t, thief.requests(), "a secret followed the redirect to another origin")
				require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
				for _, s := range gc.secrets {
					assert.NotContains(t, err.Error(), s)
				}

				tok, err := w.token(gc.grant(front.URL+"/same", fieldClient), gc.prev, hc)
				require.NoError(t, err, "a redirect within the origin is followed")
				assert.Equal(t, "at", tok.AccessToken)
				assert.Equal(t, boolInt(w.callerClient), int(callerHops.Load()), "the caller's own redirect policy applies within the origin")
				assert.Equal(t, reflect.ValueOf(callerPolicy).Pointer(), reflect.ValueOf(hc.CheckRedirect).Pointer(),
					"the caller's client is not modified")
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRedirectPolicy(t *testing.T) {
	credentialed := func() http.Header {
		return http.Header{"Authorization": {"Bearer t"}, "X-Api-Key": {"k"}, "X-Deki-Token": {"d"},
			"Cookie": {"c"}, "Proxy-Authorization": {"p"}, "Accept": {"application/json"}}
	}
	api := mustURL("https://api.example.com/v1")
	tests := []struct {
		name     string
		policy   auth.RedirectPolicy
		to       string
		hops     int
		wantErr  error
		wantKept []string
	}{
		{"same origin keeps the credential", auth.RedirectPolicy{Headers: []string{"X-Deki-Token"}}, "https://API.example.com:443/v2", 1, nil,
			[]string{"Accept", "Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "X-Deki-Token"}},
		{"another port strips it", auth.RedirectPolicy{Headers: []string{"x-deki-token"}}, "https://api.example.com:8443/v1", 1, nil, []string{"Accept"}},
		{"another scheme strips it", auth.RedirectPolicy{Headers: []string{"X-Deki-Token"}}, "http://api.example.com/v1", 1, nil, []string{"Accept"}},
		{"another host strips it, unnamed headers stay", auth.RedirectPolicy{}, "https://cdn.example.com/x", 1, nil, []string{"Accept", "X-Deki-Token"}},
		{"the configured origin wins over the first request's", auth.RedirectPolicy{Origin: auth.OriginOf(mustURL("https://cdn.example.com"))},
			"https://cdn.example.com/x", 1, nil, []string{"Accept", "Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "X-Deki-Token"}},
		{"a secret in the body never leaves", auth.RedirectPolicy{SecretInBody: true}, "https://evil.example.com/token", 1, auth.ErrCrossOriginRedirect, nil},
		{"a secret in the body follows within the origin", auth.RedirectPolicy{SecretInBody: true}, "https://api.example.com/token", 1, nil,
			[]string{"Accept", "Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "X-Deki-Token"}},
		{"ten hops are the limit", auth.RedirectPolicy{}, "https://api.example.com/v1", 10, auth.ErrTooManyRedirects, nil},
		{"the caller's policy decides after ours", auth.RedirectPolicy{Next: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
			"https://cdn.example.com/x", 1, http.ErrUseLastResponse, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &http.Request{URL: mustURL(tt.to), Header: credentialed()}
			via := make([]*http.Request, tt.hops)
			for i := range via {
				via[i] = &http.Request{URL: api}
			}
			err := tt.policy.CheckRedirect(req, via)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var kept []string
			for name := range req.Header {
				kept = append(kept, name)
			}
			assert.ElementsMatch(t, tt.wantKept, kept)
		})
	}
}

func TestTokenHTTPClientCopiesTheCallersClient(t *testing.T) {
	jar := &fakeJar{}
	own := &http.Client{Timeout: 7 * time.Second, Jar: jar}
	cp := auth.TokenHTTPClient(own)
	require.NotSame(t, own, cp)
	assert.Nil(t, own.CheckRedirect, "the caller's client is not modified")
	assert.Equal(t, 7*time.Second, cp.Timeout)
	assert.Same(t, jar, cp.Jar)
	assert.NotNil(t, auth.TokenHTTPClient(nil).CheckRedirect)
	assert.Nil(t, http.DefaultClient.CheckRedirect, "nor is http.DefaultClient")
}

type fakeJar struct{}

func (*fakeJar) SetCookies(*url.URL, []*http.Cookie) {}
func (*fakeJar) Cookies(*url.URL) []*http.Cookie     { return nil }
