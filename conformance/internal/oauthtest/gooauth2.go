package oauthtest

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
)

// NewGoOAuth2 starts a go-oauth2/oauth2 (v4) authorization server on 127.0.0.1
// for the duration of t, with the default clients and user registered.
//
// It is lenient, as many small servers are: refresh tokens rotate and a spent
// one is deleted, but two requests racing with the same refresh token may both
// succeed and nothing is revoked, so a client that double-spends goes
// unnoticed by the server. [Stats].RefreshReuse notices it anyway. It offers the
// client_credentials, password, refresh_token and authorization_code grants
// (PKCE required, S256 only); a client may authenticate only with its
// registered [AuthMethod]; the authorization endpoint consents at once for
// [Username] unless [Server.DenyAuthorization] is on.
func NewGoOAuth2(t TB, opts Options) *Server {
	t.Helper()
	opts = opts.withDefaults()
	b := &goBackend{scopes: opts.Scopes, clients: map[string]Client{}, users: map[string]string{}}

	b.manager = manage.NewDefaultManager()
	b.manager.MustTokenStorage(store.NewMemoryTokenStore())
	b.clientStore = store.NewClientStore()
	b.manager.MapClientStorage(b.clientStore)
	grantCfg := &manage.Config{AccessTokenExp: opts.AccessTokenLifespan, RefreshTokenExp: opts.RefreshTokenLifespan, IsGenerateRefresh: true}
	b.manager.SetPasswordTokenCfg(grantCfg)
	b.manager.SetAuthorizeCodeTokenCfg(grantCfg)
	b.manager.SetClientTokenCfg(&manage.Config{AccessTokenExp: opts.AccessTokenLifespan})
	b.manager.SetRefreshTokenCfg(&manage.RefreshingConfig{
		AccessTokenExp: opts.AccessTokenLifespan, RefreshTokenExp: opts.RefreshTokenLifespan,
		IsGenerateRefresh: true, IsResetRefreshTime: true, IsRemoveAccess: true, IsRemoveRefreshing: true,
	})
	b.manager.SetValidateURIHandler(validateRedirect)

	cfg := server.NewConfig()
	cfg.ForcePKCE = true
	cfg.AllowedResponseTypes = []oauth2.ResponseType{oauth2.Code}
	cfg.AllowedCodeChallengeMethods = []oauth2.CodeChallengeMethod{oauth2.CodeChallengeS256}
	b.srv = server.NewServer(cfg, b.manager)
	b.srv.SetClientInfoHandler(b.clientInfo)
	b.srv.SetClientScopeHandler(b.scopeAllowed)
	b.srv.SetPasswordAuthorizationHandler(b.authenticate)
	b.srv.SetUserAuthorizationHandler(b.consent)

	s := newServer(t, opts, newRecorder(), b,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = b.srv.HandleTokenRequest(w, r) }),
		http.HandlerFunc(b.serveAuthorize))
	addDefaults(s)
	return s
}

type goBackend struct {
	scopes      []string
	manager     *manage.Manager
	clientStore *store.ClientStore
	srv         *server.Server
	deny        atomic.Bool

	mu      sync.RWMutex
	clients map[string]Client
	users   map[string]string
}

// serveAuthorize is go-oauth2's authorization endpoint, answering the errors it
// does not redirect (a request whose redirect URI is not yet trusted) itself:
// go-oauth2 returns them and writes nothing.
func (b *goBackend) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	cw := &captureWriter{ResponseWriter: w, status: http.StatusOK}
	if err := b.srv.HandleAuthorizeRequest(cw, r); err != nil && !cw.wrote {
		data, status, _ := b.srv.GetErrorData(err)
		if status < 400 || status >= 500 {
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(data)
	}
}

func (b *goBackend) addClient(c Client) {
	if c.RedirectURIs == nil {
		c.RedirectURIs = []string{RedirectURI}
	}
	if c.Scopes == nil {
		c.Scopes = b.scopes
	}
	if c.method() == AuthNone {
		c.Secret = ""
	}
	b.mu.Lock()
	b.clients[c.ID] = c
	b.mu.Unlock()
	_ = b.clientStore.Set(c.ID, &models.Client{ // never fails
		ID: c.ID, Secret: c.Secret, Domain: strings.Join(c.RedirectURIs, " "), Public: c.method() == AuthNone,
	})
}

func (b *goBackend) addUser(username, password string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.users[username] = password
}

func (b *goBackend) denyAuthorization(deny bool) { b.deny.Store(deny) }

func (b *goBackend) client(id string) (Client, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	c, ok := b.clients[id]
	return c, ok
}

// clientInfo reads the client's credentials the way its registered AuthMethod
// says, refusing the other ways (go-oauth2 itself accepts one fixed way).
func (b *goBackend) clientInfo(r *http.Request) (id, secret string, err error) {
	if err := r.ParseForm(); err != nil {
		return "", "", oerrors.ErrInvalidRequest
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	c, ok := b.client(id)
	if !ok {
		return "", "", oerrors.ErrInvalidClient
	}
	switch m := c.method(); {
	case m == AuthBasic && !basic, m == AuthPost && (basic || secret == ""), m == AuthNone && (basic || secret != ""):
		return "", "", oerrors.ErrInvalidClient
	}
	return id, secret, nil
}

func (b *goBackend) scopeAllowed(tgr *oauth2.TokenGenerateRequest) (bool, error) {
	c, ok := b.client(tgr.ClientID)
	if !ok {
		return false, oerrors.ErrInvalidClient
	}
	for _, s := range strings.Fields(tgr.Scope) {
		if !slices.Contains(c.Scopes, s) {
			return false, nil
		}
	}
	return true, nil
}

func (b *goBackend) authenticate(_ context.Context, _, username, password string) (string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if want, ok := b.users[username]; ok && want == password {
		return username, nil
	}
	return "", oerrors.ErrInvalidGrant
}

func (b *goBackend) consent(_ http.ResponseWriter, r *http.Request) (string, error) {
	if b.deny.Load() || userDenied(r.Context()) {
		return "", oerrors.ErrAccessDenied
	}
	return Username, nil
}

func (b *goBackend) introspect(ctx context.Context, token string) (*TokenInfo, bool, error) {
	ti, err := b.manager.LoadAccessToken(ctx, token)
	if err != nil {
		return nil, errors.Is(err, oerrors.ErrExpiredAccessToken), err
	}
	return &TokenInfo{
		Subject: ti.GetUserID(), ClientID: ti.GetClientID(), Scopes: strings.Fields(ti.GetScope()),
		ExpiresAt: ti.GetAccessCreateAt().Add(ti.GetAccessExpiresIn()),
	}, false, nil
}

// validateRedirect accepts a redirect URI registered for the client (the
// space-separated list in its Domain), a loopback one on any port (RFC 8252 §7.3).
func validateRedirect(registered, redirect string) error {
	got, err := url.Parse(redirect)
	if err != nil {
		return oerrors.ErrInvalidRedirectURI
	}
	for _, reg := range strings.Fields(registered) {
		want, err := url.Parse(reg)
		if err != nil {
			continue
		}
		if reg == redirect || (got.Scheme == "http" && want.Scheme == "http" && isLoopbackIP(got.Hostname()) &&
			got.Hostname() == want.Hostname() && got.Path == want.Path && got.RawQuery == want.RawQuery) {
			return nil
		}
	}
	return oerrors.ErrInvalidRedirectURI
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
