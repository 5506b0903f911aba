package mindpeekertest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// This file is the API keys resource: /v1/api-keys, /v1/api-keys/{id} and
// /v1/api-keys/{id}/rotate. Keys are stored only as a SHA-256 hash; the
// plaintext exists in the create/rotate answer (and so in idempotency
// records of those answers), nowhere else.

// apiKey is a stored API key.
type apiKey struct {
	id         string
	name       string
	prefix     string
	hash       string
	scopes     []string
	created    time.Time
	expiresAt  *time.Time
	lastUsedAt *time.Time
	revokedAt  *time.Time
}

func (k *apiKey) wire() wireAPIKey {
	return wireAPIKey{
		ID: k.id, Name: k.name, Prefix: k.prefix, Scopes: slices.Clone(k.scopes),
		CreatedAt: k.created, ExpiresAt: cloneTime(k.expiresAt),
		LastUsedAt: cloneTime(k.lastUsedAt), RevokedAt: cloneTime(k.revokedAt),
	}
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// CreateAPIKey adds an API key with the given name and scopes (none means
// every known scope) and returns its id and the full key, usable at once
// as X-API-Key. Use it to set up tests; it does not count in
// Stats.APIKeysCreated, which counts API calls.
func (s *Server) CreateAPIKey(name string, scopes ...string) (id, key string) {
	sc := parseScope(strings.Join(scopes, " "))
	if len(sc) == 0 {
		sc = slices.Clone(knownScopes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, full := s.createAPIKeyLocked(name, sc, nil)
	return k.id, full
}

// createAPIKeyLocked stores a new key and returns it with its plaintext.
func (s *Server) createAPIKeyLocked(name string, scopes []string, expiresAt *time.Time) (*apiKey, string) {
	full := "mpk_" + randomHex(20) // 40 random hex characters
	k := &apiKey{
		id:        s.newIDLocked("key_"),
		name:      name,
		prefix:    full[:8],
		hash:      hashKey(full),
		scopes:    slices.Clone(scopes),
		created:   s.now().UTC(),
		expiresAt: cloneTime(expiresAt),
	}
	s.st.keys[k.id] = k
	s.st.keysByHash[k.hash] = k
	return k, full
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, _ []byte, _ *principal, _ string) {
	pr, aerr := parsePageRequest(r.URL.Query(), "key")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	s.mu.Lock()
	items := make([]wireAPIKey, 0, len(s.st.keys))
	for _, k := range s.st.keys {
		items = append(items, k.wire())
	}
	s.mu.Unlock()
	page := paginate(items, func(x wireAPIKey) cursorKey { return cursorKey{x.CreatedAt, x.ID} }, pr, "key")
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getAPIKey(w http.ResponseWriter, _ *http.Request, _ []byte, _ *principal, id string) {
	s.mu.Lock()
	k := s.st.keys[id]
	var out wireAPIKey
	if k != nil {
		out = k.wire()
	}
	s.mu.Unlock()
	if k == nil {
		writeAPIError(w, errNotFound("no API key with that id"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// createAPIKey creates a key. The caller may only give it scopes it holds
// itself (403 insufficient_scope otherwise), checked after the body is
// validated (400).
func (s *Server) createAPIKey(w http.ResponseWriter, _ *http.Request, body []byte, p *principal, _ string) {
	var in wireCreateAPIKey
	if err := json.Unmarshal(body, &in); err != nil {
		writeAPIError(w, errInvalidRequest("the body must be a JSON object with name and scopes"))
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		writeAPIError(w, errInvalidRequest("name is required"))
		return
	}
	if len(in.Scopes) == 0 {
		writeAPIError(w, errInvalidRequest("scopes must name at least one scope"))
		return
	}
	var scopes []string
	for _, sc := range in.Scopes {
		if !isKnownScope(sc) {
			writeAPIError(w, errInvalidRequest("unknown scope "+quoteShort(sc)))
			return
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	now := s.now()
	var expiresAt *time.Time
	if in.ExpiresAt != nil && *in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			writeAPIError(w, errInvalidRequest("expires_at must be an RFC 3339 time"))
			return
		}
		if !t.After(now) {
			writeAPIError(w, errInvalidRequest("expires_at must be in the future"))
			return
		}
		t = t.UTC()
		expiresAt = &t
	}
	if aerr := forbidEscalation(p, scopes, "create"); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	s.mu.Lock()
	k, full := s.createAPIKeyLocked(in.Name, scopes, expiresAt)
	s.st.stats.APIKeysCreated++
	out := k.wire()
	s.mu.Unlock()
	out.Key = full
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, _ *http.Request, _ []byte, _ *principal, id string) {
	s.mu.Lock()
	k := s.st.keys[id]
	if k != nil && k.revokedAt == nil {
		now := s.now().UTC()
		k.revokedAt = &now
	}
	s.mu.Unlock()
	if k == nil {
		writeAPIError(w, errNotFound("no API key with that id"))
		return
	}
	writeNoContent(w)
}

// rotateAPIKey replaces a key by a new one (new id and key, same name,
// scopes and expiry) and revokes the old one. A revoked or expired key
// cannot be rotated (409). Since the caller receives the new key, it may
// only rotate a key whose scopes it holds itself (403), as for create.
func (s *Server) rotateAPIKey(w http.ResponseWriter, _ *http.Request, _ []byte, p *principal, id string) {
	s.mu.Lock()
	old := s.st.keys[id]
	now := s.now().UTC()
	switch {
	case old == nil:
		s.mu.Unlock()
		writeAPIError(w, errNotFound("no API key with that id"))
		return
	case old.revokedAt != nil:
		s.mu.Unlock()
		writeAPIError(w, errConflict("the API key is revoked and cannot be rotated"))
		return
	case old.expiresAt != nil && !now.Before(*old.expiresAt):
		s.mu.Unlock()
		writeAPIError(w, errConflict("the API key expired and cannot be rotated"))
		return
	}
	if aerr := forbidEscalation(p, old.scopes, "rotate"); aerr != nil {
		s.mu.Unlock()
		writeAPIError(w, aerr)
		return
	}
	k, full := s.createAPIKeyLocked(old.name, old.scopes, old.expiresAt)
	old.revokedAt = &now
	s.st.stats.Rotations++
	out := k.wire()
	s.mu.Unlock()
	out.Key = full
	writeJSON(w, http.StatusCreated, out)
}

// quoteShort quotes a client-supplied value for an error message, cut to a
// sane length.
func quoteShort(v string) string {
	if len(v) > 64 {
		v = v[:64] + "..."
	}
	return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}
