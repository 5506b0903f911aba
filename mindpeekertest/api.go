package mindpeekertest

import (
	"net/http"
	"strings"
)

// This file routes /v1 requests: route match (404 not_found, or 405
// invalid_request with an Allow header), authentication,
// scope, idempotency, then the resource handler.

// apiHandler serves one API route for an authenticated principal.
type apiHandler func(w http.ResponseWriter, r *http.Request, body []byte, p *principal, id string)

// route is a matched API route.
type route struct {
	handler apiHandler
	scopes  []string // any of them is required; nil = no scope needed
	keyMgmt bool     // manages API keys: API keys may not call it
}

// matchAPI maps a method and path under /v1 to a route. found is false for
// an unknown path; allow lists the methods of a known path.
func (s *Server) matchAPI(method, path string) (rt route, id string, allow []string, found bool) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(path, apiPrefix), "/"), "/")
	routes := map[string]route{}
	switch {
	case len(parts) == 1 && parts[0] == "sessions":
		routes["GET"] = route{handler: s.listSessions, scopes: scopesSessionsRead}
		routes["POST"] = route{handler: s.createSession, scopes: scopesSessionsWrite}
	case len(parts) == 2 && parts[0] == "sessions" && parts[1] != "":
		id = parts[1]
		routes["GET"] = route{handler: s.getSession, scopes: scopesSessionsRead}
		routes["DELETE"] = route{handler: s.deleteSession, scopes: scopesSessionsDelete}
	case len(parts) == 1 && parts[0] == "api-keys":
		routes["GET"] = route{handler: s.listAPIKeys}
		routes["POST"] = route{handler: s.createAPIKey, keyMgmt: true}
	case len(parts) == 2 && parts[0] == "api-keys" && parts[1] != "":
		id = parts[1]
		routes["GET"] = route{handler: s.getAPIKey}
		routes["DELETE"] = route{handler: s.revokeAPIKey, keyMgmt: true}
	case len(parts) == 3 && parts[0] == "api-keys" && parts[1] != "" && parts[2] == "rotate":
		id = parts[1]
		routes["POST"] = route{handler: s.rotateAPIKey, keyMgmt: true}
	case len(parts) == 2 && parts[0] == "user" && parts[1] == "profile":
		routes["GET"] = route{handler: s.getProfile}
	default:
		return route{}, "", nil, false
	}
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if _, ok := routes[m]; ok {
			allow = append(allow, m)
		}
	}
	return routes[method], id, allow, true
}

// serveAPI answers a request under /v1.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, body []byte) {
	rt, id, allow, found := s.matchAPI(r.Method, r.URL.Path)
	if !found {
		writeAPIError(w, errNotFound("no such route: "+r.Method+" "+r.URL.Path))
		return
	}
	if rt.handler == nil {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeAPIError(w, &apiError{
			status:  http.StatusMethodNotAllowed,
			code:    codeInvalidRequest,
			message: r.Method + " is not allowed here; allowed: " + strings.Join(allow, ", "),
		})
		return
	}
	p, aerr := s.authenticateAPI(r)
	if aerr == nil && rt.scopes != nil {
		aerr = requireScope(p, rt.scopes)
	}
	if aerr == nil && rt.keyMgmt {
		aerr = forbidAPIKey(p)
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
		s.serveIdempotent(w, r, body, p, func(w http.ResponseWriter) {
			rt.handler(w, r, body, p, id)
		})
		return
	}
	rt.handler(w, r, body, p, id)
}
