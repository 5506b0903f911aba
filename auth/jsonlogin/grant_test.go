package jsonlogin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin/jsonlogintest"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

const secret = "s3cret-user-pw"

// scripted is a server whose /authenticate and /refresh answers the test sets.
type scripted struct {
	*httptest.Server
	authN, refreshN atomic.Int32
	bodies          chan map[string]string
}

func newScripted(t *testing.T, authFn, refreshFn http.HandlerFunc) *scripted {
	t.Helper()
	s := &scripted{bodies: make(chan map[string]string, 16)}
	record := func(n *atomic.Int32, h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			select {
			case s.bodies <- body:
			default:
			}
			h(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /authenticate", record(&s.authN, authFn))
	mux.HandleFunc("POST /refresh", record(&s.refreshN, refreshFn))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func jwt(exp int64) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(fmt.Appendf(nil, `{"exp":%d}`, exp)) + "."
}

func TestTokenAuthenticateThenRefresh(t *testing.T) {
	access1, access2 := jwt(1900000000), jwt(1900003600)
	s := newScripted(t,
		answer(200, `{"access_token":"`+access1+`","refresh_token":"rt-1"}`),
		answer(200, `{"access_token":"`+access2+`"}`))
	g := jsonlogin.Grant{BaseURL: s.URL + "/", UserKey: "uk", UserSecret: secret}
	ctx := context.Background()

	tok, err := g.Token(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"user_key": "uk", "user_secret": secret}, <-s.bodies)
	assert.Equal(t, access1, tok.AccessToken)
	assert.Equal(t, "rt-1", tok.RefreshToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, time.Unix(1900000000, 0), tok.Expiry)

	tok2, err := g.Token(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"refresh_token": "rt-1"}, <-s.bodies)
	assert.Equal(t, access2, tok2.AccessToken)
	assert.Equal(t, "rt-1", tok2.RefreshToken, "kept: the answer had none")
	assert.Equal(t, time.Unix(1900003600, 0), tok2.Expiry)
	assert.Equal(t, int32(1), s.authN.Load())
	assert.Equal(t, int32(1), s.refreshN.Load())
}

func TestTokenRefreshFailureByStatus(t *testing.T) {
	tests := []struct {
		status   int
		fallback bool
	}{
		{400, true}, {401, true}, {403, true},
		{404, false}, {429, false}, {500, false}, {503, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			s := newScripted(t,
				answer(200, `{"access_token":"fresh","refresh_token":"rt-2"}`),
				answer(tt.status, `{"error":"nope","message":"refresh refused"}`))
			g := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}
			tok, err := g.Token(context.Background(), &oauth2.Token{AccessToken: "old", RefreshToken: "rt-1"})
			assert.Equal(t, int32(1), s.refreshN.Load())
			if tt.fallback {
				require.NoError(t, err)
				assert.Equal(t, "fresh", tok.AccessToken)
				assert.Equal(t, "rt-2", tok.RefreshToken)
				assert.Equal(t, int32(1), s.authN.Load())
				return
			}
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "jsonlogin", te.Grant)
			assert.Equal(t, tt.status, te.StatusCode)
			assert.Equal(t, "nope", te.Code)
			assert.Equal(t, "refresh refused", te.Description)
			assert.Equal(t, int32(0), s.authN.Load(), "a server failure is not a reason to log in again")
		})
	}
}

func TestTokenWithoutExpiryGetsSourceDefaultLifetime(t *testing.T) {
	s := newScripted(t, answer(200, `{"access_token":"opaque-token","refresh_token":"rt"}`), answer(500, ""))
	g := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}

	tok, err := g.Token(context.Background(), nil)
	require.NoError(t, err)
	assert.True(t, tok.Expiry.IsZero())
	assert.Zero(t, tok.ExpiresIn)

	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	src := auth.NewSource(g, auth.WithClock(func() time.Time { return now }))
	tok, err = src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.WithinDuration(t, now.Add(time.Hour), tok.Expiry, 0, "the Source's default lifetime applies")
}

func TestTokenExpiresInWinsOverJWT(t *testing.T) {
	for _, expiresIn := range []string{`120`, `"120"`} {
		s := newScripted(t, answer(200, `{"access_token":"`+jwt(1900000000)+`","expires_in":`+expiresIn+`}`), answer(500, ""))
		tok, err := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}.Token(context.Background(), nil)
		require.NoError(t, err)
		assert.Equal(t, int64(120), tok.ExpiresIn)
		assert.WithinDuration(t, time.Now().Add(2*time.Minute), tok.Expiry, 5*time.Second)
	}
}

func TestTokenErrors(t *testing.T) {
	huge := `{"access_token":"` + strings.Repeat("a", transport.MaxBody) + `"}`
	tests := []struct {
		name       string
		auth       http.HandlerFunc
		wantStatus int
		wantInErr  string
	}{
		{"wrong credentials", answer(401, `{"error":"invalid_credentials","message":"wrong secret"}`), 401, "invalid_credentials: wrong secret"},
		{"secret echoed", answer(400, `{"error":"bad","message":"user_secret `+secret+` is wrong"}`), 400, "bad: user_secret [REDACTED] is wrong"},
		{"html error page", answer(502, `<html>`+strings.Repeat("x", 5000)+`</html>`), 502, "HTTP 502"},
		{"no access token", answer(200, `{"refresh_token":"rt"}`), 0, "no access_token"},
		{"not json", answer(200, `access_token=abc`), 0, "not the expected JSON"},
		{"too large", answer(200, huge), 0, "not the expected JSON"}, // cut at transport.MaxBody
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, tt.auth, answer(500, ""))
			_, err := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}.Token(context.Background(), nil)
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "jsonlogin", te.Grant)
			assert.Equal(t, tt.wantStatus, te.StatusCode)
			assert.Contains(t, err.Error()+" "+te.Err.Error(), tt.wantInErr)
			for _, v := range []string{err.Error(), te.Err.Error(), fmt.Sprintf("%+v", err), te.Description} {
				assert.NotContains(t, v, secret)
				assert.Less(t, len(v), 400, "the error carries an excerpt, not the body")
			}
		})
	}
}

func TestTokenRefusesInsecureOrInvalidURL(t *testing.T) {
	for _, base := range []string{"http://login.example.com", "ftp://127.0.0.1", "not a url", ""} {
		_, err := jsonlogin.Grant{BaseURL: base, UserKey: "uk", UserSecret: secret}.Token(context.Background(), nil)
		var te *auth.TokenError
		require.ErrorAs(t, err, &te, base)
		assert.NotContains(t, err.Error(), secret)
	}
	_, err := jsonlogin.Grant{BaseURL: "http://login.example.com", UserSecret: secret}.Token(context.Background(), nil)
	assert.ErrorIs(t, err, auth.ErrInsecureURL)
}

func TestTokenNetworkError(t *testing.T) {
	s := newScripted(t, answer(200, `{}`), answer(200, `{}`))
	s.Close()
	_, err := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}.Token(context.Background(), nil)
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Zero(t, te.StatusCode)
}

// countingTransport counts the requests it carries.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestTokenHTTPClientChoice(t *testing.T) {
	s := newScripted(t, answer(200, `{"access_token":"a"}`), answer(500, ""))
	fromCtx, own := &countingTransport{}, &countingTransport{}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: fromCtx})

	_, err := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}.Token(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, int32(1), fromCtx.n.Load(), "the context's client is used")

	_, err = jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret, HTTPClient: &http.Client{Transport: own}}.Token(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, int32(1), own.n.Load(), "the Grant's own client wins")
	assert.Equal(t, int32(1), fromCtx.n.Load())
}

func TestTokenRefusesCrossOriginRedirect(t *testing.T) {
	var leaked atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked.Add(1) }))
	defer evil.Close()
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/authenticate", http.StatusTemporaryRedirect)
	}, answer(500, ""))
	_, err := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}.Token(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another origin")
	assert.Zero(t, leaked.Load(), "the secret followed the redirect")
}

func TestRegister(t *testing.T) {
	srv := jsonlogintest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	key, err := jsonlogin.Register(ctx, srv.URL, "bob", "bob-pw-123")
	require.NoError(t, err)
	assert.NotEmpty(t, key)
	tok, err := jsonlogin.Grant{BaseURL: srv.URL, UserKey: key, UserSecret: "bob-pw-123"}.Token(ctx, nil)
	require.NoError(t, err)
	assert.True(t, srv.ValidAccessToken(tok.AccessToken))

	_, err = jsonlogin.Register(ctx, srv.URL, "bob", "bob-pw-123")
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 409, te.StatusCode)
	assert.Equal(t, "user_exists", te.Code)
	assert.NotContains(t, err.Error(), "bob-pw-123")

	_, err = jsonlogin.Register(ctx, "http://register.example.com", "carol", "pw")
	assert.ErrorIs(t, err, auth.ErrInsecureURL)
	assert.Equal(t, jsonlogintest.Stats{Registers: 1, Authenticates: 1}, srv.Stats())
}

func TestGrantRedacted(t *testing.T) {
	g := jsonlogin.Grant{BaseURL: "https://login.example.com", UserKey: "uk_123", UserSecret: secret}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{g, &g} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, secret, verb)
			assert.Contains(t, out, "uk_123", verb)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("login", "grant", g)
	assert.NotContains(t, buf.String(), secret)
	assert.Contains(t, buf.String(), `"user_key":"uk_123"`)
}

// A token request is repeated only when the server cannot have acted on it:
// a 429 with Retry-After is waited out and sent again; a 5xx is not (see
// TestTokenRefreshFailureByStatus), so a refresh token is never spent twice.
func TestTokenRefreshRetriedAfter429(t *testing.T) {
	var refreshes atomic.Int32
	s := newScripted(t, answer(500, ""), func(w http.ResponseWriter, r *http.Request) {
		if refreshes.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			answer(429, `{"error":"rate_limited"}`)(w, r)
			return
		}
		answer(200, `{"access_token":"fresh"}`)(w, r)
	})
	g := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}
	start := time.Now()
	tok, err := g.Token(context.Background(), &oauth2.Token{AccessToken: "old", RefreshToken: "rt-1"})
	require.NoError(t, err)
	assert.Equal(t, "fresh", tok.AccessToken)
	assert.Equal(t, int32(2), s.refreshN.Load())
	assert.Equal(t, int32(0), s.authN.Load())
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After waited")
}

// An Idempotency-Key the caller's context carries (for its own API call) is
// not put on a token request, which would then be repeated after a 5xx.
func TestTokenRequestIgnoresCallersIdempotencyKey(t *testing.T) {
	var keys []string
	s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		answer(503, `{"error":"unavailable"}`)(w, r)
	}, answer(500, ""))
	ctx := transport.WithIdempotencyKey(context.Background(), "caller-key")
	_, err := jsonlogin.Grant{BaseURL: s.URL, UserKey: "uk", UserSecret: secret}.Token(ctx, nil)
	require.Error(t, err)
	assert.Equal(t, []string{""}, keys, "sent once, without the key")
}
