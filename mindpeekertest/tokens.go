package mindpeekertest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TokenResponseStyle chooses how the token endpoint formats its successful
// answers, to test a client against the variations of real servers. The
// zero value is the standard answer: JSON, "token_type":"Bearer", a numeric
// expires_in, opaque tokens, and a new refresh token on every refresh.
type TokenResponseStyle struct {
	// ExpiresIn is "number" (default, "expires_in":3600), "string"
	// ("expires_in":"3600") or "absent" (no expires_in at all).
	ExpiresIn string
	// TokenType is the token_type value; default "Bearer". Tests use
	// "bearer" or "BEARER" to check case-insensitive handling.
	TokenType string
	// Form answers application/x-www-form-urlencoded instead of JSON.
	Form bool
	// JWT issues access tokens that are unsigned but well-formed JWTs
	// (base64url header.payload.signature, "alg":"none") whose "exp" claim
	// is the issue time plus the token lifetime, for clients that read it.
	JWT bool
	// OmitRefresh answers a refresh_token grant without a new refresh
	// token; the presented refresh token is then not spent and stays valid
	// (RFC 6749 §6).
	OmitRefresh bool
}

// family groups every token descending from one original grant, so that
// reuse of a spent refresh token can revoke them together.
type family struct{ revoked bool }

type accessToken struct {
	clientID  string
	principal string // "client:<id>" or "user:<name>"; scopes idempotency
	scopes    scopeSet
	expiry    time.Time
	family    string
	revoked   bool
}

type refreshToken struct {
	clientID  string
	principal string
	scopes    scopeSet
	family    string
	spent     bool
	revoked   bool
}

// issued is a token answer before it is written.
type issued struct {
	access    string
	refresh   string
	lifetime  time.Duration
	scope     scopeSet
	style     TokenResponseStyle
	issuedAt  time.Time
	principal string
}

// SetTokenLifetime changes the lifetime of access tokens issued from now on.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.tokenLifetime = d
}

// SetTokenLatency changes how long the token endpoint waits before each
// answer (see WithTokenLatency).
func (s *Server) SetTokenLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.tokenLatency = d
}

// SetTokenResponse changes how the token endpoint formats its successful
// answers from now on. Errors are always JSON.
func (s *Server) SetTokenResponse(style TokenResponseStyle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.style = style
}

// RevokeAllTokens invalidates every access and refresh token issued so far,
// as if the authorization server had been reset. API calls with them answer
// 401 invalid_token; refreshes with them answer invalid_grant. Use it to
// test recovery from a server-side revocation. API keys are not affected.
func (s *Server) RevokeAllTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.st.access {
		t.revoked = true
	}
	for _, t := range s.st.refresh {
		t.revoked = true
	}
}

// IssueAccessToken returns a valid access token for DefaultClientID with the
// given scopes (none means unrestricted), without going through the token
// endpoint and without touching Stats. Use it to set up API tests that are
// not about obtaining tokens. The token's principal is the same as that of a
// client_credentials token of DefaultClientID, so they share idempotency
// keys.
func (s *Server) IssueAccessToken(scopes ...string) string {
	sc := scopeSet{all: true}
	if l := parseScope(strings.Join(scopes, " ")); len(l) > 0 {
		sc = scopeSet{list: l}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(DefaultClientID, "client:"+DefaultClientID, sc, s.newFamilyLocked(), false)
	return is.access
}

func (s *Server) newFamilyLocked() string {
	id := s.newIDLocked("fam_")
	s.st.families[id] = &family{}
	return id
}

// issueLocked creates an access token (and a refresh token when
// withRefresh) in family fam. s.mu must be held.
func (s *Server) issueLocked(clientID, principal string, sc scopeSet, fam string, withRefresh bool) issued {
	now := s.now()
	is := issued{
		lifetime:  s.st.tokenLifetime,
		scope:     sc,
		style:     s.st.style,
		issuedAt:  now,
		principal: principal,
	}
	if is.style.JWT {
		is.access = s.jwtLocked(clientID, principal, sc, now, is.lifetime)
	} else {
		is.access = "mpat_" + randomToken(24)
	}
	s.st.access[is.access] = &accessToken{
		clientID:  clientID,
		principal: principal,
		scopes:    sc,
		expiry:    now.Add(is.lifetime),
		family:    fam,
	}
	if withRefresh {
		is.refresh = "mprt_" + randomToken(24)
		s.st.refresh[is.refresh] = &refreshToken{clientID: clientID, principal: principal, scopes: sc, family: fam}
	}
	return is
}

// jwtLocked builds an unsigned JWT access token.
func (s *Server) jwtLocked(clientID, principal string, sc scopeSet, now time.Time, lifetime time.Duration) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	header := map[string]string{"alg": "none", "typ": "JWT"}
	claims := map[string]any{
		"iss":       s.URL,
		"sub":       principal,
		"aud":       s.APIURL(),
		"client_id": clientID,
		"scope":     sc.String(),
		"iat":       now.Unix(),
		"exp":       now.Add(lifetime).Unix(),
		"jti":       randomHex(8),
	}
	return enc(header) + "." + enc(claims) + "." + randomToken(16)
}

// revokeFamilyLocked revokes every token of family fam.
func (s *Server) revokeFamilyLocked(fam string) {
	if f := s.st.families[fam]; f != nil {
		f.revoked = true
	}
}

func (s *Server) familyRevokedLocked(fam string) bool {
	f := s.st.families[fam]
	return f != nil && f.revoked
}

// lookupAccessLocked returns the access token tok if it is usable now, or a
// reason (never containing the token) why not.
func (s *Server) lookupAccessLocked(tok string) (*accessToken, string) {
	t := s.st.access[tok]
	switch {
	case t == nil:
		return nil, "the access token is not valid"
	case t.revoked || s.familyRevokedLocked(t.family):
		return nil, "the access token was revoked"
	case !s.now().Before(t.expiry):
		return nil, "the access token expired"
	}
	return t, ""
}

// expiresInSeconds rounds a lifetime up to whole seconds.
func expiresInSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// writeTokenResponse writes a successful token answer in the chosen style.
func writeTokenResponse(w http.ResponseWriter, is issued) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	tokenType := is.style.TokenType
	if tokenType == "" {
		tokenType = "Bearer"
	}
	secs := expiresInSeconds(is.lifetime)
	scope := is.scope.String()

	if is.style.Form {
		v := url.Values{}
		v.Set("access_token", is.access)
		v.Set("token_type", tokenType)
		if is.style.ExpiresIn != "absent" {
			v.Set("expires_in", strconv.FormatInt(secs, 10))
		}
		if is.refresh != "" {
			v.Set("refresh_token", is.refresh)
		}
		if scope != "" {
			v.Set("scope", scope)
		}
		b := []byte(v.Encode())
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return
	}

	resp := struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    any    `json:"expires_in,omitempty"`
		RefreshToken string `json:"refresh_token,omitempty"`
		Scope        string `json:"scope,omitempty"`
	}{AccessToken: is.access, TokenType: tokenType, RefreshToken: is.refresh, Scope: scope}
	switch is.style.ExpiresIn {
	case "absent":
	case "string":
		resp.ExpiresIn = strconv.FormatInt(secs, 10)
	default:
		resp.ExpiresIn = secs
	}
	writeJSON(w, http.StatusOK, resp)
}
