package mindpeekertest

import (
	"net/http"
	"strings"
)

// wireProfile is the answer of GET /v1/user/profile, an endpoint of the
// MindPeeker documents that the SDK has no typed method for: it lets tests
// show what client.Do reaches.
type wireProfile struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"` // "client", "user" or "apikey"
	Scopes []string `json:"scopes"`
}

// getProfile describes the authenticated caller; any credential may call it.
func (s *Server) getProfile(w http.ResponseWriter, _ *http.Request, _ []byte, p *principal, _ string) {
	kind, _, _ := strings.Cut(p.id, ":")
	scopes := p.scopes.list
	if p.scopes.all {
		scopes = knownScopes
	}
	writeJSON(w, http.StatusOK, wireProfile{ID: p.id, Kind: kind, Scopes: scopes})
}
