package client_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

// Clients sharing a Config.RateGate wait out the Retry-After one of them got,
// instead of sending into the window; a Retry-After beyond MaxRetryWait ends
// the others' calls at once with the same *APIError a 429 of their own gives.
func TestConfigRateGateIsShared(t *testing.T) {
	var hits atomic.Int32
	var mu sync.Mutex
	var closedUntil time.Time
	intoWindow := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if hits.Add(1) == 1 {
			closedUntil = time.Now().Add(time.Second)
			w.Header().Set("Retry-After", r.URL.Query().Get("wait"))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if time.Now().Before(closedUntil) {
			intoWindow++
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		wait       string // the first answer's Retry-After
		wantOthers bool   // the other clients' calls succeed after waiting
	}{
		{"within MaxRetryWait", "1", true},
		{"beyond MaxRetryWait", "60", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			intoWindow = 0
			gate := &auth.LocalRateGate{}
			newClient := func() *client.Client {
				c, err := client.New(client.Config{BaseURL: srv.URL, APIKey: "k", RateGate: gate, MaxRetryWait: 5 * time.Second})
				require.NoError(t, err)
				return c
			}
			first := newClient()
			done := make(chan error, 1)
			go func() { _, err := first.Do(t.Context(), "GET", "/x?wait="+tt.wait, nil, nil); done <- err }()
			require.Eventually(t, func() bool { return !gate.OpenAt(srv.URL).IsZero() }, 5*time.Second, time.Millisecond)

			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() { _, errs[i] = newClient().Do(t.Context(), "GET", "/x", nil, nil) })
			}
			wg.Wait()
			for _, err := range errs {
				if tt.wantOthers {
					assert.NoError(t, err)
					continue
				}
				var ae *client.APIError
				require.ErrorAs(t, err, &ae)
				assert.ErrorIs(t, err, client.ErrRateLimited)
				assert.Greater(t, ae.RetryAfter, 55*time.Second)
			}
			firstErr := <-done
			mu.Lock()
			defer mu.Unlock()
			assert.Zero(t, intoWindow, "requests sent into the closed window")
			if tt.wantOthers {
				assert.NoError(t, firstErr)
				assert.EqualValues(t, 1+1+len(errs), hits.Load())
			} else {
				assert.EqualValues(t, 1, hits.Load(), "only the first request was sent")
			}
		})
	}
}
