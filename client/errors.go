package client

import (
	"context"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/ids"
	"github.com/mindpeeker/mindpeeker-go/internal/pager"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// APIError is returned (wrapped or not) for every non-2xx answer; use errors.As.
// A 429 or 503 whose Retry-After exceeds Config.MaxRetryWait is returned at once
// with RetryAfter set, instead of being slept.
type APIError = apierror.Error

// Sentinels for errors.Is: each matches an *APIError with that status.
var (
	ErrUnauthorized = apierror.ErrUnauthorized // 401: credentials refused (after one renewal)
	ErrForbidden    = apierror.ErrForbidden    // 403: the credential lacks a scope
	ErrNotFound     = apierror.ErrNotFound     // 404
	ErrConflict     = apierror.ErrConflict     // 409
	ErrRateLimited  = apierror.ErrRateLimited  // 429 (after the retries, or a wait beyond MaxRetryWait)
)

// Errors of calls that the SDK refuses to make or to trust, for errors.Is.
var (
	// ErrInvalidID: an id passed to Get, Delete, Revoke or Rotate is not an id
	// (empty, "..", a '/', '?', '%', white space, control characters, too long):
	// nothing is sent, since it would name another resource.
	ErrInvalidID = ids.ErrInvalid
	// ErrPagination: a listing was stopped because the server's pages would
	// never end (a cursor it gave before, endless empty pages) or held a null item.
	ErrPagination = pager.ErrPagination
	// ErrNotObject: a 2xx answer was not the object asked for ("null", "{}", a
	// key without its value); the error is a *DecodeError, and for Create and
	// Rotate an *UnconfirmedError, since the server acted.
	ErrNotObject = transport.ErrNotObject
	// ErrInvalidHeader: a header name or value (API key, User-Agent, a
	// Credential's header) holds a control character or is malformed: refused
	// by New, or before sending for per-request credentials; never retried.
	ErrInvalidHeader = transport.ErrInvalidHeader
)

// UnconfirmedError is returned when a call that changes something (Create,
// Rotate) may have been carried out, but its answer never arrived, even after
// the retries. Repeat the call with WithIdempotencyKey(ctx, e.IdempotencyKey) to
// get the server's stored answer (a rotated key, say) without acting twice.
type UnconfirmedError = transport.UnconfirmedError

// ErrTokenNotRenewed is returned (wrapped, with the 401 [*APIError]) when the
// server refused a token and Config.TokenSource handed out the same one again,
// so no retry could help. Its message says what to pass instead.
var ErrTokenNotRenewed = transport.ErrTokenNotRenewed

// DecodeError is returned when a 2xx answer's body is not the JSON expected.
type DecodeError = transport.DecodeError

// WithIdempotencyKey makes calls with ctx that send an Idempotency-Key (every
// POST) send key instead of a new one. Use it to repeat a call that ended in an
// *UnconfirmedError, or to keep a create idempotent across restarts of a program.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return transport.WithIdempotencyKey(ctx, key)
}
