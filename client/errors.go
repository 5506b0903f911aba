package client

import "github.com/mindpeeker/mindpeeker-go/internal/apierror"

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
