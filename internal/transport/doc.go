// Package transport is the SDK's request engine: it builds each API request,
// attaches the credential for the configured origin only, sends it through
// go-retryablehttp with the SDK's own retry policy, and turns the answer into a
// decoded value or an *apierror.Error.
//
// go-retryablehttp's defaults are wrong for this SDK and each is replaced on
// purpose: it retries POST blindly (here: only with an Idempotency-Key), its
// Retry-After handling is uncapped and RFC 1123-only (here: both RFC 9110 forms,
// capped by MaxRetryWait, and a longer wait is returned to the caller instead of
// slept), its backoff has no jitter (here: capped exponential with jitter), its
// logger writes to stderr (here: slog at debug level, or nothing), and its
// ErrorHandler throws the last response away (here: every answer is parsed).
//
// Telemetry (telemetry.go) hooks into the loop at four points only: the call's
// start (Engine.Do, roundTripper.RoundTrip), each request sent (a wrapper of
// the inner http.Client's Transport), each Decision (checkRetry), and the
// call's end (call.report). A nil *Telemetry makes each a nil check.
package transport
