package jsonlogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

const grantName = "jsonlogin"

// checkBase checks that base may carry credentials (https, or http to a
// loopback host).
func checkBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return &auth.TokenError{Grant: grantName, Err: fmt.Errorf("jsonlogin: invalid base URL %s", auth.RedactURL(base))}
	}
	if err := auth.CheckSecureURL(u); err != nil {
		return &auth.TokenError{Grant: grantName, Err: err}
	}
	return nil
}

// httpClient returns own, else the client in ctx under [oauth2.HTTPClient] (as
// x/oauth2 does), else the SDK's shared, stall-bounded client ([auth.TokenHTTPClient] of nil); as a copy that follows no redirect to
// another origin ([auth.TokenHTTPClient]), since the request body carries a secret.
func httpClient(ctx context.Context, own *http.Client) *http.Client {
	c := own
	if c == nil {
		c, _ = ctx.Value(oauth2.HTTPClient).(*http.Client)
	}
	return auth.TokenHTTPClient(c)
}

// post sends body as JSON to base+path and decodes a 2xx answer into out,
// through the module's request engine, with the policy a request carrying
// secrets in its body needs:
//
//   - no redirect to another origin (hc is an [auth.TokenHTTPClient]);
//   - retried only when the server cannot have acted on it: it never left this
//     machine, or the answer was a 429 with Retry-After (waited out, up to
//     10s; a 429 without it is returned at once, for the caller or the
//     [auth.Source] to decide). Never after a 5xx or a lost answer: a
//     /refresh is not idempotent on a server that rotates refresh tokens, and
//     a repeat could spend the refresh token twice (then the grant's fallback,
//     a new /authenticate, is what recovers); /authenticate and /register
//     follow the same rule, as a POST without an Idempotency-Key;
//   - a 401 is the answer, not renewed: there is no bearer token to renew.
//
// Any failure is a *auth.TokenError (wrapping the *client.APIError of a
// failure answer) whose text contains none of secrets.
func post(ctx context.Context, hc *http.Client, base, path string, body, out any, secrets ...string) error {
	if err := checkBase(base); err != nil {
		return err
	}
	e, err := transport.New(transport.Options{
		BaseURL: base, HTTPClient: hc, MaxRetries: 2, MinRetryWait: 250 * time.Millisecond, MaxRetryWait: 10 * time.Second,
		UserAgent:              "mindpeeker-go jsonlogin",
		DisableIdempotencyKeys: true,
	})
	if err != nil {
		return &auth.TokenError{Grant: grantName, Err: err}
	}
	// No Idempotency-Key, not even one the caller's context carries for its
	// own API call: this service does not honour them, and with one the
	// engine would repeat the request after a 5xx.
	ctx = transport.WithIdempotencyKey(transport.WithSecrets(ctx, secrets...), "")
	err = e.Do(ctx, http.MethodPost, path, body, out)
	var ae *apierror.Error
	var de *transport.DecodeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		return &auth.TokenError{Grant: grantName, StatusCode: ae.StatusCode, Code: ae.Code, Description: ae.Message, Err: err}
	case errors.As(err, &de):
		// A successful answer holds tokens: it never goes into an error message.
		return &auth.TokenError{Grant: grantName, Err: fmt.Errorf("jsonlogin: the answer of %s (HTTP %d) is not the expected JSON object", path, de.Status)}
	}
	return &auth.TokenError{Grant: grantName, Err: err}
}

// refused reports whether err is the server refusing the request's credentials
// (400, 401 or 403), as opposed to a network or server failure.
func refused(err error) bool {
	var te *auth.TokenError
	if !errors.As(err, &te) {
		return false
	}
	switch te.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}
