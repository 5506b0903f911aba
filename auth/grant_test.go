package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

const okTokenJSON = `{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-new"}`

// writeOAuthError answers an RFC 6749 §5.2 error.
func writeOAuthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q,"error_description":"test says %s"}`, code, code)
}

// failingClient is an HTTP client that fails the test if it is ever used.
func failingClient(t *testing.T) *http.Client {
	return &http.Client{Transport: transportFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s", r.URL.Redacted())
		return nil, fmt.Errorf("test: no requests allowed")
	})}
}

type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// withClient returns a context carrying c for x/oauth2.
func withClient(c *http.Client) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, c)
}

func TestClientCredentialsClientAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		style     oauth2.AuthStyle
		wantBasic bool
	}{
		{"default is in the body", oauth2.AuthStyleAutoDetect, false},
		{"in params", oauth2.AuthStyleInParams, false},
		{"basic", oauth2.AuthStyleInHeader, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTokenServer(t, answerWith("application/json", okTokenJSON))
			g := auth.ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "my id", ClientSecret: "my:secret",
				Scopes: []string{"remote-viewing:read", "profile"}, AuthStyle: tt.style}
			tok, err := g.Token(withClient(srv.Client()), nil)
			require.NoError(t, err)
			assert.Equal(t, "at", tok.AccessToken)

			require.Equal(t, 1, srv.count())
			req := srv.request(0)
			assert.Equal(t, "client_credentials", req.Form["grant_type"][0])
			assert.Equal(t, []string{"remote-viewing:read profile"}, req.Form["scope"])
			user, pass, basic := (&http.Request{Header: req.Header}).BasicAuth()
			if tt.wantBasic {
				require.True(t, basic, "HTTP Basic expected")
				assert.Equal(t, url.QueryEscape("my id"), user)
				assert.Equal(t, url.QueryEscape("my:secret"), pass)
				assert.NotContains(t, req.Form, "client_secret", "never both")
				assert.NotContains(t, req.Form, "client_id")
			} else {
				assert.False(t, basic, "no Authorization header expected, got %q", req.Header.Get("Authorization"))
				assert.Equal(t, []string{"my id"}, req.Form["client_id"])
				assert.Equal(t, []string{"my:secret"}, req.Form["client_secret"])
			}
		})
	}
}

func TestGrantsNeverRetryInAnotherAuthStyle(t *testing.T) {
	prev := &oauth2.Token{AccessToken: "old", RefreshToken: "single-use"}
	grants := map[string]func(tokenURL string) auth.Grant{
		"client_credentials": func(u string) auth.Grant {
			return auth.ClientCredentials{TokenURL: u, ClientID: "id", ClientSecret: "secret"}
		},
		"password": func(u string) auth.Grant {
			return auth.Password{TokenURL: u, ClientID: "id", ClientSecret: "secret", Username: "u", Password: "p"}
		},
		"refresh_token": func(u string) auth.Grant {
			return auth.RefreshToken{TokenURL: u, ClientID: "id", ClientSecret: "secret"}
		},
	}
	for name, mk := range grants {
		t.Run(name, func(t *testing.T) {
			srv := newTokenServer(t, func(w http.ResponseWriter, _ *http.Request) {
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client")
			})
			p := prev
			if name == "password" {
				p = nil // a refused refresh would (rightly) not fall back, but test the password request
			}
			_, err := mk(srv.URL).Token(withClient(srv.Client()), p)
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "invalid_client", te.Code)
			assert.Equal(t, http.StatusUnauthorized, te.StatusCode)
			assert.Equal(t, 1, srv.count(), "a refused request is not re-sent in the other auth style")
			assert.NotContains(t, srv.request(0).Header, "Authorization")
		})
	}
}

func TestGrantsRefuseInsecureTokenURLBeforeConnecting(t *testing.T) {
	for _, tokenURL := range []string{"http://example.invalid/token", "http://10.0.0.1/token", "ftp://example.com/token", "not a url", ""} {
		grants := []auth.Grant{
			auth.ClientCredentials{TokenURL: tokenURL, ClientID: "id", ClientSecret: "secret"},
			auth.Password{TokenURL: tokenURL, ClientID: "id", Username: "u", Password: "p"},
			auth.RefreshToken{TokenURL: tokenURL, ClientID: "id", RefreshToken: "rt"},
		}
		for _, g := range grants {
			t.Run(fmt.Sprintf("%T %s", g, tokenURL), func(t *testing.T) {
				_, err := g.Token(withClient(failingClient(t)), &oauth2.Token{RefreshToken: "rt"})
				require.Error(t, err)
				if strings.HasPrefix(tokenURL, "http://") {
					require.ErrorIs(t, err, auth.ErrInsecureURL)
				}
				// The same through a Source, with its own HTTP client.
				src := auth.NewSource(g, auth.WithHTTPClient(failingClient(t)))
				_, err = src.Token()
				require.Error(t, err)
			})
		}
	}
}

func TestGrantsAcceptLoopbackHTTP(t *testing.T) {
	srv := newTokenServer(t, answerWith("application/json", okTokenJSON))
	for _, host := range []string{"127.0.0.1", "localhost"} {
		u, err := url.Parse(srv.URL)
		require.NoError(t, err)
		u.Host = host + ":" + u.Port()
		_, err = auth.ClientCredentials{TokenURL: u.String(), ClientID: "id", ClientSecret: "s"}.Token(withClient(srv.Client()), nil)
		require.NoError(t, err, host)
	}
}

func TestSourceRefusesTokenRedirectToAnotherOrigin(t *testing.T) {
	other := newTokenServer(t, answerWith("application/json", okTokenJSON))
	var front *tokenServer
	front = newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cross":
			http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
		case "/same":
			http.Redirect(w, r, front.URL+"/token", http.StatusPermanentRedirect)
		default:
			answerWith("application/json", okTokenJSON)(w, r)
		}
	})

	src := auth.NewSource(auth.ClientCredentials{TokenURL: front.URL + "/cross", ClientID: "id", ClientSecret: "body-secret"},
		auth.WithHTTPClient(&http.Client{}))
	_, err := src.Token()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another origin")
	assert.Equal(t, 0, other.count(), "the client secret must not follow a redirect to another origin")

	src = auth.NewSource(auth.ClientCredentials{TokenURL: front.URL + "/same", ClientID: "id", ClientSecret: "body-secret"},
		auth.WithHTTPClient(&http.Client{}))
	tok, err := src.Token()
	require.NoError(t, err, "a redirect within the origin is followed")
	assert.Equal(t, "at", tok.AccessToken)
	assert.Equal(t, "/token", front.request(front.count()-1).Path)
}

// passwordServer issues access-N/refresh-N for the password grant and for a
// refresh with the newest refresh token; onRefresh, when set, answers refreshes.
type passwordServer struct {
	*tokenServer
	onRefresh func(w http.ResponseWriter) bool // true when it answered
}

func newPasswordServer(t *testing.T) *passwordServer {
	ps := &passwordServer{}
	n := 0
	ps.tokenServer = newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.PostForm.Get("grant_type") {
		case "password":
			if r.PostForm.Get("username") != "alice" || r.PostForm.Get("password") != "wonderland" {
				writeOAuthError(w, http.StatusBadRequest, "invalid_grant")
				return
			}
		case "refresh_token":
			if ps.onRefresh != nil && ps.onRefresh(w) {
				return
			}
			if r.PostForm.Get("refresh_token") != fmt.Sprintf("refresh-%d", n) {
				writeOAuthError(w, http.StatusBadRequest, "invalid_grant")
				return
			}
		default:
			writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type")
			return
		}
		n++
		answerWith("application/json", fmt.Sprintf(`{"access_token":"access-%d","token_type":"bearer","expires_in":60,"refresh_token":"refresh-%d"}`, n, n))(w, r)
	})
	return ps
}

func (ps *passwordServer) grants() []string {
	var out []string
	for i := range ps.count() {
		out = append(out, ps.request(i).Form["grant_type"][0])
	}
	return out
}

func TestPasswordGrant(t *testing.T) {
	newGrant := func(ps *passwordServer) (auth.Password, context.Context) {
		return auth.Password{TokenURL: ps.URL, ClientID: "100", Username: "alice", Password: "wonderland"}, withClient(ps.Client())
	}
	t.Run("password first, then the refresh token", func(t *testing.T) {
		ps := newPasswordServer(t)
		g, ctx := newGrant(ps)
		first, err := g.Token(ctx, nil)
		require.NoError(t, err)
		second, err := g.Token(ctx, first)
		require.NoError(t, err)
		assert.Equal(t, "access-2", second.AccessToken)
		assert.Equal(t, []string{"password", "refresh_token"}, ps.grants())
		refresh := ps.request(1).Form
		assert.Equal(t, []string{"refresh-1"}, refresh["refresh_token"])
		assert.NotContains(t, refresh, "password", "a refresh does not send the password")
		assert.Equal(t, []string{"100"}, refresh["client_id"])
	})
	t.Run("prev without refresh token logs in", func(t *testing.T) {
		ps := newPasswordServer(t)
		g, ctx := newGrant(ps)
		_, err := g.Token(ctx, &oauth2.Token{AccessToken: "x"})
		require.NoError(t, err)
		assert.Equal(t, []string{"password"}, ps.grants())
	})
	t.Run("invalid_grant falls back to the password once", func(t *testing.T) {
		ps := newPasswordServer(t)
		g, ctx := newGrant(ps)
		tok, err := g.Token(ctx, &oauth2.Token{RefreshToken: "expired-after-7-days"})
		require.NoError(t, err)
		assert.Equal(t, "access-1", tok.AccessToken)
		assert.Equal(t, []string{"refresh_token", "password"}, ps.grants())
	})
	t.Run("wrong password after invalid_grant", func(t *testing.T) {
		ps := newPasswordServer(t)
		g, ctx := newGrant(ps)
		g.Password = "wrong"
		_, err := g.Token(ctx, &oauth2.Token{RefreshToken: "spent"})
		var te *auth.TokenError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "password", te.Grant)
		assert.True(t, auth.IsInvalidGrant(err))
		assert.Equal(t, []string{"refresh_token", "password"}, ps.grants(), "one fallback, no loop")
	})
	for _, failure := range []struct {
		status int
		code   string
	}{{http.StatusInternalServerError, "server_error"}, {http.StatusUnauthorized, "invalid_client"}, {http.StatusServiceUnavailable, "temporarily_unavailable"}} {
		t.Run("no fallback on "+failure.code, func(t *testing.T) {
			ps := newPasswordServer(t)
			ps.onRefresh = func(w http.ResponseWriter) bool {
				writeOAuthError(w, failure.status, failure.code)
				return true
			}
			g, ctx := newGrant(ps)
			_, err := g.Token(ctx, &oauth2.Token{RefreshToken: "refresh-0"})
			var te *auth.TokenError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "refresh_token", te.Grant)
			assert.Equal(t, failure.code, te.Code)
			assert.Equal(t, failure.status, te.StatusCode)
			assert.False(t, auth.IsInvalidGrant(err))
			assert.Equal(t, []string{"refresh_token"}, ps.grants())
		})
	}
}

func TestRefreshTokenGrant(t *testing.T) {
	var omitRefresh bool
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Get("grant_type") != "refresh_token" {
			writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type")
			return
		}
		rt := ""
		if !omitRefresh {
			rt = `,"refresh_token":"rotated-from-` + r.PostForm.Get("refresh_token") + `"`
		}
		answerWith("application/json", `{"access_token":"at","expires_in":60`+rt+`}`)(w, r)
	})
	ctx := withClient(srv.Client())
	g := auth.RefreshToken{TokenURL: srv.URL, ClientID: "cli", RefreshToken: "configured"}

	tok, err := g.Token(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "rotated-from-configured", tok.RefreshToken)

	tok, err = g.Token(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, []string{"rotated-from-configured"}, srv.request(1).Form["refresh_token"], "prev's refresh token wins")
	assert.Equal(t, "rotated-from-rotated-from-configured", tok.RefreshToken)

	omitRefresh = true
	kept, err := g.Token(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, kept.RefreshToken, "no new refresh token: the old one stays in use")

	_, err = auth.RefreshToken{TokenURL: srv.URL, ClientID: "cli"}.Token(ctx, &oauth2.Token{AccessToken: "no refresh"})
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "refresh_token", te.Grant)
	assert.Equal(t, 3, srv.count(), "no request without a refresh token")
}

func TestMindbazPreset(t *testing.T) {
	g := auth.Mindbaz("user@example.com", "pw")
	assert.Equal(t, "https://sso.mindbaz.com/oauth2/token", g.TokenURL)
	assert.Equal(t, "100", g.ClientID)
	assert.Empty(t, g.ClientSecret)
	assert.Equal(t, "user@example.com", g.Username)
	assert.Equal(t, "pw", g.Password)
	assert.Equal(t, oauth2.AuthStyleAutoDetect, g.AuthStyle, "zero value: credentials in the body")
	assert.Equal(t, 20*time.Second, g.RenewMargin)
	var p auth.RenewalPolicy = g
	assert.Equal(t, auth.MindbazRenewMargin, p.RenewBefore())
}

// TestNoSecretInFormattedOutput prints every type that holds a secret with
// fmt and slog and checks that no secret appears.
func TestNoSecretInFormattedOutput(t *testing.T) {
	secrets := []string{"cs-SECRET-1", "pw-SECRET-2", "rt-SECRET-3", "verifier-SECRET-4"}
	cc := auth.ClientCredentials{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: secrets[0], Scopes: []string{"profile"}}
	pw := auth.Password{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: secrets[0], Username: "alice", Password: secrets[1]}
	rt := auth.RefreshToken{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: secrets[0], RefreshToken: secrets[2]}
	flow := auth.NewAuthCodeFlow(&oauth2.Config{ClientID: "id", ClientSecret: secrets[0],
		Endpoint: oauth2.Endpoint{AuthURL: "https://auth.example.com/authorize", TokenURL: "https://auth.example.com/token"}})
	pending := auth.Pending{State: "state-value", Verifier: secrets[3]}
	values := map[string]any{
		"ClientCredentials": cc, "*ClientCredentials": &cc,
		"Password": pw, "*Password": &pw, "Mindbaz": auth.Mindbaz("alice", secrets[1]),
		"RefreshToken": rt, "*RefreshToken": &rt,
		"Source":       auth.NewSource(cc, auth.WithStore(&auth.MemoryStore{})),
		"Source(pw)":   auth.NewSource(pw),
		"FileStore":    auth.NewFileStore("/tmp/x/token.json"),
		"AuthCodeFlow": flow,
		"Pending":      pending, "*Pending": &pending,
		"TokenError": &auth.TokenError{Grant: "password", Code: "invalid_grant", Err: fmt.Errorf("wrapped")},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			var out strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				fmt.Fprintf(&out, verb+"\n", v)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
			out.Write(buf.Bytes())
			for _, s := range secrets {
				assert.NotContains(t, out.String(), s)
			}
			if name == "FileStore" {
				assert.Contains(t, out.String(), "/tmp/x/token.json")
			}
			if strings.Contains(name, "Pending") {
				assert.Contains(t, out.String(), "state-value", "the state is not a secret")
				assert.Contains(t, out.String(), "[REDACTED]")
			}
		})
	}
	// A Pending still encodes its verifier to JSON: a session store needs it.
	data, err := json.Marshal(pending)
	require.NoError(t, err)
	assert.JSONEq(t, `{"state":"state-value","verifier":"verifier-SECRET-4"}`, string(data))
}
