package mindpeekertest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// This file holds the JSON shapes of the wire contract (API.md section 1),
// written independently of the SDK's own types on purpose, and the helpers
// that write answers and errors.

// wireSession is a Session as the API serialises it.
type wireSession struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	TargetID  string    `json:"target_id,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// wireAPIKey is an APIKey as the API serialises it. Key is set only in the
// answers of create and rotate; the nullable times are always present.
type wireAPIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key,omitempty"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// wirePage is one page of a list answer. Data is never null.
type wirePage[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// wireCreateSession is the body of POST /v1/sessions.
type wireCreateSession struct {
	Title    string `json:"title"`
	TargetID string `json:"target_id"`
	Notes    string `json:"notes"`
}

// wireCreateAPIKey is the body of POST /v1/api-keys.
type wireCreateAPIKey struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
}

// wireError is the API error envelope: {"error":{"code":"...","message":"..."}}.
type wireError struct {
	Error wireErrorBody `json:"error"`
}

type wireErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// wireOAuthError is the RFC 6749 §5.2 error body of the token endpoint.
type wireOAuthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// API error codes (API.md section 1). These are the only codes the /v1
// API answers with: every other 4xx status uses invalid_request and every
// 5xx status uses internal.
const (
	codeInvalidRequest    = "invalid_request"    // 400, and 405, 422...
	codeInvalidToken      = "invalid_token"      // 401
	codeInsufficientScope = "insufficient_scope" // 403
	codeNotFound          = "not_found"          // 404
	codeConflict          = "conflict"           // 409
	codeRateLimited       = "rate_limited"       // 429
	codeInternal          = "internal"           // 5xx
)

// apiError is an error answer of the /v1 API before it is written.
type apiError struct {
	status  int
	code    string
	message string
	// scope, for 403 insufficient_scope, names the scopes that would do.
	scope string
}

func errInvalidRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidRequest, message: msg}
}

func errNotFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, message: msg}
}

func errConflict(msg string) *apiError {
	return &apiError{status: http.StatusConflict, code: codeConflict, message: msg}
}

func errInvalidToken(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: codeInvalidToken, message: msg}
}

// codeForStatus derives the API error code from an HTTP status, as the
// FaultStatus fault does: the code API.md gives the status, internal for
// every 5xx, invalid_request for any other status.
func codeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return codeInvalidToken
	case status == http.StatusForbidden:
		return codeInsufficientScope
	case status == http.StatusNotFound:
		return codeNotFound
	case status == http.StatusConflict:
		return codeConflict
	case status == http.StatusTooManyRequests:
		return codeRateLimited
	case status >= 500:
		return codeInternal
	default:
		return codeInvalidRequest
	}
}

// writeJSON writes v as a JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own wire types are marshalled; this cannot happen.
		panic("mindpeekertest: marshal answer: " + err.Error())
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeAPIError writes e with the API error envelope, and the
// WWW-Authenticate challenge RFC 6750 asks for on 401 and 403.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	switch e.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case http.StatusForbidden:
		if e.scope != "" {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+e.scope+`"`)
		}
	}
	writeJSON(w, e.status, wireError{Error: wireErrorBody{Code: e.code, Message: e.message}})
}

// writeNoContent answers 204 with no body.
func writeNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}
