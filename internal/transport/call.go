package transport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// MaxBody bounds a successful response body.
const MaxBody = 16 << 20

type callKey struct{}

// call is the state of one Do across its attempts; the retry hooks find it in
// the request's context.
type call struct {
	engine       *Engine
	method, path string
	out          any
	tok          *oauth2.Token // bearer token the last attempt carried
	attempts     int
	retries      int  // retries spent from MaxRetries
	renewed      bool // the one 401 renewal has been used
	handled      bool // handle ran for the current attempt
	wait         time.Duration
	apiErr       *apierror.Error
}

func callFrom(ctx context.Context) *call { return ctx.Value(callKey{}).(*call) }

func (c *call) setHeaders(h http.Header, hasBody bool) {
	h["Accept"] = acceptJSON
	h["User-Agent"] = c.engine.userAgent
	if hasBody {
		h["Content-Type"] = contentJSON
	}
	switch c.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
	default:
		// One key per call, the same on every attempt: the server answers a
		// repeated key with its stored first answer instead of acting twice.
		// It is what makes every request this engine sends safe to retry after
		// an ambiguous failure (connection lost after sending, 5xx).
		h["Idempotency-Key"] = []string{newIdempotencyKey()}
	}
}

var (
	acceptJSON  = []string{"application/json"}
	contentJSON = []string{"application/json"}
)

// authorize puts the credential on req; without a token the request is not sent.
func (c *call) authorize(req *http.Request) error {
	if c.engine.auth == nil {
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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		c.apiErr = apierror.Parse(resp, c.engine.now())
		return nil
	}
	defer resp.Body.Close()
	if c.out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	body := io.LimitReader(resp.Body, MaxBody)
	if err := json.NewDecoder(body).Decode(c.out); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syntax) || errors.As(err, &typ) {
			return &DecodeError{Status: resp.StatusCode, Err: err}
		}
		return &bodyError{err: err}
	}
	io.Copy(io.Discard, body) // the rest (a newline) so the connection is reused
	return nil
}

// wrap gives an error of the engine its final form; the context's error stays
// visible to errors.Is.
func (c *call) wrap(err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("mindpeeker: %s %s: %w", c.method, c.path, err)
}

// DecodeError is returned when a 2xx answer's body is not the JSON expected.
type DecodeError struct {
	Status int
	Err    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("mindpeeker: decoding HTTP %d response: %v", e.Status, e.Err)
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
