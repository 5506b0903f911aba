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
	c := &call{engine: e, method: req.Method, path: req.URL.Redacted(), onOrigin: e.origin.Matches(req.URL)}
	c.Context = e.tel.observe(req.Context(), c, "", req.URL)
	ctx := context.Context(c)
	defer func() { c.report(ctx, err) }()
	var body any // nil, or a retryablehttp.ReaderFunc
	out := req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody != nil {
			req.Body.Close() // each attempt sends a copy from GetBody
			body = retryablehttp.ReaderFunc(func() (io.Reader, error) { return req.GetBody() })
		} else {
			c.oneShot = true // out.Body is req.Body, sent once
		}
	}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, req.Method, req.URL.String(), body)
	if err != nil {
		return nil, err
	}
	rreq.Request = out
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
	resp, err := e.rt.Do(rreq)
	if err != nil {
		// The caller's http.Client names the request (a *url.Error) around
		// what is returned here: unwrap the inner client's own.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, c.fail(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body = boundedBody{Reader: io.LimitReader(resp.Body, apierror.MaxBody), Closer: resp.Body}
	}
	return resp, nil
}

type boundedBody struct {
	io.Reader
	io.Closer
}
