package transport_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// A POST whose every attempt lost its answer may have been carried out: the
// caller gets the Idempotency-Key to ask again, and asking again with it sends
// the same key.
func TestUnconfirmedPostCarriesItsIdempotencyKey(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 { // both attempts of the first call
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		writeJSON(w, 201, `{"id":"key_2"}`)
	})
	e := newEngine(t, srv.URL, nil, func(o *transport.Options) {
		o.MaxRetries = 1
		o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	})
	err := e.Do(context.Background(), "POST", "/api-keys/key_1/rotate", nil, nil)
	var ue *transport.UnconfirmedError
	require.ErrorAs(t, err, &ue)
	sent := srv.requests()[0].Header.Get("Idempotency-Key")
	assert.Equal(t, sent, ue.IdempotencyKey)
	assert.Contains(t, err.Error(), sent)

	var out struct{ ID string }
	require.NoError(t, e.Do(transport.WithIdempotencyKey(context.Background(), ue.IdempotencyKey), "POST", "/api-keys/key_1/rotate", nil, &out))
	assert.Equal(t, "key_2", out.ID)
	for _, r := range srv.requests() {
		assert.Equal(t, sent, r.Header.Get("Idempotency-Key"))
	}
}

// A definitive answer after a 5xx settles the question: no UnconfirmedError.
func TestDefinitiveAnswerAfter5xxIsNotUnconfirmed(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			writeJSON(w, 500, `{"error":{"code":"internal","message":"x"}}`)
			return
		}
		writeJSON(w, 409, `{"error":{"code":"conflict","message":"already rotated"}}`)
	})
	e := newEngine(t, srv.URL, nil)
	err := e.Do(context.Background(), "POST", "/api-keys/key_1/rotate", nil, nil)
	assert.ErrorIs(t, err, apierror.ErrConflict)
	var ue *transport.UnconfirmedError
	assert.False(t, errors.As(err, &ue), "%v", err)
}

// failFirstDial refuses the first connection, as a server that is down does.
type failFirstDial struct{ n atomic.Int32 }

func (f *failFirstDial) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A DELETE whose answer was lost and whose retry meets 404 has succeeded; one
// whose first attempt never connected has not, so its 404 is the caller's.
func TestDeleteNotFoundAfterRetry(t *testing.T) {
	tests := []struct {
		name    string
		first   func(w http.ResponseWriter)
		dialErr bool
		want    error
	}{
		{"answer lost after the server acted", func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, false, nil},
		{"5xx", func(w http.ResponseWriter) { writeJSON(w, 502, `{}`) }, false, nil},
		{"never connected", nil, true, apierror.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 && tt.first != nil {
					tt.first(w)
					return
				}
				writeJSON(w, 404, `{"error":{"code":"not_found","message":"no such session"}}`)
			})
			hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			if tt.dialErr {
				hc = &http.Client{Transport: &failFirstDial{}}
			}
			e := newEngine(t, srv.URL, nil, func(o *transport.Options) { o.HTTPClient = hc })
			err := e.Do(context.Background(), "DELETE", "/sessions/ses_1", nil, nil)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}
