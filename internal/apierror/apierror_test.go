package apierror_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

func response(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		resp *http.Response
		want apierror.Error
	}{
		{"envelope", response(404, `{"error":{"code":"not_found","message":"no such session"}}`, "X-Request-Id", "req_1"),
			apierror.Error{StatusCode: 404, Code: "not_found", Message: "no such session", RequestID: "req_1"}},
		{"429 seconds", response(429, `{"error":{"code":"rate_limited","message":"slow"}}`, "Retry-After", "7"),
			apierror.Error{StatusCode: 429, Code: "rate_limited", Message: "slow", RetryAfter: 7 * time.Second}},
		{"503 date", response(503, `{"error":{"code":"internal","message":"x"}}`, "Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)),
			apierror.Error{StatusCode: 503, Code: "internal", Message: "x", RetryAfter: 90 * time.Second}},
		{"html", response(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
			apierror.Error{StatusCode: 502, Message: "502 Bad Gateway"}},
		{"empty", response(500, ""), apierror.Error{StatusCode: 500, Message: "Internal Server Error"}},
		{"json message only", response(400, `{"message":"bad"}`), apierror.Error{StatusCode: 400, Message: "bad"}},
		{"oauth (Mindbaz SSO)", response(400, `{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`),
			apierror.Error{StatusCode: 400, Code: "invalid_grant", Message: "The user name or password is incorrect."}},
		{"oauth without description", response(401, `{"error":"invalid_token"}`),
			apierror.Error{StatusCode: 401, Code: "invalid_token", Message: "Unauthorized"}},
		{"json-login service", response(401, `{"error":"invalid_credentials","message":"bad user_key"}`),
			apierror.Error{StatusCode: 401, Code: "invalid_credentials", Message: "bad user_key"}},
		{"envelope without code", response(500, `{"error":{"message":"boom"}}`), apierror.Error{StatusCode: 500, Message: "boom"}},
		{"problem+json", response(403, `{"type":"about:blank","title":"Forbidden","detail":"no scope"}`),
			apierror.Error{StatusCode: 403, Message: "Forbidden: no scope"}},
		{"mindtouch xml", response(403, `<?xml version="1.0"?><error><status>403</status><title>Forbidden</title><message>Access to the requested resource is forbidden</message><uri>https://x.mindtouch.us/@api/deki/pages</uri></error>`),
			apierror.Error{StatusCode: 403, Message: "Access to the requested resource is forbidden"}},
		{"plain text", response(503, "upstream connect error\r\n"), apierror.Error{StatusCode: 503, Message: "upstream connect error"}},
		{"terminal escapes", response(400, `{"error":"x\u001b[31m","error_description":"red\u001b[0m text"}`),
			apierror.Error{StatusCode: 400, Code: "x", Message: "red text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, *apierror.Parse(tt.resp, now))
		})
	}
}

func TestSentinels(t *testing.T) {
	for status, sentinel := range map[int]error{401: apierror.ErrUnauthorized, 403: apierror.ErrForbidden,
		404: apierror.ErrNotFound, 409: apierror.ErrConflict, 429: apierror.ErrRateLimited} {
		err := fmt.Errorf("wrapped: %w", &apierror.Error{StatusCode: status})
		assert.ErrorIs(t, err, sentinel)
		assert.NotErrorIs(t, &apierror.Error{StatusCode: 500}, sentinel)
	}
	assert.False(t, errors.Is(&apierror.Error{StatusCode: 404}, errors.New("other")))
}

func ExampleParseRetryAfter() {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, v := range []string{"120", "Mon, 23 Nov 2026 12:00:30 GMT", "soon"} {
		d, ok := apierror.ParseRetryAfter(v, now)
		fmt.Println(d, ok)
	}
	// Output:
	// 2m0s true
	// 30s true
	// 0s false
}

func TestParseKeepsSecretsOut(t *testing.T) {
	const secret = `pa"ss/wörd`
	tests := []struct {
		name, body string
	}{
		{"text", "refused password " + secret + " for user"},
		{"JSON, escaped", `{"error":"invalid_` + `grant","error_description":"refresh token pa\"ss/wörd is spent"}`},
		{"secret cut by the excerpt bound", strings.Repeat("x", 110) + secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apierror.Parse(response(400, tt.body), time.Now(), "", secret)
			assert.NotContains(t, e.Error(), `pa"ss`)
			assert.NotContains(t, e.Error(), `pa\"ss`)
			assert.NotContains(t, e.Error(), "wörd")
		})
	}
}
