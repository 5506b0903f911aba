package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// stallServer answers like the API and the token endpoint but stops: before
// its headers, or after the headers and half a body. It is released when the
// test ends.
func stallServer(t *testing.T, midBody bool) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if midBody {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "200")
			w.Write([]byte(`{"id":"ses_1","title":"`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// With context.Background(), a server that goes silent ends the call with a
// stall error within Config.StallTimeout, whether it stalls before its headers
// or mid-body, for an API call and for a token request alike.
func TestStalledServerEndsTheCallWithinTheBound(t *testing.T) {
	const bound = 200 * time.Millisecond
	for _, tt := range []struct {
		name           string
		midBody, token bool
	}{
		{"api call, no headers", false, false},
		{"api call, stalled mid-body", true, false},
		{"token request, no headers", false, true},
		{"token request, stalled mid-body", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := stallServer(t, tt.midBody)
			cfg := client.Config{BaseURL: srv.URL + "/v1", StallTimeout: bound, MaxRetries: -1}
			if tt.token {
				cfg.TokenURL, cfg.ClientID, cfg.ClientSecret = srv.URL+"/token", "id", "secret"
			} else {
				cfg.APIKey = "mpk_test"
			}
			c, err := client.New(cfg)
			require.NoError(t, err)
			begin := time.Now()
			_, err = c.Sessions.Get(context.Background(), "ses_1")
			took := time.Since(begin)
			require.Error(t, err)
			if !tt.token || !tt.midBody { // x/oauth2 flattens a body read error into text
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
			}
			assert.ErrorContains(t, err, "the stall bound")
			assert.Less(t, took, 2*bound+500*time.Millisecond, "ended within the bound (with slack for a busy machine)")
		})
	}
}
