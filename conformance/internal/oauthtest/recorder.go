package oauthtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Stats counts what a [Server] saw. Maps are never nil.
type Stats struct {
	TokenRequests int            // POSTs to the token endpoint, whatever the answer
	ByGrant       map[string]int // token requests by grant_type
	Issued        map[string]int // token requests answered 200, by grant_type
	Errors        map[string]int // token requests refused, by RFC 6749 error code
	ClientAuth    map[string]int // token requests by client authentication: "basic", "post" or "none"
	// RefreshReuse counts refresh_token requests that presented a refresh token
	// already presented before: the client spending a token twice, whether or not
	// the server noticed (a lenient server, or two requests racing). Zero is the
	// only right answer for a client of single-use refresh tokens.
	RefreshReuse int
	// ReuseDetections counts the spent refresh tokens fosite saw; each made it
	// revoke the whole token family (RFC 6819 §5.2.2.3). Always 0 for go-oauth2.
	ReuseDetections   int
	AuthorizeRequests int // requests to the authorization endpoint
	ResourceRequests  int // requests to the protected resource
	ResourceRejected  int // of which answered 401, for whatever reason
	// ResourceExpired counts the 401s for a token that had expired, as opposed
	// to one revoked (fosite revokes an access token when its refresh token is
	// spent) or unknown. A client should never send an expired token.
	ResourceExpired int
}

// TokenRequest is one token request as the server saw it. Tokens appear only as
// fingerprints (see [Fingerprint]).
type TokenRequest struct {
	Grant        string // grant_type
	ClientID     string
	ClientAuth   string // "basic", "post" (secret in the body) or "none" (client_id only)
	RefreshToken string // fingerprint of the presented refresh token; "" for other grants
	Status       int    // HTTP status of the answer
	Error        string // RFC 6749 error code of a refusal
	IssuedAccess string // fingerprint of the access token issued; "" on failure
	// IssuedRefresh is the fingerprint of the refresh token issued; "" when none.
	IssuedRefresh string
}

// Fingerprint returns a short, stable, non-reversible name for a token, the form
// in which [TokenRequest] records tokens; compare it with a token the test holds.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

type recorder struct {
	mu        sync.Mutex
	reqs      []TokenRequest
	presented map[string]bool      // refresh token fingerprints presented so far
	expiry    map[string]time.Time // access token fingerprint -> when the announced lifetime ends
	s         Stats
}

func newRecorder() *recorder {
	return &recorder{presented: map[string]bool{}, expiry: map[string]time.Time{}, s: Stats{
		ByGrant: map[string]int{}, Issued: map[string]int{}, Errors: map[string]int{}, ClientAuth: map[string]int{},
	}}
}

// maxForm bounds a token request body; maxAnswer bounds the copy of an answer.
const (
	maxForm   = 64 << 10
	maxAnswer = 64 << 10
)

// recordToken wraps a token endpoint, recording each request and its answer.
func (rec *recorder) recordToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		tr := TokenRequest{Grant: r.PostForm.Get("grant_type"), ClientID: r.PostForm.Get("client_id")}
		switch id, _, basic := r.BasicAuth(); {
		case basic:
			tr.ClientAuth, tr.ClientID = "basic", id
		case r.PostForm.Get("client_secret") != "":
			tr.ClientAuth = "post"
		default:
			tr.ClientAuth = "none"
		}
		if rt := r.PostForm.Get("refresh_token"); tr.Grant == "refresh_token" && rt != "" {
			tr.RefreshToken = Fingerprint(rt)
		}
		cw := &captureWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(cw, r)
		tr.Status = cw.status
		var answer struct {
			Error        string `json:"error"`
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			ExpiresIn    int64  `json:"expires_in"`
		}
		_ = json.Unmarshal(cw.body.Bytes(), &answer)
		tr.Error = answer.Error
		var expiresAt time.Time
		if cw.status == http.StatusOK && answer.AccessToken != "" {
			tr.IssuedAccess = Fingerprint(answer.AccessToken)
			if answer.RefreshToken != "" {
				tr.IssuedRefresh = Fingerprint(answer.RefreshToken)
			}
			if answer.ExpiresIn > 0 {
				expiresAt = time.Now().Add(time.Duration(answer.ExpiresIn) * time.Second)
			}
		}
		rec.add(tr, expiresAt)
	})
}

func (rec *recorder) add(tr TokenRequest, expiresAt time.Time) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, tr)
	if !expiresAt.IsZero() {
		rec.expiry[tr.IssuedAccess] = expiresAt
	}
	rec.s.TokenRequests++
	rec.s.ByGrant[tr.Grant]++
	rec.s.ClientAuth[tr.ClientAuth]++
	if tr.Status == http.StatusOK {
		rec.s.Issued[tr.Grant]++
	} else if tr.Error != "" {
		rec.s.Errors[tr.Error]++
	}
	if tr.RefreshToken != "" {
		if rec.presented[tr.RefreshToken] {
			rec.s.RefreshReuse++
		}
		rec.presented[tr.RefreshToken] = true
	}
}

// pastExpiry reports whether the lifetime announced for accessToken has passed.
func (rec *recorder) pastExpiry(accessToken string, now time.Time) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	exp, ok := rec.expiry[Fingerprint(accessToken)]
	return ok && !now.Before(exp)
}

func (rec *recorder) recordAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.s.AuthorizeRequests++
		rec.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (rec *recorder) recordResource(accepted, expired bool) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.s.ResourceRequests++
	if !accepted {
		rec.s.ResourceRejected++
	}
	if expired {
		rec.s.ResourceExpired++
	}
}

func (rec *recorder) reuseDetected() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.s.ReuseDetections++
}

func (rec *recorder) stats() Stats {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := rec.s
	s.ByGrant, s.Issued = maps.Clone(s.ByGrant), maps.Clone(s.Issued)
	s.Errors, s.ClientAuth = maps.Clone(s.Errors), maps.Clone(s.ClientAuth)
	return s
}

func (rec *recorder) requests() []TokenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// captureWriter passes an answer through, keeping its status and a bounded copy
// of its body.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	wrote  bool
}

func (c *captureWriter) WriteHeader(code int) {
	if !c.wrote {
		c.status, c.wrote = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	c.wrote = true
	if room := maxAnswer - c.body.Len(); room > 0 {
		c.body.Write(p[:min(len(p), room)])
	}
	return c.ResponseWriter.Write(p)
}
