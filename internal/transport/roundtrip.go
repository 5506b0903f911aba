package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// roundTripper is the Transport of HTTPClient: each RoundTrip is one call
// through the same retry loop and policy as Do, on a request the caller built.
type roundTripper struct{ e *Engine }

// RoundTrip sends a copy of req (a RoundTripper must not modify its request)
// with the credential when req goes to the origin.
func (rt roundTripper) RoundTrip(req *http.Request) (_ *http.Response, err error) {
	e := rt.e
	c := &call{engine: e, method: req.Method, url: req.URL, onOrigin: e.origin.Matches(req.URL)}
	c.Context = e.tel.observe(req.Context(), c, "", req.URL)
	ctx := context.Context(c)
	defer func() { c.report(ctx, err) }()
	if err := c.wrap(req); err != nil {
		return nil, err
	}
	out := c.req.Request
	if out.Header.Get("User-Agent") == "" {
		out.Header["User-Agent"] = e.userAgent
	}
	c.setIdempotencyKey(ctx, out.Header)
	err = c.awaitGate(ctx) // before the token is taken: the wait may be long
	if err != nil {
		err = c.fail(err)
	} else {
		err = c.authorize(out)
	}
	if err != nil {
		if out.Body != nil {
			out.Body.Close()
		}
		return nil, err
	}
	c.markSent()
	resp, err := e.rt.Do(&c.req)
	if err != nil {
		// The caller's http.Client names the request (a *url.Error) around
		// what is returned here: unwrap the inner client's own.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, c.fail(err)
	}
	if !is2xx(resp.StatusCode) {
		resp.Body = boundedBody{Reader: io.LimitReader(resp.Body, apierror.MaxBody), Closer: resp.Body}
	}
	return resp, nil
}

// wrap fills in c.req with a copy of req that has c as its context and its own
// header map, which the credential and the Idempotency-Key go into. The URL
// and the rest are shared: nothing here or below modifies them.
func (c *call) wrap(req *http.Request) error {
	out := req.WithContext(c)
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	if req.Body == nil || req.Body == http.NoBody {
		c.req.Request = out // nothing to rewind: go-retryablehttp's wrapper is c.req itself
		return nil
	}
	var body any // nil: out.Body, the caller's, is sent once
	if req.GetBody != nil {
		req.Body.Close() // each attempt sends a copy from GetBody
		body = retryablehttp.ReaderFunc(func() (io.Reader, error) { return req.GetBody() })
	} else {
		c.oneShot = true
	}
	// The wrapper that rewinds body; its own request is replaced by out, so
	// that what is sent keeps the caller's ContentLength and GetBody.
	rreq, err := retryablehttp.NewRequestWithContext(c, req.Method, req.URL.String(), body)
	if err != nil {
		return err
	}
	rreq.Request = out
	c.req = *rreq
	return nil
}

type boundedBody struct {
	io.Reader
	io.Closer
}
