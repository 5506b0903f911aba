package transport

import "time"

// The retry state machine. One call moves through these states:
//
//	send ──answer or error──▶ decide ──Retry──▶ (renew?) ──▶ wait ──▶ send
//	                            │
//	                            └──stop──▶ done (the answer, or the error, goes to the caller)
//
// [Decide] is the "decide" step: a pure function of what the attempt met and
// of the call's state so far, so every rule is table-tested without a server.
// Everything with effects (the Renew call, the wait, go-retryablehttp's loop,
// the body drain) is in checkRetry, which only gathers Decide's inputs and
// carries out its Decision.

// Reason says why an attempt failed in a way a retry may mend. It labels the
// attempt in logs and telemetry whether or not the retry happens.
type Reason string

// The reasons of a failed attempt.
const (
	ReasonNone         Reason = ""        // a final answer: 2xx, or an error no retry mends
	ReasonUnauthorized Reason = "401"     // the credential was refused
	ReasonRateLimited  Reason = "429"     // 429, or 503 with Retry-After: the server asks to wait
	ReasonServerError  Reason = "5xx"     // the server failed (not 501)
	ReasonNetwork      Reason = "network" // no answer: connection refused, reset, cut mid-body
)

// Stop says why a Decision does not retry.
type Stop string

// The reasons a call stops.
const (
	StopNone          Stop = ""                // not stopped: Decision.Retry is true
	StopFinal         Stop = "final"           // the answer is final (2xx, 4xx, a permanent error)
	StopBudget        Stop = "budget"          // MaxRetries spent
	StopNotRenewable  Stop = "not_renewable"   // a 401 again, or a credential that cannot be renewed
	StopRetryAfterCap Stop = "retry_after_cap" // the server asks for a wait beyond MaxRetryWait
	StopDeadline      Stop = "deadline"        // the context's deadline comes before the wait ends
	StopNotReplayable Stop = "not_replayable"  // repeating could act twice, or the body cannot be sent again
)

// Failure classifies an attempt that got no answer.
type Failure int

// The kinds of failed attempts.
const (
	FailNone      Failure = iota // an answer arrived
	FailNeverSent                // the request never left this machine (dial, DNS): always safe to repeat
	FailAmbiguous                // sent, answer lost: the server may have acted
	FailPermanent                // no retry can mend it (bad certificate, insecure URL, undecodable 2xx)
)

// Attempt is what Decide looks at: the outcome of the attempt just made and
// the call's state.
type Attempt struct {
	Status  int     // the answer's status; 0 when none arrived
	Failure Failure // why no answer arrived
	Retries int     // retries already spent from MaxRetries (the 401 renewal is not one)
	Renewed bool    // the one 401 renewal has been used
	// Renewable: the attempt carried a credential that can be renewed (a bearer token).
	Renewable bool
	// Replayable: repeating the request cannot act twice (GET, PUT, DELETE, or a
	// POST with an Idempotency-Key). Only a replayable request is repeated after
	// an ambiguous failure or a 5xx.
	Replayable bool
	// Rewindable: the body can be sent again (none, or buffered).
	Rewindable bool

	RetryAfter    time.Duration // from the answer's Retry-After
	HasRetryAfter bool
	Backoff       time.Duration // the jittered backoff this retry would wait without Retry-After
	// RateLimitBackoff is the wait after a 429 without Retry-After: longer than
	// Backoff, since the server said it is overloaded but not for how long.
	RateLimitBackoff time.Duration
	// RateLimitRetries: retries already spent on 429s without Retry-After (they
	// count in Retries too); MaxRateLimitRetries caps them (0: none).
	RateLimitRetries    int
	MaxRateLimitRetries int
	MaxRetries          int
	MaxWait             time.Duration // cap on one wait; a longer Retry-After stops the call
	Remaining           time.Duration // until the context's deadline
	HasDeadline         bool
}

// Decision is what happens after an attempt.
type Decision struct {
	Retry  bool
	Renew  bool          // renew the credential before retrying (a 401)
	Wait   time.Duration // before the retry
	Spends bool          // the retry is taken from MaxRetries (every retry but the 401 renewal)
	Reason Reason
	Stop   Stop // why not, when Retry is false
}

// Decide is the retry policy, as a pure function.
//
//   - 401: renew the credential and retry once, at once, without spending a
//     retry; the server refused the request, so it did not act on it.
//   - 429, or 503 with Retry-After: wait as long as Retry-After says; a wait
//     beyond MaxWait stops, and the caller gets the answer with its RetryAfter.
//     A 429 is safe to repeat for any request.
//   - 429 without Retry-After: wait RateLimitBackoff (seconds, not the 5xx
//     backoff's milliseconds: a rate-limited server is not helped by a quick
//     burst of repeats; the MindPeeker document's own handler waits 60 s), at
//     most MaxRateLimitRetries times.
//   - other 5xx but 501, and lost answers: back off and retry, but only a
//     replayable request (the server may have acted on it).
//   - requests that never left this machine: back off and retry, whatever
//     the method.
//
// A retry also needs a rewindable body, budget left (but for the renewal), and
// a deadline later than the wait.
func Decide(a Attempt) Decision {
	d := reasonOf(a)
	switch {
	case d.Reason == ReasonNone:
		d.Stop = StopFinal
	case !a.Rewindable:
		d.Stop = StopNotReplayable
	case d.Reason == ReasonUnauthorized:
		if !a.Renewable || a.Renewed {
			d.Stop = StopNotRenewable
		} else {
			d.Retry, d.Renew = true, true
		}
	case needsReplay(a) && !a.Replayable:
		d.Stop = StopNotReplayable
	case a.Retries >= a.MaxRetries:
		d.Stop = StopBudget
	case blindRateLimit(a) && a.RateLimitRetries >= a.MaxRateLimitRetries:
		d.Stop = StopBudget
	case d.Reason == ReasonRateLimited && a.HasRetryAfter && a.RetryAfter > a.MaxWait:
		d.Stop = StopRetryAfterCap
	default:
		d.Retry, d.Spends, d.Wait = true, true, a.Backoff
		switch {
		case d.Reason == ReasonRateLimited && a.HasRetryAfter:
			d.Wait = a.RetryAfter
		case blindRateLimit(a):
			d.Wait = a.RateLimitBackoff
		}
	}
	if d.Retry && a.HasDeadline && a.Remaining < d.Wait {
		d.Retry, d.Renew, d.Spends, d.Wait, d.Stop = false, false, false, 0, StopDeadline
	}
	return d
}

// reasonOf classifies the attempt.
func reasonOf(a Attempt) Decision {
	switch {
	case a.Failure == FailPermanent:
		return Decision{}
	case a.Failure != FailNone:
		return Decision{Reason: ReasonNetwork}
	case a.Status == 401:
		return Decision{Reason: ReasonUnauthorized}
	case a.Status == 429 || (a.Status == 503 && a.HasRetryAfter):
		return Decision{Reason: ReasonRateLimited}
	case a.Status >= 500 && a.Status != 501:
		return Decision{Reason: ReasonServerError}
	}
	return Decision{}
}

// blindRateLimit reports a 429 that does not say how long to wait.
func blindRateLimit(a Attempt) bool {
	return a.Failure == FailNone && a.Status == 429 && !a.HasRetryAfter
}

// needsReplay reports attempts the server may have acted on: lost answers and
// 5xx (a 503 with Retry-After included: a gateway may say it after the
// backend acted).
func needsReplay(a Attempt) bool {
	return a.Failure == FailAmbiguous || a.Status >= 500
}
