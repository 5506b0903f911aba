package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// mindbazSSO is the Mindbaz SSO written from the seed document alone
// (mindbaz-token.txt), not from this package: POST /oauth2/token, form-urlencoded,
// grant_type=password (username, password, client_id 100) or
// grant_type=refresh_token (refresh_token, client_id 100). Access tokens live
// 1199 s; a refresh token is single-use ("the previous one having expired after
// use") and lives 7 days. Its clock is the test's.
type mindbazSSO struct {
	*httptest.Server
	now func() time.Time

	mu        sync.Mutex
	n         int
	refreshes map[string]time.Time // unspent refresh token -> its expiry
	requests  []ssoRequest
	// refuse answers a refused refresh token (spent, expired or unknown);
	// nil: a bare 401.
	refuse func(w http.ResponseWriter)
	hold   chan struct{} // when set, a refresh waits for it to close
}

type ssoRequest struct {
	grant string
	at    time.Time
}

func newMindbazSSO(t *testing.T, now func() time.Time) *mindbazSSO {
	t.Helper()
	s := &mindbazSSO{now: now, refreshes: map[string]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.token))
	t.Cleanup(s.Close)
	return s
}

// inMemory serves h without a network, for a testing/synctest bubble (where a
// goroutine blocked on a socket is not durably blocked).
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func (s *mindbazSSO) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/oauth2/token" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	form, err := url.ParseQuery(string(raw))
	if err != nil || form.Get("client_id") != "100" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, ssoRequest{form.Get("grant_type"), s.now()})
	hold := s.hold
	s.mu.Unlock()
	switch form.Get("grant_type") {
	case "password":
		if form.Get("username") != "api@example.com" || form.Get("password") != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	case "refresh_token":
		if hold != nil {
			<-hold
		}
		s.mu.Lock()
		exp, ok := s.refreshes[form.Get("refresh_token")]
		delete(s.refreshes, form.Get("refresh_token")) // single-use
		refuse := s.refuse
		s.mu.Unlock()
		if !ok || !s.now().Before(exp) {
			if refuse == nil {
				w.WriteHeader(http.StatusUnauthorized)
			} else {
				refuse(w)
			}
			return
		}
	default:
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.n++
	rt := fmt.Sprintf("rt%d", s.n)
	s.refreshes[rt] = s.now().Add(7 * 24 * time.Hour)
	body := fmt.Sprintf(`{"access_token":"at%d","token_type":"bearer","expires_in":1199,"refresh_token":%q}`, s.n, rt)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

func (s *mindbazSSO) seen() []ssoRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ssoRequest(nil), s.requests...)
}

func (s *mindbazSSO) grants() []string {
	var out []string
	for _, r := range s.seen() {
		out = append(out, r.grant)
	}
	return out
}

func (s *mindbazSSO) mindbaz() auth.Password {
	g := auth.Mindbaz("api@example.com", "pw")
	g.TokenURL = s.URL + "/oauth2/token"
	return g
}

// The document: "Reuse your token during its entire validity period and
// request a refresh as soon as it has expired." The preset reuses a 1199 s
// token until its last seconds, and the caller that meets the renewal point is
// not made to wait for the SSO. The bubble's clock is fake, so every step is
// exact: after each call, synctest.Wait lets any renewal reach the SSO first.
func TestMindbazReusesTokenUntilItsLastSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sso := &mindbazSSO{now: time.Now, refreshes: map[string]time.Time{}}
		g := auth.Mindbaz("api@example.com", "pw")
		g.TokenURL = "http://127.0.0.1/oauth2/token" // served in memory
		src := auth.NewSource(g, auth.WithHTTPClient(&http.Client{Transport: inMemory{http.HandlerFunc(sso.token)}}))

		first, err := src.Token()
		require.NoError(t, err)
		issued := time.Now()
		for time.Since(issued) < 1199*time.Second-20*time.Second {
			tok, err := src.Token()
			require.NoError(t, err)
			require.Same(t, first, tok, "at %s", time.Since(issued))
			synctest.Wait()
			require.Equal(t, []string{"password"}, sso.grants(), "renewed at %s of 1199 s", time.Since(issued))
			time.Sleep(time.Second)
		}

		// The last seconds: the renewal starts in the background, held at
		// the SSO; callers keep the current token without waiting.
		release := make(chan struct{})
		sso.mu.Lock()
		sso.hold = release
		sso.mu.Unlock()
		time.Sleep(5 * time.Second) // 15 s left
		for range 20 {
			tok, err := src.TokenContext(ctxTimeout(t, time.Millisecond))
			require.NoError(t, err, "a caller waited")
			require.Same(t, first, tok)
		}
		synctest.Wait()
		require.Equal(t, []string{"password", "refresh_token"}, sso.grants())
		close(release)
		synctest.Wait()
		tok, err := src.Token()
		require.NoError(t, err)
		assert.Equal(t, "at2", tok.AccessToken)
		seen := sso.seen()
		assert.Equal(t, 1199*time.Second-15*time.Second, seen[1].at.Sub(seen[0].at), "renewed in the last seconds")
	})
}

// refusals are the ways an SSO may refuse an expired or spent refresh token.
var refusals = map[string]func(w http.ResponseWriter){
	"bare 401":          func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) },
	"bare 400":          func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadRequest) },
	"400 invalid_grant": func(w http.ResponseWriter) { writeOAuthError(w, http.StatusBadRequest, "invalid_grant") },
	"401 invalid_token": func(w http.ResponseWriter) { writeOAuthError(w, http.StatusUnauthorized, "invalid_token") },
	"400 invalid_request": func(w http.ResponseWriter) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request")
	},
	"401 HTML": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "<html><body>Unauthorized</body></html>")
	},
	"400 JSON without error": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message":"refresh token expired"}`)
	},
}

// A refused refresh token makes the password grant log in again, once.
func TestPasswordLogsInOnceWhenRefreshRefused(t *testing.T) {
	for name, refuse := range refusals {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			sso := newMindbazSSO(t, clk.Now)
			sso.refuse = refuse
			src := auth.NewSource(sso.mindbaz(), auth.WithClock(clk.Now), auth.WithHTTPClient(sso.Client()))
			_, err := src.Token()
			require.NoError(t, err)

			clk.Advance(8 * 24 * time.Hour) // the refresh token has expired too
			tok, err := src.Token()
			require.NoError(t, err)
			assert.Equal(t, "at2", tok.AccessToken)
			assert.Equal(t, []string{"password", "refresh_token", "password"}, sso.grants())
		})
	}
}

// A restart from a token file holding an expired refresh token recovers the
// same way, and the file then holds the new token.
func TestMindbazRestartFromFileWithExpiredRefreshToken(t *testing.T) {
	clk := newClock()
	sso := newMindbazSSO(t, clk.Now)
	path := filepath.Join(t.TempDir(), "mindbaz.json")
	require.NoError(t, auth.NewFileStore(path).Save(context.Background(), &oauth2.Token{
		AccessToken: "at-old", TokenType: "Bearer", RefreshToken: "rt-expired-last-week",
		Expiry: clockStart.Add(-7 * 24 * time.Hour),
	}))

	for run := range 2 { // the second run starts from what the first saved
		src := auth.NewSource(sso.mindbaz(), auth.WithStore(auth.NewFileStore(path)),
			auth.WithClock(clk.Now), auth.WithHTTPClient(sso.Client()))
		tok, err := src.Token()
		require.NoError(t, err, "run %d", run)
		assert.Equal(t, "at1", tok.AccessToken)
	}
	assert.Equal(t, []string{"refresh_token", "password"}, sso.grants())
	stored, err := auth.NewFileStore(path).Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "rt1", stored.RefreshToken)
}

// RefreshToken has no password to fall back on: a refused refresh token is
// ErrLoginRequired, and the TokenError stays inspectable.
func TestRefreshTokenRefusedNeedsLogin(t *testing.T) {
	for name, refuse := range refusals {
		t.Run(name, func(t *testing.T) {
			sso := newMindbazSSO(t, time.Now)
			sso.refuse = refuse
			g := auth.RefreshToken{TokenURL: sso.URL + "/oauth2/token", ClientID: "100", RefreshToken: "rt-expired"}
			_, err := g.Token(withClient(sso.Client()), nil)
			require.ErrorIs(t, err, auth.ErrLoginRequired)
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "refresh_token", te.Grant)
			assert.NotContains(t, err.Error(), "rt-expired")
		})
	}
}
