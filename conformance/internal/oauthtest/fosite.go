package oauthtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"
	"golang.org/x/crypto/bcrypt"
)

// NewFosite starts an ory/fosite authorization server on 127.0.0.1 for the
// duration of t, with the default clients and user registered.
//
// It is strict, as production servers built on fosite (Ory Hydra) are:
//   - client_credentials, password, refresh_token and authorization_code grants;
//   - refresh tokens rotate on every use, and presenting a spent one revokes the
//     whole token family (counted in [Stats].ReuseDetections);
//   - PKCE is required for every authorization code, S256 only;
//   - a client may authenticate only with its registered [AuthMethod].
//
// The authorization endpoint consents at once, granting the requested scopes
// for [Username], unless [Server.DenyAuthorization] is on.
func NewFosite(t TB, opts Options) *Server {
	t.Helper()
	opts = opts.withDefaults()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	cfg := &fosite.Config{
		AccessTokenLifespan:            opts.AccessTokenLifespan,
		RefreshTokenLifespan:           opts.RefreshTokenLifespan,
		AuthorizeCodeLifespan:          time.Minute,
		GlobalSecret:                   secret,
		EnforcePKCE:                    true,
		EnablePKCEPlainChallengeMethod: false,
		RefreshTokenScopes:             []string{}, // every grant gets a refresh token, no "offline" scope needed
		HashCost:                       bcrypt.MinCost,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
	}
	rec := newRecorder()
	b := &fositeBackend{cfg: cfg, scopes: opts.Scopes}
	b.store = &fositeStore{MemoryStore: storage.NewMemoryStore(), clients: map[string]fosite.Client{},
		users: map[string]string{}, onReuse: rec.reuseDetected}
	b.provider = compose.Compose(cfg, b.store, compose.NewOAuth2HMACStrategy(cfg),
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		//lint:ignore SA1019 deprecated to discourage the password grant, which is what some APIs offer and is under test
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2TokenIntrospectionFactory,
	)
	s := newServer(t, opts, rec, b, http.HandlerFunc(b.serveToken), http.HandlerFunc(b.serveAuthorize))
	addDefaults(s)
	return s
}

// addDefaults registers the clients and user that every Server has.
func addDefaults(s *Server) {
	s.AddClient(Client{ID: BasicClientID, Secret: BasicClientSecret, AuthMethod: AuthBasic})
	s.AddClient(Client{ID: PostClientID, Secret: PostClientSecret, AuthMethod: AuthPost})
	s.AddClient(Client{ID: PublicClientID, AuthMethod: AuthNone})
	s.AddUser(Username, Password)
}

type fositeBackend struct {
	cfg      *fosite.Config
	scopes   []string
	store    *fositeStore
	provider fosite.OAuth2Provider
	deny     atomic.Bool
}

func (b *fositeBackend) serveToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := b.provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
	if err != nil {
		b.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	// fosite grants the scopes of codes and refresh tokens itself; for these two
	// grants the server decides, and this one grants what the client may ask.
	if ar.GetGrantTypes().ExactOne("client_credentials") || ar.GetGrantTypes().ExactOne("password") {
		for _, scope := range ar.GetRequestedScopes() {
			ar.GrantScope(scope)
		}
	}
	resp, err := b.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		b.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	b.provider.WriteAccessResponse(ctx, w, ar, resp)
}

func (b *fositeBackend) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := b.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		b.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	if b.deny.Load() || userDenied(ctx) {
		b.provider.WriteAuthorizeError(ctx, w, ar, fosite.ErrAccessDenied.WithHint("The user refused the request."))
		return
	}
	for _, scope := range ar.GetRequestedScopes() { // the user consents to everything
		ar.GrantScope(scope)
	}
	resp, err := b.provider.NewAuthorizeResponse(ctx, ar, &fosite.DefaultSession{Subject: Username, Username: Username})
	if err != nil {
		b.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	b.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (b *fositeBackend) addClient(c Client) {
	dc := &fosite.DefaultClient{
		ID:            c.ID,
		RedirectURIs:  c.RedirectURIs,
		GrantTypes:    []string{"client_credentials", "password", "refresh_token", "authorization_code"},
		ResponseTypes: []string{"code"},
		Scopes:        c.Scopes,
		Public:        c.method() == AuthNone,
	}
	if dc.RedirectURIs == nil {
		dc.RedirectURIs = []string{RedirectURI}
	}
	if dc.Scopes == nil {
		dc.Scopes = b.scopes
	}
	if !dc.Public {
		hash, err := b.cfg.GetSecretsHasher(context.Background()).Hash(context.Background(), []byte(c.Secret))
		if err != nil {
			panic(fmt.Sprintf("oauthtest: hashing the secret of client %q: %v", c.ID, err)) // bcrypt fails only on >72-byte input
		}
		dc.Secret = hash
	}
	b.store.setClient(&fosite.DefaultOpenIDConnectClient{DefaultClient: dc, TokenEndpointAuthMethod: string(c.method())})
}

func (b *fositeBackend) addUser(username, password string) { b.store.setUser(username, password) }

func (b *fositeBackend) denyAuthorization(deny bool) { b.deny.Store(deny) }

func (b *fositeBackend) introspect(ctx context.Context, token string) (*TokenInfo, bool, error) {
	_, ar, err := b.provider.IntrospectToken(ctx, token, fosite.AccessToken, &fosite.DefaultSession{})
	if err != nil {
		var rfc *fosite.RFC6749Error
		return nil, errors.As(err, &rfc) && rfc.ErrorField == fosite.ErrTokenExpired.ErrorField, err
	}
	sess := ar.GetSession()
	return &TokenInfo{
		Subject: sess.GetSubject(), ClientID: ar.GetClient().GetID(),
		Scopes: ar.GetGrantedScopes(), ExpiresAt: sess.GetExpiresAt(fosite.AccessToken),
	}, false, nil
}

// fositeStore is fosite's memory store with clients and users that may change
// while the server runs, and a hook on refresh-token reuse.
type fositeStore struct {
	*storage.MemoryStore
	mu      sync.RWMutex
	clients map[string]fosite.Client
	users   map[string]string
	onReuse func()
}

func (s *fositeStore) setClient(c fosite.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.GetID()] = c
}

func (s *fositeStore) setUser(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = password
}

// GetClient returns a registered client.
func (s *fositeStore) GetClient(_ context.Context, id string) (fosite.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, fosite.ErrNotFound
}

// Authenticate checks a resource owner's password; the subject is the username.
func (s *fositeStore) Authenticate(_ context.Context, username, password string) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if want, ok := s.users[username]; ok && want == password {
		return username, nil
	}
	return "", fosite.ErrNotFound.WithDebug("invalid credentials")
}

// GetRefreshTokenSession is fosite's, counting the spent refresh tokens it finds:
// fosite answers each by revoking the token family.
func (s *fositeStore) GetRefreshTokenSession(ctx context.Context, signature string, sess fosite.Session) (fosite.Requester, error) {
	r, err := s.MemoryStore.GetRefreshTokenSession(ctx, signature, sess)
	if errors.Is(err, fosite.ErrInactiveToken) {
		s.onReuse()
	}
	return r, err
}
