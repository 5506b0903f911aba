package mindpeekertest

import (
	"net"
	"net/http"
	"net/url"
	"time"
)

// This file is the authorization endpoint, GET /oauth2/authorize. There is
// no login page: the server consents at once as DefaultUsername (or refuses,
// after DenyAuthorization(true)) and redirects back with a code.

// authCode is an issued authorization code.
type authCode struct {
	clientID    string
	redirectURI string
	username    string
	scopes      scopeSet
	challenge   string // S256 code_challenge, "" when none was sent
	expiry      time.Time
	used        bool
	family      string // tokens issued from the code, for revocation on reuse
}

// DenyAuthorization makes the authorize endpoint refuse consent (deny true)
// by redirecting with error=access_denied, or consent again (deny false).
func (s *Server) DenyAuthorization(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.denyAuthz = deny
}

// validRedirectURI accepts https URIs and http URIs on a loopback host
// (127.0.0.1, [::1], localhost; RFC 8252 §7.3), without a fragment.
func validRedirectURI(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// serveAuthorize answers the authorization endpoint. Errors about the
// client or the redirect URI are answered directly (RFC 6749 §4.1.2.1:
// never redirect to an unverified URI); all others are redirected.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, _ []byte) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeOAuthError(w, oauthErr(http.StatusMethodNotAllowed, "invalid_request", "the authorize endpoint only accepts GET"))
		return
	}
	q := r.URL.Query()
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")

	s.mu.Lock()
	c := s.st.clients[clientID]
	deny := s.st.denyAuthz
	s.mu.Unlock()
	if c == nil {
		writeOAuthError(w, oauthErr(http.StatusBadRequest, "invalid_request", "unknown client_id"))
		return
	}
	if !validRedirectURI(redirectURI) {
		writeOAuthError(w, oauthErr(http.StatusBadRequest, "invalid_request", "redirect_uri must be https or http on a loopback host"))
		return
	}

	state := q.Get("state")
	redirect := func(params url.Values) {
		u, _ := url.Parse(redirectURI) // validated above
		v := u.Query()
		for k, vals := range params {
			v[k] = vals
		}
		if state != "" {
			v.Set("state", state)
		}
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code, desc string) {
		redirect(url.Values{"error": {code}, "error_description": {desc}})
	}

	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		fail("invalid_request", "code_challenge_method without code_challenge")
		return
	case challenge == "" && c.public():
		fail("invalid_request", "a public client must send a PKCE code_challenge")
		return
	case challenge != "" && method != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case challenge != "" && (len(challenge) != 43 || !validPKCEValue(challenge)):
		fail("invalid_request", "code_challenge is not a base64url SHA-256 value")
		return
	}
	sc, ok := grantScope(c.allowed(), q.Get("scope"))
	if !ok {
		fail("invalid_scope", "the requested scope is unknown or exceeds what may be granted")
		return
	}
	if deny {
		fail("access_denied", "the resource owner denied the request")
		return
	}

	code := "mpac_" + randomToken(24)
	s.mu.Lock()
	s.st.codes[code] = &authCode{
		clientID:    c.id,
		redirectURI: redirectURI,
		username:    DefaultUsername,
		scopes:      sc,
		challenge:   challenge,
		expiry:      s.now().Add(authCodeLifetime),
	}
	s.mu.Unlock()
	redirect(url.Values{"code": {code}})
}
