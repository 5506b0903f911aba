package mindpeekertest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
)

// This file is the token endpoint, POST /oauth2/token (RFC 6749 §3.2, with
// RFC 7636 PKCE for the authorization code grant).

// oauthError is an error answer of the token endpoint.
type oauthError struct {
	status int
	code   string
	desc   string
	basic  bool // client used HTTP Basic: answer with a Basic challenge
}

func oauthErr(status int, code, desc string) *oauthError {
	return &oauthError{status: status, code: code, desc: desc}
}

func invalidGrant(desc string) *oauthError {
	return oauthErr(http.StatusBadRequest, "invalid_grant", desc)
}

// writeOAuthError writes an RFC 6749 §5.2 error body. Descriptions are fixed
// strings of this package: they never echo a secret or a token.
func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	w.Header().Set("Cache-Control", "no-store")
	if e.status == http.StatusUnauthorized && e.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="mindpeeker"`)
	}
	writeJSON(w, e.status, wireOAuthError{Error: e.code, Description: e.desc})
}

// serveToken answers the token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, oauthErr(http.StatusMethodNotAllowed, "invalid_request", "the token endpoint only accepts POST"))
		return
	}
	s.mu.Lock()
	latency := s.st.tokenLatency
	s.mu.Unlock()
	if !s.sleep(r.Context(), latency) {
		dropConnection(w)
		return
	}

	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeOAuthError(w, oauthErr(http.StatusBadRequest, "invalid_request", "the body is not application/x-www-form-urlencoded"))
		return
	}
	c, oerr := s.authenticateClient(r, form)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}

	var is issued
	switch grant := form.Get("grant_type"); grant {
	case "client_credentials":
		is, oerr = s.grantClientCredentials(c, form)
	case "password":
		is, oerr = s.grantPassword(c, form)
	case "refresh_token":
		is, oerr = s.grantRefresh(c, form)
	case "authorization_code":
		is, oerr = s.grantAuthorizationCode(c, form)
	case "":
		oerr = oauthErr(http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		oerr = oauthErr(http.StatusBadRequest, "unsupported_grant_type", "the grant type is not supported")
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	s.mu.Lock()
	s.st.stats.TokensIssued++
	s.mu.Unlock()
	writeTokenResponse(w, is)
}

func errInvalidScope() *oauthError {
	return oauthErr(http.StatusBadRequest, "invalid_scope", "the requested scope is unknown or exceeds what may be granted")
}

func (s *Server) grantClientCredentials(c *client, form url.Values) (issued, *oauthError) {
	if c.public() {
		return issued{}, oauthErr(http.StatusBadRequest, "unauthorized_client", "a public client may not use the client_credentials grant")
	}
	sc, ok := grantScope(c.allowed(), form.Get("scope"))
	if !ok {
		return issued{}, errInvalidScope()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(c.id, "client:"+c.id, sc, s.newFamilyLocked(), false), nil
}

func (s *Server) grantPassword(c *client, form url.Values) (issued, *oauthError) {
	username, password := form.Get("username"), form.Get("password")
	if username == "" || password == "" {
		return issued{}, oauthErr(http.StatusBadRequest, "invalid_request", "username and password are required")
	}
	if !s.checkUser(username, password) {
		return issued{}, invalidGrant("the resource owner credentials are invalid")
	}
	sc, ok := grantScope(c.allowed(), form.Get("scope"))
	if !ok {
		return issued{}, errInvalidScope()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(c.id, "user:"+username, sc, s.newFamilyLocked(), true), nil
}

// grantRefresh implements single-use, rotating refresh tokens. A spent
// token is reuse: counted, and in strict mode refused with its whole family
// revoked (as ory/fosite does).
func (s *Server) grantRefresh(c *client, form url.Values) (issued, *oauthError) {
	tok := form.Get("refresh_token")
	if tok == "" {
		return issued{}, oauthErr(http.StatusBadRequest, "invalid_request", "refresh_token is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.st.refresh[tok]
	switch {
	case rt == nil:
		return issued{}, invalidGrant("the refresh token is not valid")
	case rt.clientID != c.id:
		return issued{}, invalidGrant("the refresh token was issued to another client")
	case rt.revoked || s.familyRevokedLocked(rt.family):
		return issued{}, invalidGrant("the refresh token was revoked")
	case rt.spent:
		s.st.stats.SpentRefreshReuse++
		if !s.st.lenient {
			s.revokeFamilyLocked(rt.family)
			return issued{}, invalidGrant("the refresh token was already used; its token family is revoked")
		}
	}
	sc, ok := grantScope(rt.scopes, form.Get("scope"))
	if !ok {
		return issued{}, errInvalidScope()
	}
	rotate := !s.st.style.OmitRefresh
	is := s.issueLocked(c.id, rt.principal, sc, rt.family, rotate)
	if rotate {
		rt.spent = true
		// The new refresh token keeps the original grant's scope, so a
		// narrowed refresh can later be widened again (RFC 6749 §6).
		s.st.refresh[is.refresh].scopes = rt.scopes
	}
	return is, nil
}

func (s *Server) grantAuthorizationCode(c *client, form url.Values) (issued, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return issued{}, oauthErr(http.StatusBadRequest, "invalid_request", "code is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.st.codes[code]
	switch {
	case ac == nil:
		return issued{}, invalidGrant("the authorization code is not valid")
	case ac.clientID != c.id:
		return issued{}, invalidGrant("the authorization code was issued to another client")
	case ac.used:
		// RFC 6749 §4.1.2: revoke what the code already produced.
		s.revokeFamilyLocked(ac.family)
		return issued{}, invalidGrant("the authorization code was already used")
	case !s.now().Before(ac.expiry):
		return issued{}, invalidGrant("the authorization code expired")
	case ac.redirectURI != form.Get("redirect_uri"):
		return issued{}, invalidGrant("redirect_uri does not match the authorization request")
	}
	verifier := form.Get("code_verifier")
	if ac.challenge == "" {
		if verifier != "" {
			return issued{}, invalidGrant("code_verifier sent but the authorization request had no code_challenge")
		}
	} else {
		if verifier == "" {
			return issued{}, invalidGrant("code_verifier is required")
		}
		if !validPKCEValue(verifier) {
			return issued{}, invalidGrant("code_verifier is malformed")
		}
		if !equalSecret(s256(verifier), ac.challenge) {
			return issued{}, invalidGrant("code_verifier does not match the code_challenge")
		}
	}
	ac.used = true
	ac.family = s.newFamilyLocked()
	return s.issueLocked(c.id, "user:"+ac.username, ac.scopes, ac.family, true), nil
}

// s256 is the PKCE S256 transformation: BASE64URL(SHA256(ASCII(verifier))).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validPKCEValue checks RFC 7636 §4.1 syntax: 43..128 unreserved characters.
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~':
		default:
			return false
		}
	}
	return true
}
