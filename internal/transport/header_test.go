package transport_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// signer is a per-request credential, like a MindTouch X-Deki-Token.
type signer struct{ n atomic.Int32 }

func (s *signer) AuthHeader(context.Context) (string, string, error) {
	return "x-deki-token", fmt.Sprint("tkn_", s.n.Add(1)), nil
}

func TestHeaderCredentialSignedPerAttemptAndKeptToItsOrigin(t *testing.T) {
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Deki-Token"))
		writeJSON(w, 200, `{}`)
	}))
	defer other.Close()
	srv := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/away":
			http.Redirect(w, r, other.URL, http.StatusFound)
		case n == 1:
			writeJSON(w, 503, `{"error":{"code":"internal","message":"x"}}`)
		default:
			writeJSON(w, 200, `{}`)
		}
	})
	e := newEngine(t, srv.URL, transport.Header(&signer{}))
	require.NoError(t, e.Do(context.Background(), "GET", "/x", nil, nil))
	reqs := srv.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "tkn_1", reqs[0].Header.Get("X-Deki-Token"))
	assert.Equal(t, "tkn_2", reqs[1].Header.Get("X-Deki-Token"), "signed again for the retry")

	require.NoError(t, e.Do(context.Background(), "GET", "/away", nil, nil))
	assert.Equal(t, "", leaked.Load(), "the credential did not follow the redirect to another origin")
}
