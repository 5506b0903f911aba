package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// fuzzStatuses are the answers FuzzDecodeBody picks from: the 2xx the API
// sends, and error statuses that the policy does not retry.
var fuzzStatuses = []int{200, 201, 202, 204, 206, 299, 400, 403, 404, 409, 422}

// fuzzRoundTripper answers every request from memory with one status and body
// and counts the requests.
type fuzzRoundTripper struct {
	status int
	ctype  string
	body   []byte
	calls  atomic.Int32
}

func (rt *fuzzRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.calls.Add(1)
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	h := http.Header{"Content-Type": {rt.ctype}, "X-Request-Id": {"req_fuzz"}}
	return &http.Response{
		StatusCode: rt.status, Header: h, Body: io.NopCloser(bytes.NewReader(rt.body)),
		ContentLength: int64(len(rt.body)), Request: r,
	}, nil
}

// FuzzDecodeBody sends one request through the engine to an in-memory server
// answering the fuzzed body, and checks that the engine never panics, never
// retries an answer that arrived whole, and returns exactly one of: the value
// encoding/json decodes from the body, a *transport.DecodeError, or (for an
// error status) an *apierror.Error with that status.
func FuzzDecodeBody(f *testing.F) {
	for _, body := range []string{
		`{"id":"ses_1","title":"Target 4471","status":"pending","target_id":"tgt_1","notes":"water","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05.123456789+02:00"}`,
		`{"id":"ses_1","title":"x","status":"active","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}` + "\n",
		`{"data":[{"id":"ses_1"}],"next_cursor":"abc"}`, // a page, not a session: unknown fields
		`{"id":1}`, `{"id":"x","title":null}`, `{"created_at":"yesterday"}`, `{"created_at":12}`, `{"created_at":"2025-13-45T99:00:00Z"}`,
		`{"error":{"code":"not_found","message":"session ses_1 not found"}}`,
		`<<this is not JSON>> {"data": [`,
		"<html><body><h1>200 OK</h1></body></html>",
		`{"id":"ses_1"} trailing`, `{"id":"ses_1"`, `[]`, `null`, `""`, `{}`, "", " ", "\xff\xfe",
		`{"id":"\ud800"}`, `{"title":"` + strings.Repeat("a", 4096) + `"}`, strings.Repeat("[", 20000),
	} {
		f.Add(uint8(0), uint8(0), []byte(body), false)
	}
	f.Add(uint8(3), uint8(0), []byte(""), false)              // 204
	f.Add(uint8(1), uint8(0), []byte(`{"id":"ses_2"}`), true) // 201 to a POST
	f.Add(uint8(8), uint8(1), []byte(`{"error":{"code":"not_found","message":"gone"}}`), false)
	f.Add(uint8(6), uint8(2), []byte("<html>Bad Request</html>"), true)

	ctypes := []string{"application/json", "text/html", "text/plain; charset=utf-8", ""}
	f.Fuzz(func(t *testing.T, statusSel, ctypeSel uint8, body []byte, post bool) {
		rt := &fuzzRoundTripper{
			status: fuzzStatuses[int(statusSel)%len(fuzzStatuses)],
			ctype:  ctypes[int(ctypeSel)%len(ctypes)],
			body:   body,
		}
		e, err := transport.New(transport.Options{
			BaseURL: "https://api.example.test/v1", HTTPClient: &http.Client{Transport: rt},
			MaxRetries: 2, MinRetryWait: time.Millisecond, MaxRetryWait: 5 * time.Millisecond,
		})
		require.NoError(t, err)
		method, in := http.MethodGet, any(nil)
		if post {
			method, in = http.MethodPost, &sessions.CreateParams{Title: "fuzz"}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		var got sessions.Session
		err = e.Do(ctx, method, "/sessions/ses_1", in, &got)

		var want sessions.Session
		// The engine reads the body whole and unmarshals it: trailing data
		// after the object is refused, as json.Unmarshal refuses it.
		wantErr := json.Unmarshal(body, &want)
		var de *transport.DecodeError
		var ae *apierror.Error
		switch {
		case rt.status >= 300:
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, rt.status, ae.StatusCode)
			assert.Equal(t, "req_fuzz", ae.RequestID)
		case rt.status == http.StatusNoContent:
			require.NoError(t, err, "a 204 has no body to decode")
			assert.Equal(t, sessions.Session{}, got)
		case err == nil:
			require.NoError(t, wantErr, "the engine accepted a body encoding/json refuses")
			assert.Equal(t, want, got)
		case errors.As(err, &de):
			assert.Equal(t, rt.status, de.Status)
			assert.Error(t, wantErr, "the engine refused a body encoding/json accepts")
		default:
			t.Fatalf("unexpected error %T: %v", err, err)
		}
		assert.EqualValues(t, 1, rt.calls.Load(), "an answer that arrived whole is not retried")
	})
}
