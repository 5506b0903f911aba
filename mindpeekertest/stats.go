package mindpeekertest

import (
	"maps"
	"net/http"
	"net/url"
	"time"
)

// Stats counts what the server saw and did since it started or since the
// last ResetStats. Use it to assert how many token requests or retries the
// code under test made.
type Stats struct {
	// TokenRequests counts every POST to the token endpoint, faulted ones
	// included.
	TokenRequests int
	// TokenRequestsByGrant splits TokenRequests by grant_type
	// ("client_credentials", "password", "refresh_token",
	// "authorization_code", or whatever else was sent).
	TokenRequestsByGrant map[string]int
	// TokensIssued counts access tokens issued by the token endpoint.
	TokensIssued int
	// SpentRefreshReuse counts presentations of an already-spent refresh
	// token (strict mode refuses them and revokes their family).
	SpentRefreshReuse int
	// APIRequests counts every request under /v1, faulted ones included.
	APIRequests int
	// Rotations counts API key rotations actually performed; idempotent
	// replays are not counted.
	Rotations int
	// SessionsCreated counts sessions created through the API; idempotent
	// replays and CreateSession are not counted.
	SessionsCreated int
	// APIKeysCreated counts API keys created through the API (not by
	// rotation); idempotent replays and CreateAPIKey are not counted.
	APIKeysCreated int
}

// Request is one request the server received, as recorded by Requests.
type Request struct {
	Method   string      // e.g. "POST"
	Path     string      // URL path, e.g. "/v1/sessions"
	RawQuery string      // query string without "?", e.g. "limit=5"
	Header   http.Header // a copy; it includes credentials, so do not log it
	Time     time.Time   // arrival time by the server clock
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st.stats
	st.TokenRequestsByGrant = maps.Clone(s.st.stats.TokenRequestsByGrant)
	return st
}

// Requests returns the requests received (API, token and authorize
// endpoints, unknown paths) in arrival order, with cloned headers. Only the
// most recent DefaultRequestLog (10,000) are kept, older ones being
// dropped, so that a long-running fake stays bounded in memory; change the
// bound with WithRequestLog. When recording is disabled
// (WithRequestLog(0)) Requests returns nil. Stats count every request
// regardless.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.requests.snapshot()
}

// ResetStats zeroes the counters and forgets the recorded requests. State
// (tokens, sessions, keys, faults) is kept.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.stats = Stats{TokenRequestsByGrant: map[string]int{}}
	s.st.requests.reset()
}

// record adds r to Requests and the request counters.
func (s *Server) record(r *http.Request, ep endpoint, body []byte) {
	var grant string
	if ep == epToken && r.Method == http.MethodPost {
		if form, err := url.ParseQuery(string(body)); err == nil {
			grant = form.Get("grant_type")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.requests.max > 0 {
		s.st.requests.add(Request{
			Method:   r.Method,
			Path:     r.URL.Path,
			RawQuery: r.URL.RawQuery,
			Header:   r.Header.Clone(),
			Time:     s.now(),
		})
	}
	switch ep {
	case epAPI:
		s.st.stats.APIRequests++
	case epToken:
		if r.Method == http.MethodPost {
			s.st.stats.TokenRequests++
			if grant != "" {
				s.st.stats.TokenRequestsByGrant[grant]++
			}
		}
	}
}
