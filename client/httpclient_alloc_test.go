package client_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// answerSession answers every request in process with the session (through
// handlerTransport), so that no connection's allocations are counted.
var answerSession = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, sessionJSON)
})}

// TestHTTPClientAllocations: a GET through HTTPClient costs a bounded number of
// allocations over the same GET through a plain http.Client on the same
// transport. The two http.Client layers (the one returned, whose redirects
// it follows, and go-retryablehttp's inner one) each copy the request's
// headers, the request is copied once (a RoundTripper must not modify it),
// and the call record is one allocation.
func TestHTTPClientAllocations(t *testing.T) {
	c, err := client.New(client.Config{BaseURL: "http://127.0.0.1:1/v1", APIKey: "k", HTTPClient: &http.Client{Transport: answerSession}})
	require.NoError(t, err)
	get := func(hc *http.Client) func() {
		return func() {
			req, err := http.NewRequestWithContext(context.Background(), "GET", "http://127.0.0.1:1/v1/sessions/ses_123", nil)
			require.NoError(t, err)
			resp, err := hc.Do(req)
			require.NoError(t, err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	raw := testing.AllocsPerRun(200, get(&http.Client{Transport: answerSession}))
	sdk := testing.AllocsPerRun(200, get(c.HTTPClient()))
	t.Logf("allocations per GET: raw %v, HTTPClient %v", raw, sdk)
	assert.LessOrEqual(t, sdk-raw, 10.0)
}

// TestHTTPClientRequestWithoutHeader: a request built by hand, with no Header
// map, given to HTTPClient's Transport directly (an http.Client would have
// filled one in), is sent with the credential rather than panicking.
func TestHTTPClientRequestWithoutHeader(t *testing.T) {
	var got http.Header
	c, err := client.New(client.Config{BaseURL: "http://127.0.0.1:1/v1", APIKey: "k", HTTPClient: &http.Client{Transport: handlerTransport{http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = r.Header
	})}}})
	require.NoError(t, err)
	u, err := url.Parse("http://127.0.0.1:1/v1/sessions/ses_123")
	require.NoError(t, err)
	resp, err := c.HTTPClient().Transport.RoundTrip((&http.Request{Method: "GET", URL: u}).WithContext(context.Background()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "k", got.Get("X-Api-Key"))
}
