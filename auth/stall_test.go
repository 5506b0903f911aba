package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/stall"
)

// A token request made with no client of the caller's (a grant used
// directly, a Source without WithHTTPClient) ends when the token endpoint goes
// silent, before its headers or mid-body, within the default client's bound.
func TestTokenRequestsWithTheDefaultClientEndWhenTheServerStalls(t *testing.T) {
	const bound = 200 * time.Millisecond
	saved := defaultTokenClient
	defaultTokenClient = func() *http.Client { return stall.Client(bound) }
	t.Cleanup(func() { defaultTokenClient = saved })
	for _, midBody := range []bool{false, true} {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if midBody {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"access_token":"`))
				w.(http.Flusher).Flush()
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		grant := ClientCredentials{TokenURL: srv.URL, ClientID: "id", ClientSecret: "secret"}
		for name, get := range map[string]func() error{
			"grant":  func() error { _, err := grant.Token(context.Background(), nil); return err },
			"source": func() error { _, err := NewSource(grant).Token(); return err },
		} {
			begin := time.Now()
			err := get()
			require.Error(t, err, name)
			assert.ErrorContains(t, err, "the stall bound", name)
			if !midBody {
				assert.ErrorIs(t, err, os.ErrDeadlineExceeded, name)
			}
			assert.Less(t, time.Since(begin), 2*bound+500*time.Millisecond, name)
		}
		close(release)
		srv.Close()
	}
}
