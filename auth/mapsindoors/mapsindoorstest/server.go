// Package mapsindoorstest is an in-process fake of the MapsIndoors
// authentication service, for tests and examples of package mapsindoors.
//
// It serves, on 127.0.0.1:
//
//	POST   /connect/token                              client_credentials grant (form body or HTTP Basic)
//	GET    /api/clientcredentials?customerId=          the client's secrets, without their values
//	POST   /api/clientcredentials?customerId=&description=   a new secret, with its value; the body
//	       must be grant_type=client_credentials&client_id=&client_secret= (a valid secret), as documented
//	DELETE /api/clientcredentials?customerId=&id=      deletes a secret
//
// The management calls need a bearer token from /connect/token. Like a strict
// real server, a token stops working when the secret it was issued for is
// deleted. Knobs make deletions fail ([Server.FailDeletes]) and new secrets
// unable to log in ([Server.BreakNewSecrets]). The package shares no code with
// package mapsindoors, so it checks the wire format independently.
package mapsindoorstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for the identifiers MapsPeople would issue.
const (
	DefaultClientID   = "mi-test-client"
	DefaultCustomerID = "mi-test-customer"
)

// Stats counts the requests the server answered.
type Stats struct {
	Logins        int // tokens issued
	FailedLogins  int // token requests refused
	Lists         int
	Creates       int
	Deletes       int // successful deletions
	FailedDeletes int // deletions refused by FailDeletes or for an unknown id
	Unauthorized  int // management calls without a valid token
}

// Server is a running fake. Create it with [NewServer]; Close it when done.
type Server struct {
	URL        string // base URL, e.g. "http://127.0.0.1:40123"; use it as BaseURL
	ClientID   string
	CustomerID string

	srv *httptest.Server
	now func() time.Time

	mu          sync.Mutex
	secrets     []*secret        // in creation order
	tokens      map[string]token // access token -> what it was issued for
	failDeletes bool
	breakNew    bool
	stats       Stats
}

type secret struct {
	id, description, value string
	createdAt              time.Time
	broken                 bool // cannot log in
}

type token struct {
	secretID string
	expires  time.Time
}

// Option configures a [Server].
type Option func(*Server)

// WithClock sets the server's clock (token expiry, createdAt). Default time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// NewServer starts a fake for DefaultClientID and DefaultCustomerID with no
// secret; add the first one with [Server.AddSecret].
func NewServer(opts ...Option) *Server {
	s := &Server{ClientID: DefaultClientID, CustomerID: DefaultCustomerID, now: time.Now, tokens: map[string]token{}}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", s.token)
	mux.HandleFunc("/api/clientcredentials", s.manage)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// TokenURL is the token endpoint's URL.
func (s *Server) TokenURL() string { return s.URL + "/connect/token" }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AddSecret creates a secret directly, as MapsPeople does for a new client,
// and returns its id and value.
func (s *Server) AddSecret(description string) (id, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.addSecret(description, false)
	return sec.id, sec.value
}

// CanLogin reports whether value is an active secret that logs in.
func (s *Server) CanLogin(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.byValue(value)
	return sec != nil && !sec.broken
}

// SecretIDs returns the ids of the active secrets, oldest first.
func (s *Server) SecretIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.secrets))
	for i, sec := range s.secrets {
		ids[i] = sec.id
	}
	return ids
}

// FailDeletes makes DELETE answer 500 while on.
func (s *Server) FailDeletes(on bool) { s.mu.Lock(); defer s.mu.Unlock(); s.failDeletes = on }

// BreakNewSecrets makes the secrets created while on unable to log in (the
// token endpoint refuses them), as a server that has not yet propagated them.
func (s *Server) BreakNewSecrets(on bool) { s.mu.Lock(); defer s.mu.Unlock(); s.breakNew = on }

// RevokeTokens makes every access token issued so far invalid.
func (s *Server) RevokeTokens() { s.mu.Lock(); defer s.mu.Unlock(); clear(s.tokens) }

// Stats returns the counters so far.
func (s *Server) Stats() Stats { s.mu.Lock(); defer s.mu.Unlock(); return s.stats }

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, value, basic := r.BasicAuth()
	if !basic {
		id, value = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PostForm.Get("grant_type") != "client_credentials" {
		s.stats.FailedLogins++
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	sec := s.byValue(value)
	if id != s.ClientID || sec == nil || sec.broken {
		s.stats.FailedLogins++
		oauthError(w, http.StatusBadRequest, "invalid_client")
		return
	}
	s.stats.Logins++
	access := "mi_at_" + random(16)
	s.tokens[access] = token{secretID: sec.id, expires: s.now().Add(time.Hour)}
	reply(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": "client-api"})
}

func (s *Server) manage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tok, ok := s.tokens[access]
	if !ok || !s.now().Before(tok.expires) || s.byID(tok.secretID) == nil {
		s.stats.Unauthorized++
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if q.Get("customerId") != s.CustomerID {
		http.Error(w, "unknown customerId", http.StatusForbidden)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.stats.Lists++
		list := make([]map[string]string, len(s.secrets))
		for i, sec := range s.secrets {
			list[i] = map[string]string{"id": sec.id, "description": sec.description, "client_id": s.ClientID,
				"createdAt": sec.createdAt.UTC().Format("2006-01-02T15:04:05.000Z")}
		}
		reply(w, http.StatusOK, list)
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_id") != s.ClientID || s.byValue(r.PostForm.Get("client_secret")) == nil {
			http.Error(w, "the body must be grant_type=client_credentials&client_id=&client_secret=", http.StatusBadRequest)
			return
		}
		s.stats.Creates++
		sec := s.addSecret(q.Get("description"), s.breakNew)
		reply(w, http.StatusOK, map[string]string{"id": sec.id, "description": sec.description,
			"createdAt": sec.createdAt.UTC().Format("2006-01-02T15:04:05.0000000Z"), "secret": sec.value})
	case http.MethodDelete:
		i := slices.IndexFunc(s.secrets, func(sec *secret) bool { return sec.id == q.Get("id") })
		switch {
		case s.failDeletes:
			s.stats.FailedDeletes++
			http.Error(w, "internal error", http.StatusInternalServerError)
		case i < 0:
			s.stats.FailedDeletes++
			http.Error(w, "no such secret", http.StatusNotFound)
		default:
			s.stats.Deletes++
			s.secrets = slices.Delete(s.secrets, i, i+1)
			w.WriteHeader(http.StatusOK)
		}
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// addSecret creates a secret; s.mu must be held.
func (s *Server) addSecret(description string, broken bool) *secret {
	sec := &secret{id: random(12)[:23], description: description, value: random(48), createdAt: s.now(), broken: broken}
	s.secrets = append(s.secrets, sec)
	return sec
}

func (s *Server) byValue(value string) *secret {
	for _, sec := range s.secrets {
		if value != "" && sec.value == value {
			return sec
		}
	}
	return nil
}

func (s *Server) byID(id string) *secret {
	for _, sec := range s.secrets {
		if sec.id == id {
			return sec
		}
	}
	return nil
}

func oauthError(w http.ResponseWriter, status int, code string) {
	reply(w, status, map[string]string{"error": code})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// random returns 2n hex digits.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
