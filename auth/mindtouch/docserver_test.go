package mindtouch_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

// docSite is a MindTouch site written from the seed document alone
// (mindtouch-tokens.txt and its README note), not from this package: it accepts
// X-Deki-Token: tkn_{key}_{epoch}_{user}_{hash} only when hash is the lowercase
// hex HMAC-SHA256, keyed with the secret, over "{key}_{epoch}_{user}" as sent,
// the epoch is within five minutes, and user is "=" and the username exactly
// as the official examples send it (no encoding).
func docSite(t *testing.T, key, secret, username string, now time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("X-Deki-Token")
		rest, ok := strings.CutPrefix(h, "tkn_")
		last := strings.LastIndexByte(rest, '_')
		if !ok || last < 0 {
			http.Error(w, "malformed", http.StatusUnauthorized)
			return
		}
		payload, hash := rest[:last], rest[last+1:]
		parts := strings.SplitN(payload, "_", 3) // key, epoch, user (a user may hold "_")
		if len(parts) != 3 || parts[0] != key {
			http.Error(w, "unknown key", http.StatusUnauthorized)
			return
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(payload))
		if hash != hex.EncodeToString(m.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		epoch, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || now.Sub(time.Unix(epoch, 0)).Abs() > 5*time.Minute {
			http.Error(w, "expired", http.StatusUnauthorized)
			return
		}
		if parts[2] != "="+username {
			http.Error(w, "unknown user "+parts[2], http.StatusForbidden)
			return
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUsernameSentAsGiven(t *testing.T) {
	now := time.Unix(1700000000, 0)
	for _, name := range []string{"jane@example.com", "jane doe", "jane_doe", "Jane Doe_2@corp.example"} {
		t.Run(name, func(t *testing.T) {
			tok := mindtouch.ServerToken{Key: "k3y", Secret: "sh-secret", User: "=" + name}
			site := docSite(t, tok.Key, tok.Secret, name, now)
			rt, err := tok.WithClock(func() time.Time { return now }).Transport(site.URL, nil)
			require.NoError(t, err)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, site.URL+"/@api/deki/pages/home/info", nil)
			require.NoError(t, err)
			resp, err := rt.RoundTrip(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
}

// A username goes into a request header: characters that would end or split
// the header (CR, LF, other controls) are refused before anything is signed.
func TestUsernameControlCharactersRefused(t *testing.T) {
	for _, name := range []string{"jane\r\nX-Admin: 1", "jane\n", "jane\r", "ja\x00ne", "ja\tne", "ja\x7fne"} {
		tok := mindtouch.ServerToken{Key: "k", Secret: "s", User: "=" + name}
		require.ErrorIs(t, tok.Validate(), mindtouch.ErrInvalidToken, "%q", name)
		_, _, err := tok.AuthHeader(context.Background())
		require.ErrorIs(t, err, mindtouch.ErrInvalidToken, "%q", name)
	}
}
