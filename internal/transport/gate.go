package transport

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// maxGateWaits bounds how often one attempt waits for the rate gate: a gate
// closed again while this call waited (by an answer to a request that was
// already on its way) is waited for once more, then the attempt is sent and
// the server's answer decides, as without a gate.
const maxGateWaits = 3

// awaitGate holds an attempt to the origin while Options.RateGate is closed:
// as for the call's own 429, it waits, unless the wait is beyond MaxRetryWait
// or the context's deadline, when the call ends with a 429 *apierror.Error
// whose RetryAfter is the gate's. Without a gate, or off the origin, it costs
// a nil check.
func (c *call) awaitGate(ctx context.Context) error {
	e := c.engine
	gate := e.opts.RateGate
	if gate == nil || !c.onOrigin {
		return nil
	}
	for range maxGateWaits {
		wait := gate.OpenAt(e.originName).Sub(e.now())
		if wait <= 0 {
			return nil
		}
		closed := &apierror.Error{StatusCode: http.StatusTooManyRequests, RetryAfter: wait,
			Message: "not sent: the rate-limit gate for " + e.originName + " is closed (another client was asked to wait)"}
		if wait > e.opts.MaxRetryWait {
			return closed
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			c.deadlineFirst = true
			return closed
		}
		if e.logger.Enabled(ctx, slog.LevelDebug) {
			e.logger.LogAttrs(ctx, slog.LevelDebug, "mindpeeker: waiting for the rate-limit gate",
				slog.String("method", c.method), slog.String("path", c.logPath()), slog.Duration("wait", wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
	return nil
}

// gatedPrepareRetry is go-retryablehttp's PrepareRetry: a retry to the origin
// waits for the rate gate as a first attempt does, then gets its credential.
func (e *Engine) gatedPrepareRetry(req *http.Request) error {
	if err := callFrom(req.Context()).awaitGate(req.Context()); err != nil {
		return err
	}
	return e.prepareRetry(req)
}

// closeGate tells Options.RateGate that the origin answered with a
// Retry-After (a 429, or a 503), so that the other clients wait too.
func (c *call) closeGate(ctx context.Context, resp *http.Response, a Attempt) {
	e := c.engine
	if e.opts.RateGate == nil || !a.HasRetryAfter || a.RetryAfter <= 0 || resp.Request == nil || !e.origin.Matches(resp.Request.URL) {
		return
	}
	e.opts.RateGate.CloseUntil(ctx, e.originName, e.now().Add(a.RetryAfter))
}
