package mindpeekertest

import (
	"net/http"
	"strings"
)

// This file authenticates /v1 requests (bearer tokens and API keys) and
// enforces scopes.

// principal is who is calling the API.
type principal struct {
	id     string // "client:<id>", "user:<name>" or "apikey:<key id>"
	scopes scopeSet
	apiKey bool
}

// authenticateAPI identifies the caller from "Authorization: Bearer" (any
// case of the scheme) or, when there is no Authorization header, X-API-Key.
// Error messages never contain the credential.
func (s *Server) authenticateAPI(r *http.Request) (*principal, *apiError) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, errInvalidToken("the Authorization header must be \"Bearer <access token>\"")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		t, why := s.lookupAccessLocked(tok)
		if t == nil {
			return nil, errInvalidToken(why)
		}
		return &principal{id: t.principal, scopes: t.scopes}, nil
	}
	if key := r.Header.Get("X-API-Key"); key != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		k := s.st.keysByHash[hashKey(key)]
		now := s.now().UTC()
		switch {
		case k == nil:
			return nil, errInvalidToken("the API key is not valid")
		case k.revokedAt != nil:
			return nil, errInvalidToken("the API key was revoked")
		case k.expiresAt != nil && !now.Before(*k.expiresAt):
			return nil, errInvalidToken("the API key expired")
		}
		k.lastUsedAt = &now
		return &principal{id: "apikey:" + k.id, scopes: scopeSet{list: k.scopes}, apiKey: true}, nil
	}
	return nil, errInvalidToken("missing credentials: send Authorization: Bearer <token> or X-API-Key")
}

// requireScope answers 403 insufficient_scope unless p holds one of want.
func requireScope(p *principal, want []string) *apiError {
	if p.scopes.hasAny(want) {
		return nil
	}
	return &apiError{
		status:  http.StatusForbidden,
		code:    codeInsufficientScope,
		message: "this call needs one of the scopes: " + strings.Join(want, ", "),
		scope:   strings.Join(want, " "),
	}
}

// forbidAPIKey answers 403 when an API key tries to manage API keys.
func forbidAPIKey(p *principal) *apiError {
	if !p.apiKey {
		return nil
	}
	return &apiError{
		status:  http.StatusForbidden,
		code:    codeInsufficientScope,
		message: "an API key cannot create, rotate or revoke API keys; use an OAuth access token",
	}
}

// forbidEscalation answers 403 insufficient_scope when p would obtain an API
// key (by creating or rotating one) with scopes p does not hold itself. A
// principal with unrestricted scopes may obtain any key. action is "create"
// or "rotate", for the message, which names the missing scopes.
func forbidEscalation(p *principal, keyScopes []string, action string) *apiError {
	missing := p.scopes.missing(keyScopes)
	if len(missing) == 0 {
		return nil
	}
	return &apiError{
		status: http.StatusForbidden,
		code:   codeInsufficientScope,
		message: "cannot " + action + " an API key with scopes the caller does not hold; missing: " +
			strings.Join(missing, ", "),
		scope: strings.Join(missing, " "),
	}
}
