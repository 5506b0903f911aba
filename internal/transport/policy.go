package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// checkRetry is the retry policy. Every request the engine sends is safe to
// repeat (GET/PUT/DELETE by nature, others by their Idempotency-Key), so
// ambiguous failures are retried; what varies is why and how long to wait.
//
// It also does the waiting: go-retryablehttp's Backoff hook gets no context,
// so the wait happens here, where the caller's context can end it and the
// deadline can be weighed against the very wait that will be slept.
func (e *Engine) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c := callFrom(ctx)
	if c.handled {
		// go-retryablehttp asks again after our response handler ran; only a
		// body that could not be read is news, unless the call was stopped.
		c.handled = false
		if c.stopped != nil || err == nil {
			return false, c.stopped
		}
	} else {
		c.attempts++
	}
	c.lastAmbiguous = (err != nil && !neverSent(err)) || (resp != nil && resp.StatusCode >= 500)
	c.maybeApplied = c.maybeApplied || c.lastAmbiguous
	if ctx.Err() != nil {
		c.stopped = ctx.Err()
		return false, c.stopped
	}
	retry, wait := c.decide(resp, err)
	if dl, ok := ctx.Deadline(); retry && ok && time.Until(dl) < wait {
		// The caller would be gone before the wait ends: hand it the answer
		// (a 429 with its RetryAfter, say) now rather than its deadline later.
		retry, wait = false, 0
		c.deadlineFirst = true
	}
	e.logAttempt(ctx, c, resp, err, retry, wait)
	if retry && wait > 0 {
		if resp != nil { // free the connection for others while waiting
			io.Copy(io.Discard, io.LimitReader(resp.Body, apierror.MaxBody))
			resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			c.stopped = ctx.Err()
			return false, c.stopped
		case <-timer.C:
		}
	}
	return retry, nil
}

func (c *call) decide(resp *http.Response, err error) (bool, time.Duration) {
	e := c.engine
	if err != nil {
		if permanent(err) {
			return false, 0
		}
		return c.spend(e.jitter(c.retries))
	}
	switch status := resp.StatusCode; {
	case status == http.StatusUnauthorized:
		// Renew once: the token may have been revoked or expired early. A
		// second 401 is the caller's.
		if c.tok == nil || c.renewed || !e.auth.Invalidate(c.tok) {
			return false, 0
		}
		c.renewed = true
		return true, 0
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		wait, ok := apierror.ParseRetryAfter(resp.Header.Get("Retry-After"), e.now())
		if !ok {
			return c.spend(e.jitter(c.retries))
		}
		if wait > e.opts.MaxRetryWait {
			return false, 0 // the caller gets the APIError with RetryAfter
		}
		return c.spend(wait)
	case status >= 500 && status != http.StatusNotImplemented:
		return c.spend(e.jitter(c.retries))
	}
	return false, 0
}

// spend takes one retry from the budget, if any is left.
func (c *call) spend(wait time.Duration) (bool, time.Duration) {
	if c.retries >= c.engine.opts.MaxRetries {
		return false, 0
	}
	c.retries++
	return true, wait
}

// permanent reports errors that no retry can mend.
func permanent(err error) bool {
	var de *DecodeError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &de) || errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.Is(err, auth.ErrInsecureURL) ||
		errors.Is(err, errTooManyRedirects) || errors.Is(err, ErrInvalidHeader)
}

// jitter is capped exponential backoff with "equal jitter": a random wait in
// [d/2, d] where d doubles from MinRetryWait on each retry.
func (e *Engine) jitter(retry int) time.Duration {
	d := min(e.opts.MinRetryWait<<min(retry, 20), e.opts.MaxRetryWait)
	return d/2 + rand.N(d/2+1)
}

// noBackoff is go-retryablehttp's Backoff: checkRetry has already waited.
func noBackoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

// neverSent reports errors that mean the request did not leave this machine
// (no connection, no name), so the server cannot have acted on it.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || permanent(err) ||
		// net/http refuses such a request before writing it; it exports no error type for it.
		strings.Contains(err.Error(), "net/http: invalid header field")
}

// prepareRetry puts a fresh credential on the next attempt: renewed after a
// 401, re-signed for per-request credentials. The header map is copied first,
// as go-retryablehttp's shallow request copy shares it with the last attempt.
func (e *Engine) prepareRetry(req *http.Request) error {
	if e.auth == nil {
		return nil
	}
	req.Header = req.Header.Clone()
	return callFrom(req.Context()).authorize(req)
}

func (e *Engine) logAttempt(ctx context.Context, c *call, resp *http.Response, err error, retry bool, wait time.Duration) {
	if !e.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("method", c.method), slog.String("path", c.path), slog.Int("attempt", c.attempts)}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if retry {
		attrs = append(attrs, slog.Duration("wait", wait))
	}
	e.logger.LogAttrs(ctx, slog.LevelDebug, "mindpeeker: request attempt", attrs...)
}
