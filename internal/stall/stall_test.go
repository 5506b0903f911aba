package stall_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/stall"
)

// The bound is on silence: a body that keeps arriving for longer than the
// bound is read whole, and one that stops is cut within the bound.
func TestBoundIsOnSilenceNotOnLength(t *testing.T) {
	const bound = 200 * time.Millisecond
	tests := []struct {
		name    string
		gaps    []time.Duration // pauses between the body's bytes
		wantCut bool
	}{
		{"steady body longer than the bound", []time.Duration{bound / 3, bound / 3, bound / 3, bound / 3, bound / 3, bound / 3}, false},
		{"body that stops", []time.Duration{bound / 3, 3 * bound}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, gap := range tt.gaps {
					w.Write([]byte("x"))
					w.(http.Flusher).Flush()
					select {
					case <-time.After(gap):
					case <-r.Context().Done():
						return
					}
				}
			}))
			defer srv.Close()
			hc := &http.Client{Transport: stall.NewTransport(bound)}
			begin := time.Now()
			resp, err := hc.Get(srv.URL)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !tt.wantCut {
				require.NoError(t, err)
				assert.Len(t, body, len(tt.gaps))
				return
			}
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			var se *stall.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, bound, se.Bound)
			assert.Less(t, time.Since(begin), bound/3+bound+300*time.Millisecond)
		})
	}
}

// A connection left idle for longer than the bound is retired by the pool
// before its deadline passes: the next request gets a working connection.
func TestIdleConnectionPastTheBoundIsNotUsed(t *testing.T) {
	const bound = 200 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	hc := &http.Client{Transport: stall.NewTransport(bound)}
	for _, idle := range []time.Duration{0, bound * 3 / 8, bound * 3 / 4, 2 * bound} {
		time.Sleep(idle)
		resp, err := hc.Get(srv.URL)
		require.NoError(t, err, "after %v idle", idle)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "ok", string(body))
	}
}
