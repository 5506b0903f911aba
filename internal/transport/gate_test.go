package transport_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// recordingGate is a LocalRateGate that records what it was told.
type recordingGate struct {
	auth.LocalRateGate
	mu     sync.Mutex
	closes []string // the origins of CloseUntil calls
	untils []time.Time
}

func (g *recordingGate) CloseUntil(ctx context.Context, origin string, until time.Time) {
	g.mu.Lock()
	g.closes, g.untils = append(g.closes, origin), append(g.untils, until)
	g.mu.Unlock()
	g.LocalRateGate.CloseUntil(ctx, origin, until)
}

func withGate(g auth.RateGate) func(*transport.Options) {
	return func(o *transport.Options) { o.RateGate = g }
}

func okHandler(_ int, w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, `{}`) }

// A closed gate holds every way of sending to the origin (Do, HTTPClient)
// until it opens, or ends the call, without sending, as the call's own 429
// would: beyond MaxRetryWait, or past the deadline.
func TestClosedGateHoldsAttempts(t *testing.T) {
	tests := []struct {
		name     string
		closed   time.Duration // how long the gate stays closed
		timeout  time.Duration // the call's deadline; 0: none
		viaHTTP  bool          // HTTPClient instead of Do
		wantSent bool
		wantDL   bool // the error says the deadline comes first
	}{
		{name: "waits, then sends", closed: 300 * time.Millisecond, wantSent: true},
		{name: "HTTPClient waits, then sends", closed: 300 * time.Millisecond, viaHTTP: true, wantSent: true},
		{name: "beyond MaxRetryWait", closed: time.Minute},
		{name: "HTTPClient beyond MaxRetryWait", closed: time.Minute, viaHTTP: true},
		{name: "past the deadline", closed: 2 * time.Second, timeout: 200 * time.Millisecond, wantDL: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, okHandler)
			var gate auth.LocalRateGate
			gate.CloseUntil(t.Context(), srv.URL, time.Now().Add(tt.closed))
			e := newEngine(t, srv.URL, nil, withGate(&gate))
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			var err error
			if tt.viaHTTP {
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/x", nil)
				var resp *http.Response
				if resp, err = e.HTTPClient().Do(req); err == nil {
					resp.Body.Close()
				}
			} else {
				err = e.Do(ctx, "GET", "/x", nil, nil)
			}
			if tt.wantSent {
				require.NoError(t, err)
				require.Len(t, srv.requests(), 1)
				assert.GreaterOrEqual(t, time.Since(start), tt.closed, "sent before the gate opened")
				return
			}
			assert.Empty(t, srv.requests(), "sent while the gate was closed")
			assert.Less(t, time.Since(start), 100*time.Millisecond, "waited for a gate it could not wait for")
			var ae *apierror.Error
			require.ErrorAs(t, err, &ae)
			assert.ErrorIs(t, err, apierror.ErrRateLimited)
			assert.InDelta(t, tt.closed, ae.RetryAfter, float64(100*time.Millisecond))
			assert.Equal(t, tt.wantDL, errors.Is(err, context.DeadlineExceeded))
		})
	}
}

func TestClosedGateWaitEndsWithTheContext(t *testing.T) {
	srv := newRecorder(t, okHandler)
	var gate auth.LocalRateGate
	gate.CloseUntil(t.Context(), srv.URL, time.Now().Add(3*time.Second))
	e := newEngine(t, srv.URL, nil, withGate(&gate))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := e.Do(ctx, "GET", "/x", nil, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, srv.requests())
}

// A 429 or 503 with Retry-After closes the gate for the origin until then; an
// answer without one, or from another origin, does not.
func TestRetryAfterClosesTheGate(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		otherHost  bool
		wantClose  bool
	}{
		{"429 with Retry-After", 429, "1", false, true},
		{"503 with Retry-After", 503, "1", false, true},
		{"429 without Retry-After", 429, "", false, false},
		{"503 without Retry-After", 503, "", false, false},
		{"429 from another origin", 429, "1", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeJSON(w, tt.status, `{}`)
					return
				}
				writeJSON(w, 200, `{}`)
			})
			base, path := srv.URL, "/x"
			if tt.otherHost { // the API is elsewhere; the call goes to srv by absolute URL
				base, path = "http://127.0.0.1:1", srv.URL+"/x"
			}
			gate := &recordingGate{}
			e := newEngine(t, base, nil, withGate(gate))
			start := time.Now()
			err := e.Do(t.Context(), "GET", path, nil, nil) // how a 429 without Retry-After ends is not this test's
			if !tt.wantClose {
				assert.Empty(t, gate.closes)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []string{srv.URL}, gate.closes, "the gate is named by the origin")
			assert.WithinDuration(t, start.Add(time.Second), gate.untils[0], 200*time.Millisecond)
			assert.GreaterOrEqual(t, time.Since(start), time.Second, "the call itself waits out its Retry-After")
		})
	}
}

// Two engines sharing a gate: the second one does not send into the window
// the first one was told about.
func TestSharedGateKeepsOtherClientsOut(t *testing.T) {
	var mu sync.Mutex
	var windowEnd time.Time
	intoWindow := 0
	srv := newRecorder(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if n == 1 {
			windowEnd = time.Now().Add(time.Second)
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, `{}`)
			return
		}
		if time.Now().Before(windowEnd) {
			intoWindow++
		}
		writeJSON(w, 200, `{}`)
	})
	var gate auth.LocalRateGate
	first := newEngine(t, srv.URL, nil, withGate(&gate))
	second := newEngine(t, srv.URL, nil, withGate(&gate))
	done := make(chan error, 1)
	go func() { done <- first.Do(t.Context(), "GET", "/x", nil, nil) }()
	require.Eventually(t, func() bool { return srv.hits.Load() == 1 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return gate.OpenAt(srv.URL).After(time.Now()) }, time.Second, time.Millisecond)
	require.NoError(t, second.Do(t.Context(), "GET", "/x", nil, nil))
	require.NoError(t, <-done)
	assert.Zero(t, intoWindow, "a request was sent into the closed window")
	assert.EqualValues(t, 3, srv.hits.Load())
}

// The gate's wait is logged like an attempt: the path without its query,
// which may carry anything (a token in ?access_token=).
func TestGateWaitLogOmitsQuery(t *testing.T) {
	srv := newRecorder(t, okHandler)
	var gate auth.LocalRateGate
	gate.CloseUntil(t.Context(), srv.URL, time.Now().Add(50*time.Millisecond))
	var buf syncBuffer
	e := newEngine(t, srv.URL, nil, withGate(&gate), func(o *transport.Options) { o.Logger = debugLogger(&buf) })
	require.NoError(t, e.Do(t.Context(), "GET", "/x?access_token=querysecret", nil, nil))
	assert.Contains(t, buf.String(), "waiting for the rate-limit gate")
	assert.Contains(t, buf.String(), `"path":"/x"`)
	assert.NotContains(t, buf.String(), "querysecret")
}
