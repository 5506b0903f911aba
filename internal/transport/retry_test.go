package transport_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

func TestRetryAfter(t *testing.T) {
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		minWait    time.Duration
	}{
		{"429 delay-seconds", 429, "1", time.Second},
		{"503 delay-seconds", 503, "1", time.Second},
		{"429 HTTP-date", 429, base.Add(time.Second).Format(http.TimeFormat), time.Second},
		{"429 date in the past", 429, base.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var firstAt, secondAt time.Time
			srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					firstAt = time.Now()
					w.Header().Set("Retry-After", tt.retryAfter)
					writeJSON(w, tt.status, `{"error":{"code":"rate_limited","message":"slow down"}}`)
					return
				}
				secondAt = time.Now()
				writeJSON(w, 200, `{"ok":true}`)
			})
			e := newEngine(t, srv.URL, nil, func(o *transport.Options) {
				o.Now = func() time.Time { return base }
				o.MinRetryWait = time.Hour // a jittered backoff would show up as a hang
			})
			var out struct{ OK bool }
			require.NoError(t, e.Do(context.Background(), "GET", "/x", nil, &out))
			assert.True(t, out.OK)
			wait := secondAt.Sub(firstAt)
			assert.GreaterOrEqual(t, wait, tt.minWait)
			assert.Less(t, wait, tt.minWait+time.Second/2)
		})
	}
}

func TestRetryAfterBeyondCapReturnsAtOnce(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.Header().Set("X-Request-Id", "req_42")
		writeJSON(w, 429, `{"error":{"code":"rate_limited","message":"slow down"}}`)
	})
	e := newEngine(t, srv.URL, nil, func(o *transport.Options) { o.MaxRetryWait = time.Second })
	start := time.Now()
	err := e.Do(context.Background(), "GET", "/x", nil, nil)
	assert.Less(t, time.Since(start), 500*time.Millisecond)
	var apiErr *apierror.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Equal(t, "rate_limited", apiErr.Code)
	assert.Equal(t, 120*time.Second, apiErr.RetryAfter)
	assert.Equal(t, "req_42", apiErr.RequestID)
	assert.ErrorIs(t, err, apierror.ErrRateLimited)
	assert.EqualValues(t, 1, srv.hits.Load())
}

func TestContextEndsWaitAtOnce(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "10")
		writeJSON(w, 503, `{"error":{"code":"internal","message":"later"}}`)
	})
	e := newEngine(t, srv.URL, nil, func(o *transport.Options) { o.MaxRetryWait = time.Minute })

	t.Run("cancelled during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := e.Do(ctx, "GET", "/x", nil, nil)
		assert.Less(t, time.Since(start), time.Second)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("deadline before the wait ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := e.Do(ctx, "GET", "/x", nil, nil)
		assert.Less(t, time.Since(start), 500*time.Millisecond, "no point sleeping past the deadline")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var apiErr *apierror.Error
		require.ErrorAs(t, err, &apiErr, "the answer is kept")
		assert.Equal(t, 10*time.Second, apiErr.RetryAfter)
	})
}

func TestServerErrorsRetriedWithBackoffThenReturned(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		wantHits  int32
		retries   int
		wantError error
	}{
		{"500 retried up to MaxRetries", 500, 4, 3, nil},
		{"502 retried", 502, 3, 2, nil},
		{"no retries", 500, 1, 0, nil},
		{"501 never retried", 501, 1, 3, nil},
		{"404 never retried", 404, 1, 3, apierror.ErrNotFound},
		{"409 never retried", 409, 1, 3, apierror.ErrConflict},
		{"403 never retried", 403, 1, 3, apierror.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tt.status, `{"error":{"code":"x","message":"boom"}}`)
			})
			e := newEngine(t, srv.URL, nil, func(o *transport.Options) { o.MaxRetries = tt.retries })
			err := e.Do(context.Background(), "GET", "/x", nil, nil)
			var apiErr *apierror.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.wantHits, srv.hits.Load())
			if tt.wantError != nil {
				assert.ErrorIs(t, err, tt.wantError)
			}
		})
	}
}

func TestPostRetriedWithSameIdempotencyKey(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			writeJSON(w, 503, `{"error":{"code":"internal","message":"x"}}`)
		case 2: // the request arrived, the answer is lost
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			writeJSON(w, 201, `{"id":"ses_1"}`)
		}
	})
	e := newEngine(t, srv.URL, nil)
	var out struct{ ID string }
	require.NoError(t, e.Do(context.Background(), "POST", "/sessions", map[string]string{"title": "t"}, &out))
	assert.Equal(t, "ses_1", out.ID)
	reqs := srv.requests()
	require.Len(t, reqs, 3)
	key := reqs[0].Header.Get("Idempotency-Key")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, key)
	for _, r := range reqs {
		assert.Equal(t, key, r.Header.Get("Idempotency-Key"))
	}
	// A second call gets a new key.
	require.NoError(t, e.Do(context.Background(), "POST", "/sessions", map[string]string{"title": "t"}, &out))
	assert.NotEqual(t, key, srv.requests()[3].Header.Get("Idempotency-Key"))
	assert.Empty(t, reqs[0].Header.Get("Authorization"))
}

func TestGetHasNoIdempotencyKey(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	e := newEngine(t, srv.URL, nil)
	require.NoError(t, e.Do(context.Background(), "GET", "/x", nil, nil))
	r := srv.requests()[0]
	assert.Empty(t, r.Header.Get("Idempotency-Key"))
	assert.Equal(t, "test-agent", r.Header.Get("User-Agent"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
}

func TestBodyCutMidwayIsRetried(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			w.Write([]byte(`{"id":"ses_`))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		writeJSON(w, 200, `{"id":"ses_1"}`)
	})
	e := newEngine(t, srv.URL, nil)
	var out struct{ ID string }
	require.NoError(t, e.Do(context.Background(), "GET", "/x", nil, &out))
	assert.Equal(t, "ses_1", out.ID)
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestMalformedJSONIsNotRetried(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"id": nope}`) })
	e := newEngine(t, srv.URL, nil)
	var out struct{ ID string }
	err := e.Do(context.Background(), "GET", "/x", nil, &out)
	var de *transport.DecodeError
	require.ErrorAs(t, err, &de)
	assert.EqualValues(t, 1, srv.hits.Load())
}

func TestConnectionRefusedRetriedThenReturned(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	e := newEngine(t, "http://"+addr, nil, func(o *transport.Options) { o.MaxRetries = 2 })
	err = e.Do(context.Background(), "GET", "/x", nil, nil)
	require.Error(t, err)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "network error stays inspectable: %v", err)
}

func TestNonJSONErrorBody(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad   Gateway</h1>\n<p>nginx</p></body></html>"))
	})
	e := newEngine(t, srv.URL, nil, func(o *transport.Options) { o.MaxRetries = 0 })
	err := e.Do(context.Background(), "GET", "/x", nil, nil)
	var apiErr *apierror.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Empty(t, apiErr.Code)
	assert.Equal(t, "502 Bad Gateway Bad Gateway nginx", apiErr.Message)
}

func TestHugeErrorBodyIsBounded(t *testing.T) {
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		chunk := make([]byte, 1<<20)
		for i := range chunk {
			chunk[i] = 'a'
		}
		for range 64 { // 64 MiB offered
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	e := newEngine(t, srv.URL, nil)
	err := e.Do(context.Background(), "GET", "/x", nil, nil)
	var apiErr *apierror.Error
	require.ErrorAs(t, err, &apiErr)
	assert.LessOrEqual(t, len(apiErr.Message), 400)
}
