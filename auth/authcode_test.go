package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// codeServer is a token endpoint for the authorization code grant: it accepts
// code "good-code" with the verifier it is told, and records every form.
type codeServer struct {
	*httptest.Server
	verifier string
	mu       sync.Mutex
	forms    []url.Values
	headers  []http.Header
}

func newCodeServer(t *testing.T) *codeServer {
	cs := &codeServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		cs.mu.Lock()
		cs.forms = append(cs.forms, r.PostForm)
		cs.headers = append(cs.headers, r.Header.Clone())
		verifier := cs.verifier
		cs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		f := r.PostForm
		if f.Get("grant_type") != "authorization_code" || f.Get("code") != "good-code" || f.Get("code_verifier") != verifier {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"bad code or verifier"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"user-at","token_type":"bearer","expires_in":3600,"refresh_token":"user-rt","id_token":"idt"}`)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *codeServer) requests() []url.Values {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]url.Values(nil), cs.forms...)
}

func (cs *codeServer) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID: "web-app", ClientSecret: "web-secret", RedirectURL: "https://app.example.com/callback",
		Scopes:   []string{"remote-viewing:read", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: "https://auth.example.com/oauth2/authorize?prompt=consent", TokenURL: cs.URL + "/token"},
	}
}

func (cs *codeServer) ctx() context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, cs.Client())
}

// TestPKCEChallengeRFC7636 checks the challenge the flow sends against the
// example of RFC 7636 Appendix B.
func TestPKCEChallengeRFC7636(t *testing.T) {
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	f := NewAuthCodeFlow(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{AuthURL: "https://as.example.com/authorize"}})
	u, err := url.Parse(f.authURL(&Pending{State: "s", Verifier: verifier}))
	require.NoError(t, err)
	assert.Equal(t, challenge, u.Query().Get("code_challenge"))
	assert.Equal(t, "S256", u.Query().Get("code_challenge_method"))
}

func TestAuthCodeFlowStart(t *testing.T) {
	cs := newCodeServer(t)
	f := NewAuthCodeFlow(cs.config())
	authURL, p, err := f.Start()
	require.NoError(t, err)

	u, err := url.Parse(authURL)
	require.NoError(t, err)
	assert.Equal(t, "auth.example.com", u.Host)
	q := u.Query()
	assert.Equal(t, "consent", q.Get("prompt"), "the AuthURL's own parameters are kept")
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "web-app", q.Get("client_id"))
	assert.Equal(t, "https://app.example.com/callback", q.Get("redirect_uri"))
	assert.Equal(t, "remote-viewing:read profile", q.Get("scope"))
	assert.Equal(t, p.State, q.Get("state"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	sum := sha256.Sum256([]byte(p.Verifier))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), q.Get("code_challenge"))
	assert.NotContains(t, authURL, p.Verifier, "the verifier stays with the client")
	assert.NotContains(t, authURL, "web-secret")

	raw, err := base64.RawURLEncoding.DecodeString(p.State)
	require.NoError(t, err)
	assert.Len(t, raw, 32, "state carries 256 random bits")
	assert.Len(t, p.Verifier, 43, "RFC 7636 §4.1: 32 octets, base64url")

	_, p2, err := f.Start()
	require.NoError(t, err)
	assert.NotEqual(t, p.State, p2.State)
	assert.NotEqual(t, p.Verifier, p2.Verifier)
}

func TestAuthCodeFlowStartRefusesInsecureEndpoints(t *testing.T) {
	for _, ep := range []oauth2.Endpoint{
		{AuthURL: "http://auth.example.com/authorize", TokenURL: "https://auth.example.com/token"},
		{AuthURL: "https://auth.example.com/authorize", TokenURL: "http://auth.example.com/token"},
	} {
		_, _, err := NewAuthCodeFlow(&oauth2.Config{ClientID: "c", Endpoint: ep}).Start()
		require.ErrorIs(t, err, ErrInsecureURL)
	}
	_, _, err := NewAuthCodeFlow(&oauth2.Config{ClientID: "c"}).Start()
	require.Error(t, err, "no endpoint")
}

func TestAuthCodeFlowExchange(t *testing.T) {
	cs := newCodeServer(t)
	f := NewAuthCodeFlow(cs.config())
	_, p, err := f.Start()
	require.NoError(t, err)
	cs.verifier = p.Verifier

	tok, err := f.Exchange(cs.ctx(), p, url.Values{"code": {"good-code"}, "state": {p.State}})
	require.NoError(t, err)
	assert.Equal(t, "user-at", tok.AccessToken)
	assert.Equal(t, "user-rt", tok.RefreshToken)
	assert.Equal(t, "idt", tok.Extra("id_token"))

	reqs := cs.requests()
	require.Len(t, reqs, 1)
	form := reqs[0]
	assert.Equal(t, "authorization_code", form.Get("grant_type"))
	assert.Equal(t, "good-code", form.Get("code"))
	assert.Equal(t, p.Verifier, form.Get("code_verifier"))
	assert.Equal(t, "https://app.example.com/callback", form.Get("redirect_uri"))
	assert.Equal(t, "web-app", form.Get("client_id"), "auto-detect became in-params")
	assert.Equal(t, "web-secret", form.Get("client_secret"))
	assert.Empty(t, cs.headers[0].Get("Authorization"))
}

func TestAuthCodeFlowExchangeChecksCallbackFirst(t *testing.T) {
	cs := newCodeServer(t)
	f := NewAuthCodeFlow(cs.config())
	_, p, err := f.Start()
	require.NoError(t, err)
	cs.verifier = p.Verifier
	forged := p.State[:len(p.State)-1] + "A"
	if forged == p.State {
		forged = p.State[:len(p.State)-1] + "B"
	}

	tests := []struct {
		name     string
		pending  *Pending
		callback url.Values
		check    func(t *testing.T, err error)
	}{
		{"forged state", p, url.Values{"code": {"good-code"}, "state": {forged}}, isErr(ErrStateMismatch)},
		{"missing state", p, url.Values{"code": {"good-code"}}, isErr(ErrStateMismatch)},
		{"repeated state", p, url.Values{"code": {"good-code"}, "state": {p.State + p.State}}, isErr(ErrStateMismatch)},
		{"no pending", nil, url.Values{"code": {"good-code"}, "state": {p.State}}, isErr(ErrStateMismatch)},
		{"empty pending", &Pending{}, url.Values{"code": {"good-code"}, "state": {""}}, isErr(ErrStateMismatch)},
		{"forged error", p, url.Values{"error": {"access_denied"}, "state": {forged}}, isErr(ErrStateMismatch)},
		{"no code", p, url.Values{"state": {p.State}}, isErr(ErrNoCode)},
		{"no verifier", &Pending{State: p.State}, url.Values{"code": {"good-code"}, "state": {p.State}}, func(t *testing.T, err error) {
			require.Error(t, err)
		}},
		{"access denied", p, url.Values{"error": {"access_denied"}, "error_description": {"user said no"},
			"error_uri": {"https://auth.example.com/help"}, "state": {p.State}}, func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, AuthorizationError{Code: "access_denied", Description: "user said no", URI: "https://auth.example.com/help"}, *ae)
			assert.Contains(t, err.Error(), "access_denied")
		}},
		{"invalid scope", p, url.Values{"error": {"invalid_scope"}, "state": {p.State}}, func(t *testing.T, err error) {
			var ae *AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "invalid_scope", ae.Code)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := f.Exchange(cs.ctx(), tt.pending, tt.callback)
			assert.Nil(t, tok)
			tt.check(t, err)
			assert.Empty(t, cs.requests(), "refused before any token request")
		})
	}
}

func isErr(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) { require.ErrorIs(t, err, target) }
}

func TestAuthCodeFlowExchangeTokenEndpointRefusal(t *testing.T) {
	cs := newCodeServer(t)
	f := NewAuthCodeFlow(cs.config())
	_, p, err := f.Start()
	require.NoError(t, err)
	cs.verifier = "not-" + p.Verifier // the server expects another verifier

	_, err = f.Exchange(cs.ctx(), p, url.Values{"code": {"good-code"}, "state": {p.State}})
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "authorization_code", te.Grant)
	assert.Equal(t, "invalid_grant", te.Code)
	assert.True(t, IsInvalidGrant(err))
	assert.Len(t, cs.requests(), 1, "a refused code is not re-sent in another auth style")
	assert.NotContains(t, err.Error(), p.Verifier)
}

func TestAuthCodeFlowExchangeRefusesInsecureAndCrossOrigin(t *testing.T) {
	cs := newCodeServer(t)
	cfg := cs.config()
	cfg.Endpoint.TokenURL = "http://auth.example.com/token"
	f := NewAuthCodeFlow(cfg)
	p := &Pending{State: "st", Verifier: "v"}
	noNet := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: failTransport{t}})
	_, err := f.Exchange(noNet, p, url.Values{"code": {"c"}, "state": {"st"}})
	require.ErrorIs(t, err, ErrInsecureURL)

	redirector := httptest.NewServer(http.RedirectHandler(cs.URL+"/token", http.StatusTemporaryRedirect))
	defer redirector.Close()
	cfg = cs.config()
	cfg.Endpoint.TokenURL = redirector.URL + "/token"
	_, err = NewAuthCodeFlow(cfg).Exchange(cs.ctx(), p, url.Values{"code": {"good-code"}, "state": {"st"}})
	require.Error(t, err)
	assert.Empty(t, cs.requests(), "the code and client secret do not follow a redirect to another origin")
}

type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("unexpected request to %s", r.URL.Redacted())
	return nil, errors.New("no network in this test")
}

func TestNewAuthCodeFlowCopiesConfig(t *testing.T) {
	cfg := &oauth2.Config{ClientID: "c", Scopes: []string{"a"}, Endpoint: oauth2.Endpoint{AuthURL: "https://x/a", TokenURL: "https://x/t"}}
	f := NewAuthCodeFlow(cfg)
	cfg.Scopes[0] = "changed"
	cfg.ClientID = "changed"
	assert.Equal(t, oauth2.AuthStyleAutoDetect, cfg.Endpoint.AuthStyle, "the caller's config is not modified")
	assert.Equal(t, oauth2.AuthStyleInParams, f.cfg.Endpoint.AuthStyle)
	assert.Equal(t, []string{"a"}, f.cfg.Scopes)
	assert.Equal(t, "c", f.cfg.ClientID)

	basic := NewAuthCodeFlow(&oauth2.Config{Endpoint: oauth2.Endpoint{AuthStyle: oauth2.AuthStyleInHeader}})
	assert.Equal(t, oauth2.AuthStyleInHeader, basic.cfg.Endpoint.AuthStyle, "an explicit style is kept")
}

func TestPendingSurvivesSessionStorage(t *testing.T) {
	cs := newCodeServer(t)
	f := NewAuthCodeFlow(cs.config())
	_, p, err := f.Start()
	require.NoError(t, err)
	cs.verifier = p.Verifier

	data, err := json.Marshal(p) // e.g. into a server-side session
	require.NoError(t, err)
	var restored Pending
	require.NoError(t, json.Unmarshal(data, &restored))
	_, err = f.Exchange(cs.ctx(), &restored, url.Values{"code": {"good-code"}, "state": {p.State}})
	require.NoError(t, err)
}
