package transport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDecide(t *testing.T) {
	// base: a GET with budget left and no deadline.
	base := Attempt{Replayable: true, Rewindable: true, MaxRetries: 3, MaxWait: 30 * time.Second, Backoff: time.Second,
		RateLimitBackoff: 5 * time.Second, MaxRateLimitRetries: 2}
	with := func(f func(*Attempt)) Attempt { a := base; f(&a); return a }
	tests := []struct {
		name string
		in   Attempt
		want Decision
	}{
		{"2xx is final", with(func(a *Attempt) { a.Status = 200 }), Decision{Stop: StopFinal}},
		{"404 is final", with(func(a *Attempt) { a.Status = 404 }), Decision{Stop: StopFinal}},
		{"501 is final", with(func(a *Attempt) { a.Status = 501 }), Decision{Stop: StopFinal}},
		{"permanent error is final", with(func(a *Attempt) { a.Failure = FailPermanent }), Decision{Stop: StopFinal}},
		{"401 renews without spending", with(func(a *Attempt) { a.Status, a.Renewable, a.Retries = 401, true, 3 }),
			Decision{Retry: true, Renew: true, Reason: ReasonUnauthorized}},
		{"401 renews a POST without a key", with(func(a *Attempt) { a.Status, a.Renewable, a.Replayable = 401, true, false }),
			Decision{Retry: true, Renew: true, Reason: ReasonUnauthorized}},
		{"second 401 stops", with(func(a *Attempt) { a.Status, a.Renewable, a.Renewed = 401, true, true }),
			Decision{Reason: ReasonUnauthorized, Stop: StopNotRenewable}},
		{"401 with an API key stops", with(func(a *Attempt) { a.Status = 401 }),
			Decision{Reason: ReasonUnauthorized, Stop: StopNotRenewable}},
		{"429 waits Retry-After", with(func(a *Attempt) { a.Status, a.RetryAfter, a.HasRetryAfter = 429, 2*time.Second, true }),
			Decision{Retry: true, Spends: true, Wait: 2 * time.Second, Reason: ReasonRateLimited}},
		{"429 without Retry-After waits the rate-limit backoff", with(func(a *Attempt) { a.Status = 429 }),
			Decision{Retry: true, Spends: true, Wait: 5 * time.Second, Reason: ReasonRateLimited}},
		{"429 without Retry-After, second retry", with(func(a *Attempt) { a.Status, a.Retries, a.RateLimitRetries = 429, 1, 1 }),
			Decision{Retry: true, Spends: true, Wait: 5 * time.Second, Reason: ReasonRateLimited}},
		{"429 without Retry-After: its own, smaller budget", with(func(a *Attempt) { a.Status, a.Retries, a.RateLimitRetries = 429, 2, 2 }),
			Decision{Reason: ReasonRateLimited, Stop: StopBudget}},
		{"429 without Retry-After not retried when disabled", with(func(a *Attempt) { a.Status, a.MaxRateLimitRetries = 429, 0 }),
			Decision{Reason: ReasonRateLimited, Stop: StopBudget}},
		{"429 with Retry-After ignores the rate-limit budget", with(func(a *Attempt) {
			a.Status, a.RetryAfter, a.HasRetryAfter, a.Retries, a.RateLimitRetries = 429, time.Second, true, 2, 2
		}), Decision{Retry: true, Spends: true, Wait: time.Second, Reason: ReasonRateLimited}},
		{"503 without Retry-After keeps the 5xx backoff", with(func(a *Attempt) { a.Status, a.RateLimitRetries = 503, 2 }),
			Decision{Retry: true, Spends: true, Wait: time.Second, Reason: ReasonServerError}},
		{"429 retried for a POST without a key", with(func(a *Attempt) { a.Status, a.Replayable = 429, false }),
			Decision{Retry: true, Spends: true, Wait: 5 * time.Second, Reason: ReasonRateLimited}},
		{"429 beyond the cap stops", with(func(a *Attempt) { a.Status, a.RetryAfter, a.HasRetryAfter = 429, time.Minute, true }),
			Decision{Reason: ReasonRateLimited, Stop: StopRetryAfterCap}},
		{"503 with Retry-After waits", with(func(a *Attempt) { a.Status, a.RetryAfter, a.HasRetryAfter = 503, 3*time.Second, true }),
			Decision{Retry: true, Spends: true, Wait: 3 * time.Second, Reason: ReasonRateLimited}},
		{"503 with Retry-After, POST without a key", with(func(a *Attempt) { a.Status, a.HasRetryAfter, a.Replayable = 503, true, false }),
			Decision{Reason: ReasonRateLimited, Stop: StopNotReplayable}},
		{"500 backs off", with(func(a *Attempt) { a.Status = 500 }),
			Decision{Retry: true, Spends: true, Wait: time.Second, Reason: ReasonServerError}},
		{"500 on a POST without a key stops", with(func(a *Attempt) { a.Status, a.Replayable = 500, false }),
			Decision{Reason: ReasonServerError, Stop: StopNotReplayable}},
		{"lost answer backs off", with(func(a *Attempt) { a.Failure = FailAmbiguous }),
			Decision{Retry: true, Spends: true, Wait: time.Second, Reason: ReasonNetwork}},
		{"lost answer of a POST without a key stops", with(func(a *Attempt) { a.Failure, a.Replayable = FailAmbiguous, false }),
			Decision{Reason: ReasonNetwork, Stop: StopNotReplayable}},
		{"never sent: retried whatever the method", with(func(a *Attempt) { a.Failure, a.Replayable = FailNeverSent, false }),
			Decision{Retry: true, Spends: true, Wait: time.Second, Reason: ReasonNetwork}},
		{"budget spent", with(func(a *Attempt) { a.Status, a.Retries = 500, 3 }),
			Decision{Reason: ReasonServerError, Stop: StopBudget}},
		{"no retries at all", with(func(a *Attempt) { a.Status, a.MaxRetries = 503, 0 }),
			Decision{Reason: ReasonServerError, Stop: StopBudget}},
		{"one-shot body", with(func(a *Attempt) { a.Status, a.Rewindable = 500, false }),
			Decision{Reason: ReasonServerError, Stop: StopNotReplayable}},
		{"one-shot body, 401", with(func(a *Attempt) { a.Status, a.Renewable, a.Rewindable = 401, true, false }),
			Decision{Reason: ReasonUnauthorized, Stop: StopNotReplayable}},
		{"deadline before the wait ends", with(func(a *Attempt) {
			a.Status, a.RetryAfter, a.HasRetryAfter, a.Remaining, a.HasDeadline = 429, 5*time.Second, true, time.Second, true
		}), Decision{Reason: ReasonRateLimited, Stop: StopDeadline}},
		{"deadline after the wait", with(func(a *Attempt) { a.Status, a.Remaining, a.HasDeadline = 500, time.Minute, true }),
			Decision{Retry: true, Spends: true, Wait: time.Second, Reason: ReasonServerError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Decide(tt.in))
		})
	}
}

// TestDecideSuccessIsFinal is what checkRetry's shortcut for a 2xx answer
// (decided without asking Decide) rests on: whatever else the attempt holds,
// a 2xx without a failure is final, with nothing renewed, spent or waited.
func TestDecideSuccessIsFinal(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204, 206, 299} {
		for _, a := range []Attempt{
			{},
			{Replayable: true, Rewindable: true, MaxRetries: 3, Backoff: time.Second},
			{Renewable: true, Renewed: true, Retries: 3, MaxRetries: 3},
			{Rewindable: false, Replayable: false, RetryAfter: time.Hour, HasRetryAfter: true, MaxWait: time.Second},
			{HasDeadline: true, Remaining: -time.Second, RateLimitRetries: 5, MaxRateLimitRetries: 2},
		} {
			a.Status = status
			assert.Equal(t, Decision{Stop: StopFinal}, Decide(a), "%+v", a)
			assert.True(t, is2xx(status))
		}
	}
	for _, status := range []int{100, 199, 300, 304, 401, 429, 500, 503} {
		assert.False(t, is2xx(status), "%d", status)
	}
}
