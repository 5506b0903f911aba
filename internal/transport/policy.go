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

// checkRetry is go-retryablehttp's CheckRetry: the effectful shell around
// [Decide]. It gathers Decide's inputs from the attempt and the call, and
// carries out the Decision: it renews the credential after a 401 and does the
// waiting (go-retryablehttp's Backoff hook gets no context, so the wait
// happens here, where the caller's context can end it and the deadline can be
// weighed against the very wait that will be slept).
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
		c.record(resp)
	}
	if err == nil && is2xx(resp.StatusCode) && ctx.Err() == nil {
		// The common case, decided without Decide, whose answer for a 2xx
		// is always final (TestDecideSuccessIsFinal): the success path runs
		// less code, which on a cold cache is what a call costs.
		c.lastAmbiguous, c.deadlineFirst = false, false
		e.logAttempt(ctx, c, resp, nil, Decision{Stop: StopFinal})
		return false, nil
	}
	failure := classify(err)
	c.lastAmbiguous = failure == FailAmbiguous || (resp != nil && resp.StatusCode >= 500)
	c.maybeApplied = c.maybeApplied || c.lastAmbiguous
	if ctx.Err() != nil {
		c.stopped = ctx.Err()
		return false, c.stopped
	}
	a := c.attempt(ctx, resp, failure)
	d := Decide(a)
	c.deadlineFirst = d.Stop == StopDeadline
	e.logAttempt(ctx, c, resp, err, d)
	c.obs.decided(ctx, c, d)
	if d.Spends {
		c.retries++
	}
	if d.Retry && blindRateLimit(a) {
		c.rateLimitRetries++
	}
	if d.Renew {
		c.renewed = true
		if c.renewErr = c.engine.auth.Renew(ctx, c.tok); c.renewErr != nil {
			return false, nil // the caller gets the 401, with why it was not retried
		}
	}
	c.closeGate(ctx, resp, a) // before this call waits: the others wait with it
	if d.Retry && d.Wait > 0 {
		if resp != nil { // free the connection for others while waiting
			io.Copy(io.Discard, io.LimitReader(resp.Body, apierror.MaxBody))
			resp.Body.Close()
		}
		if err := c.sleep(ctx, d.Wait); err != nil {
			return false, err
		}
	}
	return d.Retry, nil
}

// sleep waits d, unless ctx ends first: then the call is stopped, with ctx's
// error. The one place the engine waits (a retry's wait, the rate gate's).
func (c *call) sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		c.stopped = ctx.Err()
		return c.stopped
	case <-timer.C:
		return nil
	}
}

// attempt gathers Decide's inputs.
func (c *call) attempt(ctx context.Context, resp *http.Response, failure Failure) Attempt {
	e := c.engine
	a := Attempt{
		Failure: failure, Retries: c.retries, Renewed: c.renewed, Renewable: c.tok != nil,
		Replayable: c.replayable(), Rewindable: !c.oneShot,
		MaxRetries: e.opts.MaxRetries, MaxWait: e.opts.MaxRetryWait,
		RateLimitRetries: c.rateLimitRetries, MaxRateLimitRetries: e.opts.RateLimitRetries,
	}
	if failure != FailNone || resp.StatusCode >= 500 {
		a.Backoff = e.jitter(c.retries) // not on the hot path of a success
	} else if resp.StatusCode == http.StatusTooManyRequests {
		a.RateLimitBackoff = e.rateLimitBackoff(c.rateLimitRetries)
	}
	if resp != nil {
		a.Status = resp.StatusCode
		if a.Status == http.StatusTooManyRequests || a.Status == http.StatusServiceUnavailable {
			a.RetryAfter, a.HasRetryAfter = apierror.ParseRetryAfter(resp.Header.Get("Retry-After"), e.now())
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		a.Remaining, a.HasDeadline = time.Until(dl), true
	}
	return a
}

// classify tells Decide what kind of failure err is.
func classify(err error) Failure {
	switch {
	case err == nil:
		return FailNone
	case permanent(err):
		return FailPermanent
	case neverSent(err):
		return FailNeverSent
	}
	return FailAmbiguous
}

// permanent reports errors that no retry can mend.
func permanent(err error) bool {
	var de *DecodeError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &de) || errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.Is(err, auth.ErrInsecureURL) ||
		errors.Is(err, errTooManyRedirects) || errors.Is(err, ErrInvalidHeader) ||
		// net/http refuses such a request before writing it; it exports no error type for it.
		strings.Contains(err.Error(), "net/http: invalid header field")
}

// jitter is capped exponential backoff with "equal jitter": a random wait in
// [d/2, d] where d doubles from MinRetryWait on each retry.
func (e *Engine) jitter(retry int) time.Duration {
	d := min(e.opts.MinRetryWait<<min(retry, 20), e.opts.MaxRetryWait)
	return d/2 + rand.N(d/2+1)
}

// rateLimitBackoff is the wait after the n-th 429 without Retry-After:
// RateLimitWait doubled on each one, plus up to a quarter more at random (so
// that a fleet does not come back in step, and never sooner than the base),
// capped by MaxRetryWait.
func (e *Engine) rateLimitBackoff(n int) time.Duration {
	d := min(e.opts.RateLimitWait<<min(n, 20), e.opts.MaxRetryWait)
	return min(d+rand.N(d/4+1), e.opts.MaxRetryWait)
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
	return errors.As(err, &dns)
}

// prepareRetry puts a fresh credential on the next attempt: renewed after a
// 401, re-signed for per-request credentials. The header map is copied first,
// as go-retryablehttp's shallow request copy shares it with the last attempt.
func (e *Engine) prepareRetry(req *http.Request) error {
	c := callFrom(req.Context())
	c.markSent()
	if c.engine.auth == nil {
		return nil
	}
	req.Header = req.Header.Clone()
	return c.authorize(req)
}

// logAttempt logs an attempt at debug level, or at warn level when it failed
// in a way a retry could have mended but the call stops (retries spent, a
// Retry-After beyond MaxRetryWait, the deadline, a 401 after the renewal).
func (e *Engine) logAttempt(ctx context.Context, c *call, resp *http.Response, err error, d Decision) {
	level, msg := slog.LevelDebug, "mindpeeker: request attempt"
	switch d.Stop {
	case StopBudget, StopRetryAfterCap, StopDeadline, StopNotRenewable:
		level, msg = slog.LevelWarn, "mindpeeker: request failed, not retried"
	}
	if !e.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("method", c.method), slog.String("path", c.logPath()), slog.Int("attempt", c.attempts),
		slog.Duration("duration", time.Since(c.sentAt))}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if id := requestID(resp.Header); id != "" {
			attrs = append(attrs, slog.String("request_id", id))
		}
	}
	if c.idempotencyKey != "" {
		attrs = append(attrs, slog.String("idempotency_key", c.idempotencyKey))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if d.Reason != ReasonNone {
		attrs = append(attrs, slog.String("reason", string(d.Reason)))
	}
	if d.Retry {
		attrs = append(attrs, slog.Duration("wait", d.Wait))
	} else if d.Stop != StopFinal {
		attrs = append(attrs, slog.String("stop", string(d.Stop)))
	}
	e.logger.LogAttrs(ctx, level, msg, attrs...)
}
