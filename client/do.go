package client

import (
	"context"
	"net/http"
	"time"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// Response is the metadata of an answer: returned by [Client.Do], and filled
// in for any other call by [WithResponse].
type Response = transport.Response

// Do calls any endpoint of the API the client is configured for, with every
// guarantee of the typed services (which are built on it): the credential on
// the configured origin only, a 401 renewed and retried once, Retry-After
// waited out, backoff on 5xx, an Idempotency-Key on a POST, bounded bodies.
//
// path is relative to Config.BaseURL (query allowed), or an absolute URL; one
// to another origin is sent without the credential. body: nil for none,
// json.RawMessage or []byte sent as is (JSON), url.Values as a form
// (application/x-www-form-urlencoded), anything else encoded as JSON. out:
// nil to discard, *json.RawMessage for the raw bytes, anything else decoded
// from JSON. A non-2xx answer is an [*APIError]; the *Response is returned in
// both cases when an answer arrived (nil when none did).
//
//	var profile struct{ Email string }
//	resp, err := c.Do(ctx, "GET", "/user/profile", nil, &profile)
func (c *Client) Do(ctx context.Context, method, path string, body, out any) (*Response, error) {
	resp := new(Response)
	err := c.engine.Do(transport.WithResponse(ctx, resp), method, path, body, out)
	if resp.StatusCode == 0 {
		return nil, err
	}
	return resp, err
}

// HTTPClient returns a net/http client carrying the same policy as Do, for code
// that wants *http.Request and *http.Response (streaming, other libraries):
// requests to Config.BaseURL's origin get the credential, renewed and retried
// once after a 401; every request is retried as Do's are (a body without
// GetBody is sent once); requests to other origins, and redirects to them,
// carry no credential. A non-2xx answer is returned as it is, its body bounded;
// [CheckResponse] turns it into an [*APIError]. [WithResponse] on the request's
// context reports the attempts.
func (c *Client) HTTPClient() *http.Client { return c.engine.HTTPClient() }

// CheckResponse returns nil for a 2xx answer, else the [*APIError] its status,
// headers and body describe (any API's error shape; the body is read and
// closed). Use it on answers from [Client.HTTPClient].
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	return apierror.Parse(resp, time.Now())
}

// WithResponse returns a context that makes the calls made with it (typed
// methods such as Sessions.Get, Do, or HTTPClient requests) fill in *r with
// the metadata of the answer they end with: status, headers, X-Request-Id and
// the attempts sent. The typed methods keep their signatures; this is how they
// hand back the same metadata Do returns. For a List, *r describes the page
// fetched last.
//
//	var resp client.Response
//	s, err := c.Sessions.Get(client.WithResponse(ctx, &resp), id)
//	log.Println(resp.RequestID, resp.Attempts)
func WithResponse(ctx context.Context, r *Response) context.Context {
	return transport.WithResponse(ctx, r)
}
