// Package jsonlogintest is an in-process fake of a JSON login service, for
// tests and examples of package jsonlogin and of programs that use it.
//
// It serves, on 127.0.0.1:
//
//	POST /register      {"user_id","user_secret"}  -> 201 {"user_key"}
//	POST /authenticate  {"user_key","user_secret"} -> 200 {"access_token","refresh_token"}
//	POST /refresh       {"refresh_token"}          -> 200 {"access_token"} (+ "refresh_token" when rotating)
//	GET  /me            Authorization: Bearer ...   -> 200 {"user_id","expires_at"}
//
// Access tokens are unsigned but well-formed JWTs ("alg":"none") whose exp
// claim is the issue time plus the lifetime (one hour unless [WithLifetime]),
// on the server's clock ([WithClock]). Failures answer 4xx with
// {"error","message"}. The package shares no code with package jsonlogin, so
// it checks the wire format independently.
package jsonlogintest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Stats counts the requests the server answered, by endpoint and outcome.
type Stats struct {
	Registers        int // successful /register
	Authenticates    int // successful /authenticate
	FailedLogins     int // /authenticate refused
	Refreshes        int // successful /refresh
	RefusedRefreshes int // /refresh refused (unknown token or RefuseRefresh)
	Authorized       int // /me answered 200
	Unauthorized     int // /me answered 401
}

// Server is a running fake. Create it with [NewServer]; Close it when done.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:38291"; use it as Grant.BaseURL.
	URL string

	srv      *httptest.Server
	now      func() time.Time
	lifetime time.Duration
	rotate   bool

	mu            sync.Mutex
	users         map[string]user      // by user_key
	ids           map[string]bool      // user_ids taken
	refreshTokens map[string]string    // refresh token -> user_key
	accessTokens  map[string]time.Time // access token -> expiry
	subjects      map[string]string    // access token -> user_id
	refuseRefresh bool
	stats         Stats
}

type user struct{ id, secret string }

// Option configures a [Server].
type Option func(*Server)

// WithClock sets the server's clock, which sets the exp claims and decides
// whether an access token presented to /me has expired. Default time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLifetime sets the access tokens' lifetime. Default one hour, as the
// documented service.
func WithLifetime(d time.Duration) Option { return func(s *Server) { s.lifetime = d } }

// WithRotatingRefreshTokens makes /refresh return a new refresh token and spend
// the one presented. By default /refresh returns only an access token, as the
// documented service, and the refresh token stays valid.
func WithRotatingRefreshTokens() Option { return func(s *Server) { s.rotate = true } }

// NewServer starts a fake on a loopback port.
func NewServer(opts ...Option) *Server {
	s := &Server{
		now: time.Now, lifetime: time.Hour,
		users: map[string]user{}, ids: map[string]bool{},
		refreshTokens: map[string]string{}, accessTokens: map[string]time.Time{}, subjects: map[string]string{},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /register", s.register)
	mux.HandleFunc("POST /authenticate", s.authenticate)
	mux.HandleFunc("POST /refresh", s.refresh)
	mux.HandleFunc("GET /me", s.me)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AddUser registers a user directly and returns its user_key.
func (s *Server) AddUser(userID, userSecret string) (userKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUser(userID, userSecret)
}

// RefuseRefresh makes /refresh answer 401 while on, as when refresh tokens
// have been revoked. Clients should fall back to /authenticate.
func (s *Server) RefuseRefresh(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseRefresh = on
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ValidAccessToken reports whether tok was issued here and has not expired.
func (s *Server) ValidAccessToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.accessTokens[tok]
	return ok && s.now().Before(exp)
}

func (s *Server) addUser(userID, userSecret string) string {
	key := "uk_" + random(12)
	s.users[key] = user{id: userID, secret: userSecret}
	s.ids[userID] = true
	return key
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID     string `json:"user_id"`
		UserSecret string `json:"user_secret"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.UserID == "" || req.UserSecret == "" {
		fail(w, http.StatusBadRequest, "invalid_request", "user_id and user_secret are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[req.UserID] {
		fail(w, http.StatusConflict, "user_exists", "this user_id is taken")
		return
	}
	key := s.addUser(req.UserID, req.UserSecret)
	s.stats.Registers++
	reply(w, http.StatusCreated, map[string]string{"user_key": key})
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserKey    string `json:"user_key"`
		UserSecret string `json:"user_secret"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[req.UserKey]
	if !ok || req.UserSecret == "" || u.secret != req.UserSecret {
		s.stats.FailedLogins++
		fail(w, http.StatusUnauthorized, "invalid_credentials", "unknown user_key or wrong user_secret")
		return
	}
	s.stats.Authenticates++
	rt := "rt_" + random(24)
	s.refreshTokens[rt] = req.UserKey
	reply(w, http.StatusOK, map[string]string{"access_token": s.issue(u.id), "refresh_token": rt})
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.refreshTokens[req.RefreshToken]
	if !ok || s.refuseRefresh {
		s.stats.RefusedRefreshes++
		fail(w, http.StatusUnauthorized, "invalid_refresh_token", "the refresh token is unknown or revoked")
		return
	}
	s.stats.Refreshes++
	out := map[string]string{"access_token": s.issue(s.users[key].id)}
	if s.rotate {
		delete(s.refreshTokens, req.RefreshToken)
		rt := "rt_" + random(24)
		s.refreshTokens[rt] = key
		out["refresh_token"] = rt
	}
	reply(w, http.StatusOK, out)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, known := s.accessTokens[tok]
	if !ok || !known || !s.now().Before(exp) {
		s.stats.Unauthorized++
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		fail(w, http.StatusUnauthorized, "invalid_token", "missing, unknown or expired access token")
		return
	}
	s.stats.Authorized++
	reply(w, http.StatusOK, map[string]string{"user_id": s.subjects[tok], "expires_at": exp.UTC().Format(time.RFC3339)})
}

// issue mints an unsigned JWT for userID; s.mu must be held.
func (s *Server) issue(userID string) string {
	now := s.now()
	exp := now.Add(s.lifetime).Truncate(time.Second)
	claims, _ := json.Marshal(map[string]any{"sub": userID, "iat": now.Unix(), "exp": exp.Unix(), "jti": random(9)})
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(claims) + "."
	s.accessTokens[tok] = exp
	s.subjects[tok] = userID
	return tok
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, "invalid_request", "Content-Type must be application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("malformed JSON body: %v", err))
		return false
	}
	return true
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	reply(w, status, map[string]string{"error": code, "message": msg})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
