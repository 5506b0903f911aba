package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// stormServer is a MindPeeker API as mindpeeker-authentication.txt shows it
// during a rate-limit storm: every request to the API (X-API-Key, the
// document's "simple alternative") is answered 429 with no Retry-After. The
// document's own handler then waits 60 seconds ("error.headers['retry-after']
// || 60"). It records when each request arrived.
type stormServer struct {
	mu   sync.Mutex
	seen []time.Time
}

func (s *stormServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, time.Now())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte(`{"error":{"code":"rate_limited","message":"Too many requests"}}`))
}

// handlerTransport serves requests with h in process, so that a synctest
// bubble's fake clock measures the waits.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// maxPerSecond is the most requests seen within any one second.
func maxPerSecond(seen []time.Time) int {
	most := 0
	for i := range seen {
		n := 0
		for _, t := range seen[i:] {
			if t.Sub(seen[i]) < time.Second {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func TestRateLimitStormWithoutRetryAfter(t *testing.T) {
	tests := []struct {
		name          string
		rateLimitWait time.Duration
		wantRequests  int
		wantGaps      []time.Duration // the least wait before each retry
	}{
		{"default: 5s, then 10s", 0, 3, []time.Duration{5 * time.Second, 10 * time.Second}},
		{"configured: 1s, then 2s", time.Second, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"disabled: returned at once", -1, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &stormServer{}
				c, err := client.New(client.Config{
					BaseURL: "http://127.0.0.1:1/v1", APIKey: "mp_key",
					HTTPClient:    &http.Client{Transport: handlerTransport{srv}},
					RateLimitWait: tt.rateLimitWait,
				})
				require.NoError(t, err)
				start := time.Now()
				_, err = c.Do(context.Background(), "GET", "/sessions", nil, nil)
				require.ErrorIs(t, err, client.ErrRateLimited)
				var apiErr *client.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, "rate_limited", apiErr.Code)

				require.Len(t, srv.seen, tt.wantRequests)
				for i, least := range tt.wantGaps {
					gap := srv.seen[i+1].Sub(srv.seen[i])
					assert.GreaterOrEqual(t, gap, least, "wait before retry %d", i+1)
					assert.LessOrEqual(t, gap, least+least/4, "wait before retry %d (jitter is at most a quarter)", i+1)
				}
				assert.Equal(t, 1, maxPerSecond(srv.seen), "never more than one request a second")
				t.Logf("%d requests in %s", len(srv.seen), time.Since(start))
			})
		})
	}
}
