package transport

import (
	"context"
	"net/http"
)

// Response is the metadata of the answer a call ended with, returned by
// client.Client.Do and filled in by WithResponse for any other call.
type Response struct {
	StatusCode int
	Header     http.Header
	RequestID  string // X-Request-Id, on success too
	Attempts   int    // attempts sent, the 401 renewal's included
}

type responseKey struct{}

// WithResponse returns a context that makes each call made with it (a typed
// service method, Do, or a request sent through HTTPClient) fill in *r when
// it returns: with the metadata of the last answer, or only Attempts when the
// last attempt got none. For a List, *r describes the page fetched last.
// The innermost WithResponse of a context wins.
func WithResponse(ctx context.Context, r *Response) context.Context {
	return context.WithValue(ctx, responseKey{}, r)
}
