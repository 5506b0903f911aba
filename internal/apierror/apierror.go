// Package apierror is the MindPeeker API's error type and its parsing. The type is
// re-exported as client.APIError, so that the service packages can return it
// without importing the client package.
package apierror

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// MaxBody bounds how much of an error response is read.
const MaxBody = 64 << 10

// Sentinels for the common checks: errors.Is(err, ErrNotFound) holds for any
// *Error with that status, however it is wrapped.
var (
	ErrUnauthorized = errors.New("mindpeeker: unauthorized (401)")
	ErrForbidden    = errors.New("mindpeeker: forbidden (403)")
	ErrNotFound     = errors.New("mindpeeker: not found (404)")
	ErrConflict     = errors.New("mindpeeker: conflict (409)")
	ErrRateLimited  = errors.New("mindpeeker: rate limited (429)")
)

var sentinelStatus = map[error]int{
	ErrUnauthorized: http.StatusUnauthorized,
	ErrForbidden:    http.StatusForbidden,
	ErrNotFound:     http.StatusNotFound,
	ErrConflict:     http.StatusConflict,
	ErrRateLimited:  http.StatusTooManyRequests,
}

// Error is returned for every non-2xx answer of the API.
type Error struct {
	StatusCode int
	Code       string        // "not_found", "invalid_token", ... ("" when the body had none)
	Message    string        // the server's message, or an excerpt of a non-JSON body
	RequestID  string        // X-Request-Id, for support requests
	RetryAfter time.Duration // from Retry-After when present
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mindpeeker: HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Is reports whether target is the sentinel for e's status code.
func (e *Error) Is(target error) bool {
	status, ok := sentinelStatus[target]
	return ok && status == e.StatusCode
}

// Parse reads (at most MaxBody of) resp's body, closes it, and returns the error
// it describes. The JSON envelope {"error":{"code","message"}} is understood, and
// so are bodies that are not JSON (a proxy's HTML page): then Message is a short
// excerpt of the text. Each of secrets (what the request carried: a token, a
// password) is blanked out (auth.Scrub) before the body is read for a message,
// so an answer that quotes one back does not put it in the error.
func Parse(resp *http.Response, now time.Time, secrets ...string) *Error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	body = []byte(auth.Scrub(string(body), secrets...))
	e := &Error{StatusCode: resp.StatusCode, RequestID: auth.Excerpt(resp.Header.Get("X-Request-Id"), 128)}
	e.RetryAfter, _ = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	e.Code, e.Message = describe(body)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// withoutTags returns the text of body with its markup (a proxy's HTML page)
// dropped, for auth.Excerpt to clean and cut.
func withoutTags(body []byte) string {
	var b strings.Builder
	inTag := false
	for _, r := range string(body) {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}
