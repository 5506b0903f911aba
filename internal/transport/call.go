package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// MaxBody bounds a successful response body.
const MaxBody = 16 << 20

type callKey struct{}

// call is the state of one request across its attempts. It is the request's
// context (the caller's, which it embeds, plus itself under callKey), so that
// the retry hooks find it there without a context.WithValue, and it holds
// go-retryablehttp's request wrapper: one allocation per call for all three.
type call struct {
	context.Context                        // the caller's (with the telemetry span, if any)
	req              retryablehttp.Request // what go-retryablehttp sends
	engine           *Engine
	method, path     string   // path: Do's, or built from url when first needed (where)
	url              *url.URL // HTTPClient's request URL
	out              any
	onOrigin         bool          // the request goes to the configured origin: it carries the credential
	oneShot          bool          // the body cannot be sent again
	tok              *oauth2.Token // bearer token the last attempt carried
	attempts         int
	retries          int   // retries spent from MaxRetries
	rateLimitRetries int   // of which after a 429 without Retry-After
	renewed          bool  // the one 401 renewal has been used
	renewErr         error // why the 401 renewal could not be done
	handled          bool  // handle ran for the current attempt
	maybeApplied     bool  // an attempt may have reached the server without its answer arriving
	lastAmbiguous    bool  // the last attempt got no answer, or a 5xx: it may have been applied
	deadlineFirst    bool  // a retry was dropped because the context's deadline comes before it
	stopped          error // the context's error, once it ended the call
	resp             Response
	sentAt           time.Time      // when the current attempt was sent; zero when nothing logs
	obs              *callTelemetry // nil: the call records no telemetry

	idempotencyKey string // sent with every attempt; "" for methods that need none
	apiErr         *apierror.Error
}

func callFrom(ctx context.Context) *call { return ctx.Value(callKey{}).(*call) }

// Value finds the call itself under callKey, and the caller's values.
func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// handleResponse is the requests' response handler: a plain function, not a
// method value, so that setting it allocates nothing. resp.Request (the last
// redirect hop) carries the call's context.
func handleResponse(resp *http.Response) error { return callFrom(resp.Request.Context()).handle(resp) }

// where names the call's request in errors and logs: Do's path, or the URL of
// an HTTPClient request without its password, built only when asked for.
func (c *call) where() string {
	if c.path == "" && c.url != nil {
		c.path = c.url.Redacted()
	}
	return c.path
}

// logPath is where() for logs: without the query, which may carry anything
// (a token in ?access_token=).
func (c *call) logPath() string {
	path, _, _ := strings.Cut(c.where(), "?")
	return path
}

// markSent notes when the current attempt was sent, for the log's duration:
// a clock read saved when the engine does not log.
func (c *call) markSent() {
	if c.engine.logs {
		c.sentAt = time.Now()
	}
}

// is2xx reports whether status is a success, the only answers decoded into
// the call's out and accepted without asking Decide.
func is2xx(status int) bool { return status >= 200 && status <= 299 }

// record keeps the metadata of the attempt's answer (none: zero).
func (c *call) record(resp *http.Response) {
	c.resp = Response{Attempts: c.attempts}
	if resp != nil {
		c.resp.StatusCode, c.resp.Header = resp.StatusCode, resp.Header
	}
}

// report fills in a WithResponse capture, if ctx has one, and ends the
// call's telemetry, when the call ends with err. Its RequestID is read only
// here: calls without a capture pay nothing.
func (c *call) report(ctx context.Context, err error) {
	c.obs.end(c, err)
	if got, ok := ctx.Value(responseKey{}).(*Response); ok {
		*got = c.resp
		if got.Header != nil {
			got.RequestID = requestID(got.Header)
		}
	}
}

// replayable reports whether repeating the request cannot act twice.
func (c *call) replayable() bool {
	return idempotentMethod(c.method) || c.idempotencyKey != ""
}

func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// setIdempotencyKey gives a request that needs one (POST, PATCH) its
// Idempotency-Key: the caller's (WithIdempotencyKey, or the header already
// set), else a new one unless the engine sends none or the request leaves the
// origin. One key per call, the same on every attempt: the server answers a
// repeated key with its stored first answer instead of acting twice, which is
// what makes the request safe to retry after an ambiguous failure (connection
// lost after sending, 5xx).
func (c *call) setIdempotencyKey(ctx context.Context, h http.Header) {
	if idempotentMethod(c.method) {
		return
	}
	c.idempotencyKey, _ = ctx.Value(idempotencyKeyCtx{}).(string)
	if c.idempotencyKey == "" {
		c.idempotencyKey = h.Get("Idempotency-Key")
	}
	if c.idempotencyKey == "" && c.onOrigin && !c.engine.opts.DisableIdempotencyKeys {
		c.idempotencyKey = newIdempotencyKey()
	}
	if c.idempotencyKey != "" {
		h["Idempotency-Key"] = []string{c.idempotencyKey}
	}
}

var (
	acceptJSON  = []string{"application/json"}
	contentJSON = []string{"application/json"}
	contentForm = []string{"application/x-www-form-urlencoded"}
)

// authorize puts the credential on req, when it goes to the origin; without
// a credential the request is not sent.
func (c *call) authorize(req *http.Request) error {
	if c.engine.auth == nil || !c.onOrigin {
		return nil
	}
	tok, err := c.engine.auth.Authorize(req.Context(), req.Header)
	if err != nil {
		return fmt.Errorf("mindpeeker: obtaining credentials: %w", err)
	}
	c.tok = tok
	return nil
}

// handle reads the answer of an attempt that the policy does not retry: a 2xx
// body is decoded into out; anything else is parsed into c.apiErr. It returns an
// error only when the body could not be read, which the policy may retry.
func (c *call) handle(resp *http.Response) error {
	c.handled = true
	if c.stopped != nil { // the caller is gone; checkRetry returns why
		resp.Body.Close()
		return nil
	}
	if resp.StatusCode == http.StatusNotFound && c.method == http.MethodDelete && c.maybeApplied {
		// An earlier attempt was lost after it may have reached the server:
		// the thing is gone, which is what the caller asked for.
		resp.Body.Close()
		return nil
	}
	if !is2xx(resp.StatusCode) {
		c.apiErr = apierror.Parse(resp, c.engine.now(), c.secrets(resp.Request.Context())...)
		return nil
	}
	defer resp.Body.Close()
	out, obj := unwrapObject(c.out)
	if out == nil {
		return nil
	}
	if resp.StatusCode != http.StatusNoContent {
		if err := decode(resp, out); err != nil {
			return err
		}
	}
	if err := obj.verify(); err != nil {
		return &DecodeError{Status: resp.StatusCode, Err: err}
	}
	return nil
}

type secretsKey struct{}

// WithSecrets returns a context whose calls keep secrets out of their errors:
// an error answer that echoes one (a request body's password or refresh
// token) has it blanked out (auth.Scrub). The bearer token a call carries is
// always kept out.
func WithSecrets(ctx context.Context, secrets ...string) context.Context {
	return context.WithValue(ctx, secretsKey{}, secrets)
}

// secrets are what the call's error must not quote: the bearer token it
// carried and the context's WithSecrets.
func (c *call) secrets(ctx context.Context) []string {
	secrets, _ := ctx.Value(secretsKey{}).([]string)
	if c.tok != nil {
		secrets = append(secrets[:len(secrets):len(secrets)], c.tok.AccessToken)
	}
	return secrets
}

// decode reads a 2xx answer whole into a pooled buffer and unmarshals it into
// out (*json.RawMessage: a copy of the bytes). An error reading the body (a
// connection cut mid-body) is a *bodyError, which the policy may retry.
func decode(resp *http.Response, out any) error {
	buf := bodyBuffers.Get().(*[]byte)
	defer putBodyBuffer(buf)
	b, err := readBody(resp.Body, (*buf)[:0])
	*buf = b
	switch {
	case err != nil:
		return &bodyError{err: err}
	case len(b) > MaxBody:
		return &DecodeError{Status: resp.StatusCode, Err: fmt.Errorf("the body is larger than %d bytes", MaxBody)}
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = bytes.Clone(b)
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &DecodeError{Status: resp.StatusCode, Err: err}
	}
	return nil
}

// bodyBuffers hold answers while they are decoded: a body is read whole into
// a reused buffer and unmarshalled from there, which leaves no garbage but
// the decoded values (a json.Decoder leaves its own buffer, grown by doubling,
// ~1 KB a call and ~60 KB for a page of 100 items).
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledBody: a larger buffer (a rare huge answer) is left to the GC.
const maxPooledBody = 1 << 20

func putBodyBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBody {
		bodyBuffers.Put(b)
	}
}

// readBody appends r's bytes to b until EOF, or until more than MaxBody were
// read. The error is a failure to read (a connection cut mid-body), never EOF.
func readBody(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		switch {
		case err == io.EOF || len(b) > MaxBody:
			return b, nil
		case err != nil:
			return b, err
		}
	}
}

// fail gives a failed call's error its final form. An API error stays as it
// is; others name the request. The context's error stays visible to errors.Is.
// When an attempt may have been applied without its answer arriving, the error
// is an *UnconfirmedError carrying the Idempotency-Key to retry with.
func (c *call) fail(err error) error {
	switch {
	case c.renewErr == nil:
	case errors.Is(c.renewErr, ErrTokenNotRenewed):
		err = fmt.Errorf("%w (not retried: %w)", err, c.renewErr)
	default: // no token to retry with: as for a first attempt without one
		err = fmt.Errorf("mindpeeker: obtaining credentials: %w", c.renewErr)
	}
	var de *DecodeError
	var ae *apierror.Error
	if !errors.As(err, &de) && !errors.As(err, &ae) {
		err = fmt.Errorf("mindpeeker: %s %s: %w", c.method, c.where(), err)
	}
	if c.deadlineFirst {
		err = fmt.Errorf("%w (not retried: %w before the wait would end)", err, context.DeadlineExceeded)
	}
	if (c.lastAmbiguous || de != nil) && c.idempotencyKey != "" {
		// A 2xx answer that cannot be used: the server acted, and only its
		// stored answer (same Idempotency-Key) tells the caller what it did.
		return &UnconfirmedError{Method: c.method, Path: c.where(), IdempotencyKey: c.idempotencyKey, Err: err}
	}
	return err
}

// UnconfirmedError is returned when a request that changes something (a POST)
// may have been carried out by the server, but its answer never arrived, even
// after the retries: a key rotation, say, whose new key was lost on the wire.
// Calling again with WithIdempotencyKey(ctx, IdempotencyKey) (within the
// server's 24 hours) returns the server's stored answer, and does not act twice.
// Err is the last failure (errors.Is and errors.As reach through).
type UnconfirmedError struct {
	Method, Path   string
	IdempotencyKey string
	Err            error
}

func (e *UnconfirmedError) Error() string {
	return fmt.Sprintf("%v (the request may have been carried out; retry with Idempotency-Key %s to get its answer)", e.Err, e.IdempotencyKey)
}

func (e *UnconfirmedError) Unwrap() error { return e.Err }

type idempotencyKeyCtx struct{}

// WithIdempotencyKey makes the requests made with ctx that need an
// Idempotency-Key use key instead of a new one: use it to repeat a call that
// ended in an *UnconfirmedError, or to make a call idempotent across restarts.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, key)
}

// DecodeError is returned when a 2xx answer's body is not the JSON expected.
type DecodeError struct {
	Status int
	Err    error
}

func (e *DecodeError) Error() string {
	// encoding/json quotes parts of the body (a number's digits): bounded.
	return fmt.Sprintf("mindpeeker: decoding HTTP %d response: %s", e.Status, auth.Excerpt(e.Err.Error(), auth.MaxServerText))
}
func (e *DecodeError) Unwrap() error { return e.Err }

// bodyError is a failure to read a response body (connection cut mid-body).
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "reading response body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

func newIdempotencyKey() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40 // UUID version 4
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
