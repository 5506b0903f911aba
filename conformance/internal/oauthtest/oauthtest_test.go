package oauthtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

// servers lists the server libraries, so every behaviour the harness promises
// is checked against each.
var servers = []struct {
	name   string
	start  func(oauthtest.TB, oauthtest.Options) *oauthtest.Server
	strict bool // revokes the token family on refresh-token reuse
}{
	{"fosite", oauthtest.NewFosite, true},
	{"go-oauth2", oauthtest.NewGoOAuth2, false},
}

func clientCtx(srv *oauthtest.Server) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
}

func TestClientAuthMethodsAreEnforced(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.start(t, oauthtest.Options{})
			ctx := clientCtx(srv)
			cases := []struct {
				id, secret string
				style      oauth2.AuthStyle
				wantAuth   string
				ok         bool
			}{
				{oauthtest.BasicClientID, oauthtest.BasicClientSecret, oauth2.AuthStyleInHeader, "basic", true},
				{oauthtest.BasicClientID, oauthtest.BasicClientSecret, oauth2.AuthStyleInParams, "post", false},
				{oauthtest.PostClientID, oauthtest.PostClientSecret, oauth2.AuthStyleInParams, "post", true},
				{oauthtest.PostClientID, oauthtest.PostClientSecret, oauth2.AuthStyleInHeader, "basic", false},
				{oauthtest.PostClientID, "wrong", oauth2.AuthStyleInParams, "post", false},
			}
			for i, c := range cases {
				cfg := clientcredentials.Config{ClientID: c.id, ClientSecret: c.secret, TokenURL: srv.TokenURL, AuthStyle: c.style}
				tok, err := cfg.Token(ctx)
				reqs := srv.TokenRequests()
				require.Len(t, reqs, i+1, "case %d: exactly one request", i)
				assert.Equal(t, c.wantAuth, reqs[i].ClientAuth, "case %d", i)
				if !c.ok {
					var re *oauth2.RetrieveError
					require.ErrorAs(t, err, &re, "case %d", i)
					assert.Equal(t, "invalid_client", re.ErrorCode, "case %d", i)
					continue
				}
				require.NoError(t, err, "case %d", i)
				info, err := srv.Introspect(context.Background(), tok.AccessToken)
				require.NoError(t, err)
				assert.Equal(t, c.id, info.ClientID)
			}
			st := srv.Stats()
			assert.Equal(t, 2, st.Issued["client_credentials"])
			assert.Equal(t, 3, st.Errors["invalid_client"])
		})
	}
}

func TestRefreshReuseIsCounted(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.start(t, oauthtest.Options{})
			ctx := clientCtx(srv)
			cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID, Scopes: []string{"read"},
				Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
			first, err := cfg.PasswordCredentialsToken(ctx, oauthtest.Username, oauthtest.Password)
			require.NoError(t, err)
			require.NotEmpty(t, first.RefreshToken)

			second, err := refresh(ctx, cfg, first.RefreshToken)
			require.NoError(t, err)
			assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "refresh tokens rotate")
			info, err := srv.Introspect(context.Background(), second.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, oauthtest.Username, info.Subject)
			assert.Equal(t, []string{"read"}, info.Scopes)
			st := srv.Stats()
			assert.Zero(t, st.RefreshReuse)
			assert.Zero(t, st.ReuseDetections)

			_, err = refresh(ctx, cfg, first.RefreshToken) // spend it again
			var re *oauth2.RetrieveError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "invalid_grant", re.ErrorCode)
			st = srv.Stats()
			assert.Equal(t, 1, st.RefreshReuse, "the harness sees the reuse on any server")
			reqs := srv.TokenRequests()
			assert.Equal(t, oauthtest.Fingerprint(first.RefreshToken), reqs[len(reqs)-1].RefreshToken)
			assert.Equal(t, oauthtest.Fingerprint(second.RefreshToken), reqs[1].IssuedRefresh)
			if s.strict {
				assert.Equal(t, 1, st.ReuseDetections)
				_, err := srv.Introspect(context.Background(), second.AccessToken)
				require.ErrorIs(t, err, oauthtest.ErrInactiveToken, "fosite revoked the family")
				_, err = refresh(ctx, cfg, second.RefreshToken)
				require.Error(t, err, "the newest refresh token of the family is revoked too")
			} else {
				assert.Zero(t, st.ReuseDetections)
			}
		})
	}
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.start(t, oauthtest.Options{})
			ctx := clientCtx(srv)
			cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID, Scopes: []string{"read"},
				RedirectURL: "http://127.0.0.1:9/callback",
				Endpoint:    oauth2.Endpoint{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			// authorize returns the callback's query, or nil when the server
			// answered with an error page instead of redirecting.
			authorize := func(opts ...oauth2.AuthCodeOption) url.Values {
				t.Helper()
				resp, err := noFollow.Get(cfg.AuthCodeURL("state-0123456789", opts...))
				require.NoError(t, err)
				resp.Body.Close()
				if resp.StatusCode >= 400 {
					return nil
				}
				require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode)
				loc, err := resp.Location()
				require.NoError(t, err)
				assert.Equal(t, "127.0.0.1:9", loc.Host)
				return loc.Query()
			}

			verifier := oauth2.GenerateVerifier()
			cb := authorize(oauth2.S256ChallengeOption(verifier))
			require.NotEmpty(t, cb.Get("code"))
			assert.Equal(t, "state-0123456789", cb.Get("state"))
			_, err := cfg.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
			require.Error(t, err, "a wrong verifier is refused")

			cb = authorize(oauth2.S256ChallengeOption(verifier))
			tok, err := cfg.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			info, err := srv.Introspect(context.Background(), tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, oauthtest.Username, info.Subject)

			cb = authorize() // no PKCE: an error page or an error redirect, never a code
			assert.Empty(t, cb.Get("code"))
			if cb != nil {
				assert.Equal(t, "invalid_request", cb.Get("error"))
			}

			srv.DenyAuthorization(true)
			cb = authorize(oauth2.S256ChallengeOption(verifier))
			assert.Equal(t, "access_denied", cb.Get("error"))
			assert.Equal(t, 4, srv.Stats().AuthorizeRequests)
		})
	}
}

func TestResource(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.start(t, oauthtest.Options{})
			cfg := clientcredentials.Config{ClientID: oauthtest.BasicClientID, ClientSecret: oauthtest.BasicClientSecret,
				TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}
			hc := cfg.Client(clientCtx(srv))
			resp, err := hc.Get(srv.ResourceURL)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)

			resp, err = srv.Client().Get(srv.ResourceURL)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "invalid_token")
			st := srv.Stats()
			assert.Equal(t, 2, st.ResourceRequests)
			assert.Equal(t, 1, st.ResourceRejected)
		})
	}
}

func TestIntrospectTellsExpiredFromRevoked(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.start(t, oauthtest.Options{AccessTokenLifespan: time.Second})
			_, err := srv.Introspect(context.Background(), "not-a-token")
			assert.ErrorIs(t, err, oauthtest.ErrInactiveToken)
			assert.NotErrorIs(t, err, oauthtest.ErrExpiredToken)

			ctx := clientCtx(srv)
			cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID,
				Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
			first, err := cfg.PasswordCredentialsToken(ctx, oauthtest.Username, oauthtest.Password)
			require.NoError(t, err)
			second, err := refresh(ctx, cfg, first.RefreshToken)
			require.NoError(t, err)
			_, err = srv.Introspect(context.Background(), first.AccessToken)
			assert.ErrorIs(t, err, oauthtest.ErrInactiveToken, "revoked by the refresh")
			assert.NotErrorIs(t, err, oauthtest.ErrExpiredToken)

			require.Eventually(t, func() bool {
				_, err := srv.Introspect(context.Background(), second.AccessToken)
				return errors.Is(err, oauthtest.ErrExpiredToken) && errors.Is(err, oauthtest.ErrInactiveToken)
			}, 5*time.Second, 20*time.Millisecond)

			hc := srv.Client()
			req, err := http.NewRequest(http.MethodGet, srv.ResourceURL, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+second.AccessToken)
			resp, err := hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			st := srv.Stats()
			assert.Equal(t, 1, st.ResourceRejected)
			assert.Equal(t, 1, st.ResourceExpired)
		})
	}
}

// refresh spends refreshToken once (x/oauth2 refreshes a token that looks expired).
func refresh(ctx context.Context, cfg *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// With ConsentPage, GET shows a form carrying the request, and POST carries
// out the button pressed: Allow redirects with a code, Deny with access_denied.
func TestConsentPage(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.start(t, oauthtest.Options{ConsentPage: true})
			cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID, Scopes: []string{"read"},
				RedirectURL: "http://127.0.0.1:9/callback",
				Endpoint:    oauth2.Endpoint{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
			authURL := cfg.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
			resp, err := http.Get(authURL)
			require.NoError(t, err)
			page, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, string(page), `id="allow"`)
			assert.Contains(t, string(page), `id="deny"`)
			assert.Contains(t, string(page), `value="state-0123456789"`)

			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			decide := func(decision string) url.Values {
				t.Helper()
				u, err := url.Parse(authURL)
				require.NoError(t, err)
				form := u.Query()
				form.Set("consent", decision)
				resp, err := noFollow.PostForm(srv.AuthURL, form)
				require.NoError(t, err)
				resp.Body.Close()
				require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode)
				loc, err := resp.Location()
				require.NoError(t, err)
				assert.Equal(t, "state-0123456789", loc.Query().Get("state"))
				return loc.Query()
			}
			assert.NotEmpty(t, decide("allow").Get("code"))
			denied := decide("deny")
			assert.Equal(t, "access_denied", denied.Get("error"))
			assert.Empty(t, denied.Get("code"))
		})
	}
}
