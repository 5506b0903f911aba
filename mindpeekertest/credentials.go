package mindpeekertest

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// client is a registered OAuth client.
type client struct {
	id     string
	secret string // "" for a public client
	scopes scopeSet
}

func (c *client) public() bool { return c.secret == "" }

// AddClient registers (or replaces) an OAuth client. An empty secret makes
// it a public client, which must use PKCE with the authorization code grant
// and cannot use client_credentials. scopes limits what the client may ask
// for; none means every scope.
func (s *Server) AddClient(id, secret string, scopes ...string) {
	c := &client{id: id, secret: secret, scopes: scopeSet{all: true}}
	if sc := parseScope(strings.Join(scopes, " ")); len(sc) > 0 {
		c.scopes = scopeSet{list: sc}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.clients[id] = c
}

// AddUser registers (or replaces) a user for the password grant.
func (s *Server) AddUser(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.users[username] = password
}

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authenticateClient identifies and authenticates the client of a token
// request, from HTTP Basic (RFC 6749 §2.3.1, form-encoded id and secret) or
// client_id / client_secret in the body. Both at once are accepted only when
// they agree.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (*client, *oauthError) {
	basicID, basicSecret, basic := r.BasicAuth()
	if basic {
		if id, err := url.QueryUnescape(basicID); err == nil {
			basicID = id
		}
		if sec, err := url.QueryUnescape(basicSecret); err == nil {
			basicSecret = sec
		}
	}
	bodyID, bodySecret := form.Get("client_id"), form.Get("client_secret")
	_, bodyHasSecret := form["client_secret"]

	id, secret := bodyID, bodySecret
	if basic {
		if bodyID != "" && bodyID != basicID {
			return nil, oauthErr(http.StatusBadRequest, "invalid_request", "client_id in the body does not match HTTP Basic authentication")
		}
		if bodyHasSecret && bodySecret != "" && !equalSecret(bodySecret, basicSecret) {
			return nil, oauthErr(http.StatusBadRequest, "invalid_request", "client authenticated with more than one method")
		}
		id, secret = basicID, basicSecret
	}
	fail := func(desc string) *oauthError {
		e := oauthErr(http.StatusUnauthorized, "invalid_client", desc)
		e.basic = basic
		return e
	}
	if id == "" {
		return nil, fail("client authentication failed: no client identification")
	}

	s.mu.Lock()
	c := s.st.clients[id]
	s.mu.Unlock()
	switch {
	case c == nil:
		return nil, fail("client authentication failed: unknown client")
	case c.public() && secret != "":
		return nil, fail("client authentication failed: public client must not send a secret")
	case !c.public() && secret == "":
		return nil, fail("client authentication failed: confidential client must authenticate")
	case !c.public() && !equalSecret(secret, c.secret):
		return nil, fail("client authentication failed: wrong client secret")
	}
	return c, nil
}

// checkUser reports whether the username and password match a user.
func (s *Server) checkUser(username, password string) bool {
	s.mu.Lock()
	want, ok := s.st.users[username]
	s.mu.Unlock()
	return ok && equalSecret(password, want)
}

// allowed returns the scopes the client may be granted (a copy).
func (c *client) allowed() scopeSet {
	return scopeSet{all: c.scopes.all, list: slices.Clone(c.scopes.list)}
}
