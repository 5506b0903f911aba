package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// TestExpiresInAnyNumber serves expires_in in every shape a server may send:
// each logs in, and the token is reused (one token request for many calls).
func TestExpiresInAnyNumber(t *testing.T) {
	tests := []struct {
		raw     string // the JSON value of expires_in
		minLife time.Duration
	}{
		{`3600`, 50 * time.Minute},
		{`3600.0`, 50 * time.Minute},
		{`"3600.0"`, 50 * time.Minute},
		{`"3600"`, 50 * time.Minute},
		{`3.6e3`, 50 * time.Minute},
		{`1e30`, 24 * time.Hour},
		{`"1e30"`, 24 * time.Hour},
		{`99999999999999999999999`, 24 * time.Hour},
		{`9223372036854775807`, 24 * time.Hour},
		{`"99999999999999999999"`, 24 * time.Hour},
		{`-1`, 50 * time.Minute},     // unusable: the default lifetime
		{`"soon"`, 50 * time.Minute}, // unusable: the default lifetime
		{`null`, 50 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"access_token":"at","token_type":"bearer","expires_in":%s}`, tt.raw)
			}))
			defer srv.Close()
			src := auth.NewSource(auth.ClientCredentials{TokenURL: srv.URL, ClientID: "id", ClientSecret: "cs"})
			var tok *oauth2.Token
			for range 5 {
				var err error
				tok, err = src.TokenContext(context.Background())
				require.NoError(t, err, "expires_in %s is a number, or treated as absent", tt.raw)
			}
			assert.Equal(t, int32(1), requests.Load(), "the token is reused")
			assert.Greater(t, time.Until(tok.Expiry), tt.minLife)
		})
	}
}

// TestHugeExpiresInFromAGrant: a grant's own ExpiresIn too large for a
// time.Duration does not overflow into an expired token.
func TestHugeExpiresInFromAGrant(t *testing.T) {
	var calls atomic.Int32
	src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		calls.Add(1)
		return &oauth2.Token{AccessToken: "at", ExpiresIn: 1 << 62}, nil
	}))
	for range 5 {
		_, err := src.Token()
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), calls.Load())
}

// FuzzParseExpiresIn: any server's expires_in is whole seconds in (0, 68
// years], or not usable; never a panic or an overflow.
func FuzzParseExpiresIn(f *testing.F) {
	for _, s := range []string{`3600`, `3600.0`, `"3600.0"`, `1e30`, `-1`, `"NaN"`, `"Inf"`, `0.0001`, `null`, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		secs, ok := auth.ParseExpiresIn(raw)
		if !ok {
			assert.Zero(t, secs)
			return
		}
		assert.Greater(t, secs, int64(0))
		assert.LessOrEqual(t, secs, int64(1<<31-1))
		assert.Greater(t, time.Duration(secs)*time.Second, time.Duration(0), "no overflow")
	})
}
