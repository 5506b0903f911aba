package faulttest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// faultMatrix is the suite. Counts assume MaxRetries 3 and no keep-alives.
var faultMatrix = append(transportRows, hostileRows...)

// transportRows are the rows for a network or server that fails.
var transportRows = []row{
	// The token endpoint (client credentials through client.Config).
	{name: "token/down", fault: "token endpoint down (closed port)", op: getSession, tokenDown: true,
		want: tokenError(grantCC, 0, "", refused), api: 0, token: 0},
	{name: "token/slow-beyond-deadline", fault: "token endpoint answers after 1.5 s; caller deadline 300 ms", op: getSession,
		setup: func(e *env) { e.srv.SetTokenLatency(1500 * time.Millisecond) }, deadline: 300 * time.Millisecond,
		want: deadline, api: 0, token: 1, maxTime: time.Second, after: nextCallJoinsRenewal},
	{name: "token/503", fault: "token endpoint answers 503", op: getSession,
		setup: inject(status(503, 1, "", tokenTarget)),
		want:  tokenError(grantCC, 503, "temporarily_unavailable", nil), api: 0, token: 1, after: nextCallSucceeds(1, 2)},
	{name: "token/html-502", fault: "token endpoint answers a 502 HTML page", op: getSession,
		setup: inject(kind(mindpeekertest.FaultHTML, 1, tokenTarget)),
		want:  tokenError(grantCC, 502, "", nil), api: 0, token: 1},
	{name: "token/garbage-200", fault: "token endpoint answers 200 with a body that is not JSON", op: getSession,
		setup: inject(kind(mindpeekertest.FaultGarbage, 1, tokenTarget)),
		want:  tokenError(grantCC, 0, "", nil), api: 0, token: 1},
	{name: "token/dropped", fault: "token endpoint closes the connection without answering", op: getSession,
		setup: inject(kind(mindpeekertest.FaultDropBefore, 1, tokenTarget)),
		want:  tokenError(grantCC, 0, "", noAnswer), api: 0, token: 1},
	{name: "token/hang-caller-deadline", fault: "token endpoint never answers; caller deadline 300 ms, twice", op: getSession,
		setup: inject(kind(mindpeekertest.FaultHang, 1, tokenTarget)), deadline: 300 * time.Millisecond,
		want: deadline, api: 0, token: 1, maxTime: time.Second, after: nextCallerJoinsHungRenewal},
	{name: "token/hang-client-timeout", fault: "token endpoint never answers; http.Client.Timeout 300 ms", op: getSession,
		setup: inject(kind(mindpeekertest.FaultHang, 1, tokenTarget)), httpTimeout: 300 * time.Millisecond,
		want: tokenError(grantCC, 0, "", timedOut), api: 0, token: 1, maxTime: 3 * time.Second},
	{name: "token/stall", fault: "token endpoint goes silent; stall bound 300 ms, no deadline", op: getSession,
		setup: inject(kind(mindpeekertest.FaultHang, 1, tokenTarget)), stall: 300 * time.Millisecond,
		want: tokenError(grantCC, 0, "", stalled), api: 0, token: 1, minTime: 200 * time.Millisecond, maxTime: 3 * time.Second},

	// API errors on a GET.
	{name: "get/5xx-burst-shorter", fault: "500 three times (< MaxRetries+1)", op: getSession, warm: true,
		setup: inject(status(500, 3, "", getTarget)), want: succeeds, api: 4},
	{name: "get/5xx-burst-longer", fault: "503 four times (= MaxRetries+1)", op: getSession, warm: true,
		setup: inject(status(503, retriesPlus1, "", getTarget)), want: apiError(503, "internal", 0), api: 4},
	{name: "get/html-502-longer", fault: "gateway 502 HTML page four times", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHTML, retriesPlus1, getTarget)), want: gatewayPage, api: 4},
	{name: "get/429-retry-after-seconds", fault: "429 Retry-After: 1 (MaxRetryWait 2 s)", op: getSession, warm: true,
		setup: inject(status(429, 1, "1", getTarget)), maxRetryWait: 2 * time.Second,
		want: succeeds, api: 2, minTime: 900 * time.Millisecond},
	{name: "get/429-retry-after-date", fault: "429 Retry-After: HTTP-date 1–2 s ahead (MaxRetryWait 3 s)", op: getSession, warm: true,
		setup: func(e *env) {
			e.srv.Inject(status(429, 1, time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat), getTarget))
		}, maxRetryWait: 3 * time.Second,
		want: succeeds, api: 2, minTime: 900 * time.Millisecond},
	{name: "get/503-retry-after-past-date", fault: "503 Retry-After: a date in the past", op: getSession, warm: true,
		setup: inject(status(503, 1, "Thu, 01 Jan 1970 00:00:00 GMT", getTarget)), maxRetryWait: 2 * time.Second,
		want: succeeds, api: 2, maxTime: time.Second},
	{name: "get/429-beyond-max-retry-wait", fault: "429 Retry-After: 120 (MaxRetryWait 2 s)", op: getSession, warm: true,
		setup: inject(status(429, 1, "120", getTarget)), maxRetryWait: 2 * time.Second,
		want: apiError(429, "rate_limited", 120*time.Second), api: 1, maxTime: time.Second},
	{name: "get/429-retry-after-beyond-deadline", fault: "429 Retry-After: 2 (MaxRetryWait 3 s); caller deadline 300 ms", op: getSession, warm: true,
		setup: inject(status(429, 1, "2", getTarget)), maxRetryWait: 3 * time.Second, deadline: 300 * time.Millisecond,
		want: answeredBeforeDeadline, api: 1, maxTime: 250 * time.Millisecond},
	{name: "get/429-storm", fault: "429 Retry-After: 0 four times", op: getSession, warm: true,
		setup: inject(status(429, retriesPlus1, "0", getTarget)), want: apiError(429, "rate_limited", 0), api: 4},
	{name: "get/401-after-revoke", fault: "all tokens revoked (RevokeAllTokens): 401", op: getSession, warm: true,
		setup: func(e *env) { e.srv.RevokeAllTokens() }, want: succeeds, api: 2, token: 1},
	{name: "get/401-after-revoke-concurrent", fault: "all tokens revoked; 8 callers meet the 401 at once", op: getSessionConcurrently, warm: true,
		setup: func(e *env) { e.srv.RevokeAllTokens() }, want: succeeds, api: concurrentCallers + 1, apiMax: 2 * concurrentCallers, token: 1},
	{name: "get/401-after-revoke-token-503", fault: "all tokens revoked: 401, then the token endpoint answers 503 (twice)", op: getSession, warm: true,
		// The 401 starts a renewal; the retry joins it, or, when it comes
		// after that renewal failed, starts one more: hence 1–2 token requests.
		setup: func(e *env) { e.srv.RevokeAllTokens(); e.srv.Inject(status(503, 2, "", tokenTarget)) }, faultsMayRemain: true,
		want: tokenError(grantCC, 503, "temporarily_unavailable", nil), api: 1, token: 1, tokenMax: 2,
		after: func(t *testing.T, e *env) {
			e.srv.ClearFaults()
			tokens := e.srv.Stats().TokenRequests
			nextCallSucceeds(2, tokens+1)(t, e)
		}},
	{name: "get/401-twice", fault: "401 twice", op: getSession, warm: true,
		setup: inject(status(401, 2, "", getTarget)), want: apiError(401, "invalid_token", 0), api: 2, token: 1},
	{name: "get/dropped-before", fault: "connection closed before processing", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropBefore, 1, getTarget)), want: succeeds, api: 2},
	{name: "get/dropped-after", fault: "connection closed after processing", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, 1, getTarget)), want: succeeds, api: 2},
	{name: "get/dropped-every-attempt", fault: "connection closed before processing, four times", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropBefore, retriesPlus1, getTarget)), want: connectionLost, api: 4},
	{name: "get/cut-mid-body", fault: "body cut in half (Content-Length of the whole)", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultCutBody, 1, getTarget)), want: succeeds, api: 2},
	{name: "get/garbage-200", fault: "200 with a body that is not JSON", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultGarbage, 1, getTarget)), want: decodeError, api: 1},
	{name: "get/hang-caller-deadline", fault: "never answers; caller deadline 300 ms", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHang, 1, getTarget)), deadline: 300 * time.Millisecond,
		want: deadline, api: 1, maxTime: 2 * time.Second},
	{name: "get/hang-client-timeout", fault: "never answers once; http.Client.Timeout 300 ms", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHang, 1, getTarget)), httpTimeout: 300 * time.Millisecond,
		want: succeeds, api: 2, minTime: 250 * time.Millisecond},
	{name: "get/hang-client-timeout-every-attempt", fault: "never answers, four times; http.Client.Timeout 250 ms", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHang, retriesPlus1, getTarget)), httpTimeout: 250 * time.Millisecond,
		want: clientTimeout, api: 4, minTime: 900 * time.Millisecond, maxTime: 15 * time.Second},
	{name: "get/stall-once", fault: "goes silent once; stall bound 300 ms, no deadline", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHang, 1, getTarget)), stall: 300 * time.Millisecond,
		want: succeeds, api: 2, minTime: 200 * time.Millisecond, maxTime: 3 * time.Second},
	{name: "get/stall-every-attempt", fault: "goes silent, four times; stall bound 250 ms, no deadline", op: getSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHang, retriesPlus1, getTarget)), stall: 250 * time.Millisecond,
		want: stalledCall, api: 4, minTime: 700 * time.Millisecond, maxTime: 15 * time.Second},

	// Session create (POST with an Idempotency-Key).
	{name: "create/dropped-before", fault: "connection closed before processing", op: createSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropBefore, 1, createTarget)), want: succeeds, api: 2, state: state{Sessions: 1}},
	{name: "create/dropped-after", fault: "connection closed after processing", op: createSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, 1, createTarget)), want: succeeds, api: 2, state: state{Sessions: 1}},
	{name: "create/cut-mid-body", fault: "body cut in half", op: createSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultCutBody, 1, createTarget)), want: succeeds, api: 2, state: state{Sessions: 1}},
	{name: "create/stall-once", fault: "goes silent once; stall bound 300 ms, no deadline", op: createSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultHang, 1, createTarget)), stall: 300 * time.Millisecond,
		want: succeeds, api: 2, state: state{Sessions: 1}, minTime: 200 * time.Millisecond, maxTime: 3 * time.Second},
	{name: "create/5xx-burst-shorter", fault: "502 twice", op: createSession, warm: true,
		setup: inject(status(502, 2, "", createTarget)), want: succeeds, api: 3, state: state{Sessions: 1}},
	{name: "create/dropped-after-every-attempt", fault: "connection closed after processing, four times", op: createSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, retriesPlus1, createTarget)), want: connectionLost, api: 4, state: state{Sessions: 1}},
	{name: "create/slower-than-deadline", fault: "answers after 1 s; caller deadline 300 ms", op: createSession, warm: true,
		setup:    inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDelay, Delay: time.Second, Target: createTarget}),
		deadline: 300 * time.Millisecond, want: deadline, api: 1, maxTime: 1500 * time.Millisecond, after: neverDone(func(st mindpeekertest.Stats) int { return st.SessionsCreated })},

	// API key create.
	{name: "key-create/dropped-before", fault: "connection closed before processing", op: createKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropBefore, 1, keyTarget)), want: succeeds, api: 2, state: state{Keys: 1}},
	{name: "key-create/dropped-after", fault: "connection closed after processing", op: createKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, 1, keyTarget)), want: succeeds, api: 2, state: state{Keys: 1}},
	{name: "key-create/cut-mid-body", fault: "body cut in half", op: createKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultCutBody, 1, keyTarget)), want: succeeds, api: 2, state: state{Keys: 1}},

	// API key rotate.
	{name: "rotate/dropped-before", fault: "connection closed before processing", op: rotateKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropBefore, 1, rotateTarget)), want: succeeds, api: 2, state: state{Rotations: 1}},
	{name: "rotate/dropped-after", fault: "connection closed after processing", op: rotateKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, 1, rotateTarget)), want: succeeds, api: 2, state: state{Rotations: 1}},
	{name: "rotate/cut-mid-body", fault: "body cut in half", op: rotateKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultCutBody, 1, rotateTarget)), want: succeeds, api: 2, state: state{Rotations: 1}},
	{name: "rotate/5xx-burst-shorter", fault: "503 twice", op: rotateKey, warm: true,
		setup: inject(status(503, 2, "", rotateTarget)), want: succeeds, api: 3, state: state{Rotations: 1}},
	{name: "rotate/dropped-after-every-attempt", fault: "connection closed after processing, four times", op: rotateKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, retriesPlus1, rotateTarget)), want: unconfirmed(connectionLost), api: 4, state: state{Rotations: 1},
		after: func(t *testing.T, e *env) {
			var ue *client.UnconfirmedError
			require.ErrorAs(t, e.err, &ue)
			ctx := client.WithIdempotencyKey(context.Background(), ue.IdempotencyKey)
			k, err := e.c.APIKeys.Rotate(ctx, e.keyID)
			require.NoError(t, err, "repeating the call with its Idempotency-Key recovers the answer")
			assert.True(t, e.keyWorks(k.Key), "the recovered key is the one the server kept")
			assert.Equal(t, 1, e.srv.Stats().Rotations, "recovered, not rotated twice")
		}},
	{name: "rotate/slower-than-deadline", fault: "answers after 1 s; caller deadline 300 ms", op: rotateKey, warm: true,
		setup:    inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDelay, Delay: time.Second, Target: rotateTarget}),
		deadline: 300 * time.Millisecond, want: deadline, api: 1, maxTime: 1500 * time.Millisecond,
		after: func(t *testing.T, e *env) {
			neverDone(func(st mindpeekertest.Stats) int { return st.Rotations })(t, e)
			assert.True(t, e.keyWorks(e.key), "the old key still works")
		}},

	// Deletes (no Idempotency-Key: DELETE is idempotent by nature).
	{name: "delete/dropped-before", fault: "connection closed before processing", op: deleteSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropBefore, 1, "DELETE /v1/sessions/")), want: succeeds, api: 2},
	{name: "delete/dropped-after", fault: "connection closed after processing", op: deleteSession, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, 1, "DELETE /v1/sessions/")), want: succeeds, api: 2,
		// The retry answers 404: after a lost answer that means done.
		after: sessionGone},
	{name: "revoke/dropped-after", fault: "connection closed after processing", op: revokeKey, warm: true,
		setup: inject(kind(mindpeekertest.FaultDropAfter, 1, "DELETE /v1/api-keys/")), want: succeeds, api: 2},

	// Refresh tokens (auth.Source over auth.Password; the token expired by the clock).
	{name: "refresh/503", fault: "refresh answered 503", op: getSession, grant: passwordGrant, warm: true,
		setup: func(e *env) { e.clock.Advance(expireByClock); e.srv.Inject(status(503, 1, "", tokenTarget)) },
		want:  tokenError(grantRefresh, 503, "temporarily_unavailable", nil), api: 0, token: 1,
		after: func(t *testing.T, e *env) {
			nextCallSucceeds(1, 2)(t, e)
			assert.Equal(t, map[string]int{grantRefresh: 2}, e.srv.Stats().TokenRequestsByGrant, "the refresh token was not lost")
			assert.Zero(t, e.srv.Stats().SpentRefreshReuse)
		}},
	{name: "refresh/answer-lost", fault: "refresh processed, connection closed before the answer", op: getSession, grant: passwordGrant, warm: true,
		setup: func(e *env) {
			e.clock.Advance(expireByClock)
			e.srv.Inject(kind(mindpeekertest.FaultDropAfter, 1, tokenTarget))
		},
		want: tokenError(grantRefresh, 0, "", noAnswer), api: 0, token: 1,
		after: func(t *testing.T, e *env) {
			nextCallSucceeds(1, 3)(t, e)
			st := e.srv.Stats()
			assert.Equal(t, map[string]int{grantRefresh: 2, "password": 1}, st.TokenRequestsByGrant,
				"the spent refresh token is refused (invalid_grant) and the password logs in again")
			assert.Equal(t, 1, st.SpentRefreshReuse, "the lost answer's refresh token is presented once more, not more")
		}},
	{name: "refresh/401-after-revoke", fault: "all tokens revoked (RevokeAllTokens): 401, refresh invalid_grant", op: getSession, grant: passwordGrant, warm: true,
		setup: func(e *env) { e.srv.RevokeAllTokens() }, want: succeeds, api: 2, token: 2,
		after: func(t *testing.T, e *env) {
			assert.Equal(t, map[string]int{grantRefresh: 1, "password": 1}, e.srv.Stats().TokenRequestsByGrant)
		}},
}
