package auth_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
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
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// fakeAS is an authorization server: /authorize consents at once (or refuses
// when deny is set) and /token trades the code for a token after checking the
// PKCE verifier and the redirect URI.
type fakeAS struct {
	*httptest.Server
	deny bool

	mu        sync.Mutex
	codes     map[string][2]string // code -> challenge, redirect_uri
	tokenReqs int
}

func newFakeAS(t *testing.T) *fakeAS {
	as := &fakeAS{codes: map[string][2]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil || q.Get("code_challenge_method") != "S256" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		v := url.Values{"state": {q.Get("state")}}
		if as.deny {
			v.Set("error", "access_denied")
			v.Set("error_description", "the user said no")
		} else {
			as.mu.Lock()
			code := fmt.Sprintf("code-%d", len(as.codes)+1)
			as.codes[code] = [2]string{q.Get("code_challenge"), q.Get("redirect_uri")}
			as.mu.Unlock()
			v.Set("code", code)
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		as.mu.Lock()
		as.tokenReqs++
		c, ok := as.codes[r.PostFormValue("code")]
		delete(as.codes, r.PostFormValue("code"))
		as.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != c[0] || r.PostFormValue("redirect_uri") != c[1] {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		io.WriteString(w, `{"access_token":"loop-at","token_type":"Bearer","expires_in":3600,"refresh_token":"loop-rt"}`)
	})
	as.Server = httptest.NewServer(mux)
	t.Cleanup(as.Close)
	return as
}

func (as *fakeAS) config() *oauth2.Config {
	return &oauth2.Config{ClientID: "cli", Scopes: []string{"profile"},
		Endpoint: oauth2.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"}}
}

func (as *fakeAS) tokenRequests() int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.tokenReqs
}

// page is what the test's "browser" got back.
type page struct {
	status int
	header http.Header
	body   string
}

// browser follows URLs like a browser would, recording the last page.
type browser struct {
	t     *testing.T
	mu    sync.Mutex
	pages []page
}

func (b *browser) visit(u string) error {
	resp, err := http.Get(u) // follows the authorization server's redirect to the loopback server
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	b.mu.Lock()
	b.pages = append(b.pages, page{resp.StatusCode, resp.Header, string(body)})
	b.mu.Unlock()
	return nil
}

func (b *browser) last() page {
	b.mu.Lock()
	defer b.mu.Unlock()
	require.NotEmpty(b.t, b.pages)
	return b.pages[len(b.pages)-1]
}

// redirectURI returns the redirect_uri of an authorization URL.
func redirectURI(t *testing.T, authURL string) *url.URL {
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	r, err := url.Parse(u.Query().Get("redirect_uri"))
	require.NoError(t, err)
	return r
}

func TestLoginLoopback(t *testing.T) {
	as := newFakeAS(t)
	b := &browser{t: t}
	var callback *url.URL
	var strays []int
	tok, err := auth.LoginLoopback(context.Background(), as.config(), auth.LoopbackOptions{
		OpenBrowser: func(authURL string) error {
			callback = redirectURI(t, authURL)
			// A browser asks for a favicon; a stray request hits another path.
			for _, p := range []string{"/favicon.ico", "/other"} {
				resp, err := http.Get("http://" + callback.Host + p)
				require.NoError(t, err)
				resp.Body.Close()
				strays = append(strays, resp.StatusCode)
			}
			resp, err := http.Post(callback.String(), "text/plain", strings.NewReader("x"))
			require.NoError(t, err)
			resp.Body.Close()
			strays = append(strays, resp.StatusCode)
			// A browser prefetching a link to the callback (Chromium sends
			// Sec-Purpose, older browsers Purpose or X-Moz) is not the callback.
			for _, h := range [][2]string{{"Sec-Purpose", "prefetch"}, {"Sec-Purpose", "prefetch;prerender"}, {"Purpose", "prefetch"}, {"X-Moz", "prefetch"}} {
				req, err := http.NewRequest(http.MethodGet, callback.String()+"?code=early&state=early", nil)
				require.NoError(t, err)
				req.Header.Set(h[0], h[1])
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				strays = append(strays, resp.StatusCode)
			}
			return b.visit(authURL)
		},
		Prompt: failWriter{t},
	})
	require.NoError(t, err)
	assert.Equal(t, "loop-at", tok.AccessToken)
	assert.Equal(t, "loop-rt", tok.RefreshToken)

	assert.Equal(t, "http", callback.Scheme)
	assert.Equal(t, "127.0.0.1", callback.Hostname(), "RFC 8252 §7.3: the loopback IP literal")
	assert.NotEmpty(t, callback.Port())
	assert.Equal(t, "/callback", callback.Path)
	unavailable := http.StatusServiceUnavailable
	assert.Equal(t, []int{http.StatusNotFound, http.StatusNotFound, http.StatusMethodNotAllowed,
		unavailable, unavailable, unavailable, unavailable}, strays,
		"other paths, methods and prefetches are ignored")

	pg := b.last()
	assert.Equal(t, http.StatusOK, pg.status)
	assert.Contains(t, pg.body, "You are logged in")
	assert.Equal(t, "no-store", pg.header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", pg.header.Get("Referrer-Policy"))
	for _, secret := range []string{"loop-at", "loop-rt", "code-1"} {
		assert.NotContains(t, pg.body, secret)
	}
	assert.Equal(t, 1, as.tokenRequests())

	_, err = http.Get(callback.String())
	require.Error(t, err, "the callback server is shut down on return")
}

// failWriter fails the test when written to.
type failWriter struct{ t *testing.T }

func (w failWriter) Write(p []byte) (int, error) {
	w.t.Errorf("unexpected prompt: %q", p)
	return len(p), nil
}

func TestLoginLoopbackForgedCallbackFailsTheLogin(t *testing.T) {
	as := newFakeAS(t)
	b := &browser{t: t}
	_, err := auth.LoginLoopback(context.Background(), as.config(), auth.LoopbackOptions{
		OpenBrowser: func(authURL string) error {
			// An attacker's page makes the browser hit the callback first.
			forged := redirectURI(t, authURL)
			forged.RawQuery = url.Values{"code": {"attacker-code"}, "state": {"guessed"}}.Encode()
			return b.visit(forged.String())
		},
	})
	require.ErrorIs(t, err, auth.ErrStateMismatch)
	pg := b.last()
	assert.Equal(t, http.StatusBadRequest, pg.status)
	assert.Contains(t, pg.body, "Login failed")
	assert.NotContains(t, pg.body, "attacker-code")
	assert.Equal(t, 0, as.tokenRequests(), "a forged callback never reaches the token endpoint")
}

func TestLoginLoopbackUserRefuses(t *testing.T) {
	as := newFakeAS(t)
	as.deny = true
	b := &browser{t: t}
	_, err := auth.LoginLoopback(context.Background(), as.config(), auth.LoopbackOptions{OpenBrowser: b.visit})
	var ae *auth.AuthorizationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "access_denied", ae.Code)
	assert.Equal(t, "the user said no", ae.Description)
	pg := b.last()
	assert.Equal(t, http.StatusForbidden, pg.status)
	assert.Contains(t, pg.body, "access_denied")
	assert.Equal(t, 0, as.tokenRequests())
}

func TestLoginLoopbackTokenEndpointRefusal(t *testing.T) {
	as := newFakeAS(t)
	cfg := as.config()
	cfg.Endpoint.TokenURL = as.URL + "/no-such-token-endpoint"
	b := &browser{t: t}
	_, err := auth.LoginLoopback(context.Background(), cfg, auth.LoopbackOptions{OpenBrowser: b.visit})
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "authorization_code", te.Grant)
	pg := b.last()
	assert.Equal(t, http.StatusBadGateway, pg.status)
	assert.Contains(t, pg.body, "could not be completed")
}

func TestLoginLoopbackPromptsWithoutBrowser(t *testing.T) {
	for _, name := range []string{"no opener", "opener fails"} {
		t.Run(name, func(t *testing.T) {
			as := newFakeAS(t)
			pr, pw := io.Pipe()
			defer pr.Close()
			b := &browser{t: t}
			visited := make(chan error, 1)
			go func() {
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "http://") {
						visited <- b.visit(line)
						break
					}
				}
				_, _ = io.Copy(io.Discard, pr)
			}()
			opts := auth.LoopbackOptions{Prompt: pw, CallbackPath: "/oauth/cb"}
			if name == "opener fails" {
				opts.OpenBrowser = func(string) error { return errors.New("no display") }
			}
			tok, err := auth.LoginLoopback(context.Background(), as.config(), opts)
			pw.Close()
			require.NoError(t, err)
			require.NoError(t, <-visited)
			assert.Equal(t, "loop-at", tok.AccessToken)
		})
	}
}

func TestLoginLoopbackEndsWithTimeoutOrContext(t *testing.T) {
	as := newFakeAS(t)
	idle := func(string) error { return nil } // the user never comes back

	start := time.Now()
	_, err := auth.LoginLoopback(context.Background(), as.config(), auth.LoopbackOptions{OpenBrowser: idle, Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = auth.LoginLoopback(ctx, as.config(), auth.LoopbackOptions{OpenBrowser: idle})
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoginLoopbackListensOnLoopbackOnly(t *testing.T) {
	as := newFakeAS(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:8080", "no-port"} {
		_, err := auth.LoginLoopback(context.Background(), as.config(), auth.LoopbackOptions{
			Listen: addr, OpenBrowser: func(string) error { t.Errorf("%s: browser opened", addr); return nil }})
		require.Error(t, err, addr)
	}
	b := &browser{t: t}
	var host string
	_, err := auth.LoginLoopback(context.Background(), as.config(), auth.LoopbackOptions{Listen: "[::1]:0",
		OpenBrowser: func(u string) error { host = redirectURI(t, u).Hostname(); return b.visit(u) }})
	if err != nil && strings.Contains(err.Error(), "listen") {
		t.Skip("no IPv6 loopback here:", err)
	}
	require.NoError(t, err)
	assert.Equal(t, "::1", host)
}

// TestLoginLoopbackAgainstMindPeekerFake logs in as the fake MindPeeker's
// public client, then keeps the session alive with a Source over the stored
// token: the authorization code is spent once, refresh tokens rotate.
func TestLoginLoopbackAgainstMindPeekerFake(t *testing.T) {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	cfg := &oauth2.Config{ClientID: mindpeekertest.PublicClientID, Scopes: []string{"profile", "remote-viewing:read"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.AuthorizeURL(), TokenURL: srv.TokenURL()}}
	b := &browser{t: t}
	tok, err := auth.LoginLoopback(context.Background(), cfg, auth.LoopbackOptions{OpenBrowser: b.visit})
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	assert.Equal(t, http.StatusOK, b.last().status)
	assert.Equal(t, 1, srv.Stats().TokenRequestsByGrant["authorization_code"])

	st := &auth.MemoryStore{}
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Second) // force a refresh
	require.NoError(t, st.Save(context.Background(), &stale))
	src := auth.NewSource(auth.RefreshToken{TokenURL: cfg.Endpoint.TokenURL, ClientID: cfg.ClientID}, auth.WithStore(st))
	renewed, err := src.Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, renewed.AccessToken)
	saved, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, renewed.RefreshToken, saved.RefreshToken, "the rotated refresh token is stored")
	stats := srv.Stats()
	assert.Equal(t, 1, stats.TokenRequestsByGrant["refresh_token"])
	assert.Zero(t, stats.SpentRefreshReuse)
}
