package faulttest_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// expect is what the caller must see; desc is its wording in docs/faults.md.
type expect struct {
	desc  string
	check func(t *testing.T, err error)
}

var succeeds = expect{"success", func(t *testing.T, err error) { require.NoError(t, err) }}

// apiError expects an *client.APIError with status and code (and, for 429,
// the Retry-After the server sent when retryAfter is not zero).
func apiError(status int, code string, retryAfter time.Duration) expect {
	return expect{"*client.APIError " + strconv.Itoa(status) + " " + code, func(t *testing.T, err error) {
		var ae *client.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, status, ae.StatusCode)
		assert.Equal(t, code, ae.Code)
		assert.NotEmpty(t, ae.RequestID, "the request id is kept for support")
		if retryAfter > 0 {
			assert.Equal(t, retryAfter, ae.RetryAfter)
		}
		switch status {
		case 401:
			assert.ErrorIs(t, err, client.ErrUnauthorized)
		case 429:
			assert.ErrorIs(t, err, client.ErrRateLimited)
		}
	}}
}

// gatewayPage expects the APIError of a proxy's HTML 502 page: no code, and a
// short excerpt of the page's text as the message.
var gatewayPage = expect{"*client.APIError 502, Message an excerpt of the page", func(t *testing.T, err error) {
	apiError(502, "", 0).check(t, err)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "502 Bad Gateway 502 Bad Gateway nginx", ae.Message)
}}

// tokenError expects an *auth.TokenError for the grant with the token
// endpoint's status and OAuth code (0 and "" when no answer or no code), and
// more checks of its cause.
func tokenError(grant string, status int, code string, cause func(t *testing.T, err error)) expect {
	desc := "*auth.TokenError"
	if status != 0 {
		desc += " " + strconv.Itoa(status)
	}
	if code != "" {
		desc += " " + code
	}
	return expect{desc, func(t *testing.T, err error) {
		var te *auth.TokenError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, grant, te.Grant)
		assert.Equal(t, status, te.StatusCode)
		assert.Equal(t, code, te.Code)
		var ae *client.APIError
		assert.False(t, errors.As(err, &ae), "a token failure is not an API answer")
		if cause != nil {
			cause(t, err)
		}
	}}
}

// refused is the cause of a connection to a closed port.
func refused(t *testing.T, err error) {
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
}

// noAnswer is the cause of a connection closed without an answer.
func noAnswer(t *testing.T, err error) {
	var ue *url.Error
	assert.ErrorAs(t, err, &ue)
	assert.False(t, ue.Timeout(), "not a timeout: %v", err)
}

// timedOut is the cause of an http.Client Timeout.
func timedOut(t *testing.T, err error) {
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	// net/http adds "(Client.Timeout exceeded ...)" only when it wins a race
	// with the request's deadline, which it always does for its own
	// *http.Transport but not through a wrapping RoundTripper (the token
	// client's expires_in fix-up, otelhttp, ...): the text is not the contract.
}

// stalled is the cause of a connection silent for the stall bound.
func stalled(t *testing.T, err error) {
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.ErrorContains(t, err, "the stall bound")
}

// stalledCall expects the stall of the last attempt.
var stalledCall = expect{"net.Error Timeout(), errors.Is os.ErrDeadlineExceeded, naming the stall bound", func(t *testing.T, err error) {
	require.Error(t, err)
	stalled(t, err)
	var te *auth.TokenError
	assert.False(t, errors.As(err, &te))
}}

// answeredBeforeDeadline expects the 429 at once, with its RetryAfter, when
// the wait would outlast the caller's deadline: the error is the APIError and
// context.DeadlineExceeded both.
var answeredBeforeDeadline = expect{"*client.APIError 429 with RetryAfter, at once, and errors.Is context.DeadlineExceeded", func(t *testing.T, err error) {
	apiError(429, "rate_limited", 2*time.Second).check(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}}

// unconfirmed expects an *client.UnconfirmedError (the POST may have been
// carried out) carrying the call's Idempotency-Key, wrapping what inner expects.
func unconfirmed(inner expect) expect {
	return expect{"*client.UnconfirmedError with the Idempotency-Key, wrapping " + inner.desc, func(t *testing.T, err error) {
		var ue *client.UnconfirmedError
		require.ErrorAs(t, err, &ue)
		assert.NotEmpty(t, ue.IdempotencyKey)
		inner.check(t, err)
	}}
}

// deadline expects the caller's own context deadline.
var deadline = expect{"context.DeadlineExceeded (errors.Is)", func(t *testing.T, err error) {
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var ae *client.APIError
	assert.False(t, errors.As(err, &ae))
}}

// clientTimeout expects the http.Client Timeout of the last attempt.
var clientTimeout = expect{"net.Error Timeout(), errors.Is context.DeadlineExceeded", func(t *testing.T, err error) {
	require.Error(t, err)
	timedOut(t, err)
	var te *auth.TokenError
	assert.False(t, errors.As(err, &te))
}}

// connectionLost expects the transport error of the last attempt.
var connectionLost = expect{"*url.Error (connection closed, no answer)", func(t *testing.T, err error) {
	require.Error(t, err)
	noAnswer(t, err)
	var ae *client.APIError
	assert.False(t, errors.As(err, &ae))
}}

// decodeError expects a 2xx answer that is not the JSON expected.
var decodeError = expect{"*client.DecodeError 200", func(t *testing.T, err error) {
	var de *client.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 200, de.Status)
}}
