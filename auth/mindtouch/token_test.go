package mindtouch_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

// hmacHex is the reference HMAC-SHA256, written independently of the package.
func hmacHex(secret, msg string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))
}

// Vectors computed outside Go with OpenSSL, e.g.
//
//	printf '%s' 'key_1700000000_=jane@example.com' | openssl dgst -sha256 -hmac secret
//
// one command per line below. The username is signed as given: no encoding.
func TestSignOpenSSLVectors(t *testing.T) {
	tests := []struct {
		tok mindtouch.ServerToken
		at  int64
	}{
		{mindtouch.ServerToken{Key: "key", Secret: "secret", User: "=jane@example.com"}, 1700000000},
		{mindtouch.ServerToken{Key: "abc123", Secret: "s3cr3t", User: "2"}, 1700000000},
		{mindtouch.ServerToken{Key: "6f1a2b", Secret: "secret", User: "=jane doe"}, 1712345678},
		{mindtouch.ServerToken{Key: "k1", Secret: "secret", User: "=zoë"}, 1700000300},
	}
	want := map[string]string{
		// printf '%s' 'key_1700000000_=jane@example.com' | openssl dgst -sha256 -hmac secret
		"=jane@example.com": "tkn_key_1700000000_=jane@example.com_ca24e7ef51a90bedc7c38afd4ef3804f35c9d0cced11d675a48131808aa46cda",
		// printf '%s' 'abc123_1700000000_2' | openssl dgst -sha256 -hmac s3cr3t
		"2": "tkn_abc123_1700000000_2_996469443103d41f46976eaa7f9c221559a3f4572a05ba61b95fb360fa913ac4",
		// printf '%s' '6f1a2b_1712345678_=jane doe' | openssl dgst -sha256 -hmac secret
		"=jane doe": "tkn_6f1a2b_1712345678_=jane doe_603f9c38c18944e68f4f20d38bb3a439d585fe70b8d12081ec16a2b007d7cd77",
		// printf '%s' 'k1_1700000300_=zoë' | openssl dgst -sha256 -hmac secret
		"=zoë": "tkn_k1_1700000300_=zoë_970c3d42d20c356b2d26899ffab7c579d800b96613d8dd560d67959ed3d186a6",
	}
	for _, tt := range tests {
		t.Run(tt.tok.User, func(t *testing.T) {
			assert.Equal(t, want[tt.tok.User], tt.tok.Sign(time.Unix(tt.at, 0)))
		})
	}
}

// TestSignUserAsGiven pins the user part: sent and signed exactly as given,
// whatever it holds, and the hash covers exactly that string.
func TestSignUserAsGiven(t *testing.T) {
	const key, secret, epoch = "0a1b2c", "top-secret", "1700000000"
	at := time.Unix(1700000000, 0)
	for _, user := range []string{
		"2", "123456", "=admin", "=jane@example.com", "=jane doe", "=zoë", "=a+b",
		"=50%", "=jane%40x", "=jane_doe", "=a/b?c=d&e",
	} {
		t.Run(user, func(t *testing.T) {
			tok := mindtouch.ServerToken{Key: key, Secret: secret, User: user}
			payload := key + "_" + epoch + "_" + user
			assert.Equal(t, "tkn_"+payload+"_"+hmacHex(secret, payload), tok.Sign(at))
		})
	}
}

func TestSignEpochIsUnixSeconds(t *testing.T) {
	tok := mindtouch.ServerToken{Key: "k", Secret: "s", User: "1"}
	// Sub-second parts and time zones do not change the epoch.
	a := tok.Sign(time.Date(2024, 5, 27, 14, 26, 36, 999_000_000, time.UTC))
	b := tok.Sign(time.Date(2024, 5, 27, 16, 26, 36, 0, time.FixedZone("CEST", 2*3600)))
	assert.Equal(t, a, b)
	_, epoch, _, _, err := mindtouch.ParseToken(a)
	require.NoError(t, err)
	assert.Equal(t, int64(1716819996), epoch)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		tok  mindtouch.ServerToken
		ok   bool
	}{
		{"numeric user", mindtouch.ServerToken{Key: "k", Secret: "s", User: "2"}, true},
		{"username", mindtouch.ServerToken{Key: "k", Secret: "s", User: "=jane doe"}, true},
		{"empty key", mindtouch.ServerToken{Secret: "s", User: "2"}, false},
		{"key with underscore", mindtouch.ServerToken{Key: "a_b", Secret: "s", User: "2"}, false},
		{"key with space", mindtouch.ServerToken{Key: "a b", Secret: "s", User: "2"}, false},
		{"empty secret", mindtouch.ServerToken{Key: "k", User: "2"}, false},
		{"empty user", mindtouch.ServerToken{Key: "k", Secret: "s"}, false},
		{"bare =", mindtouch.ServerToken{Key: "k", Secret: "s", User: "="}, false},
		{"name without =", mindtouch.ServerToken{Key: "k", Secret: "s", User: "admin"}, false},
		{"negative id", mindtouch.ServerToken{Key: "k", Secret: "s", User: "-2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tok.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, mindtouch.ErrInvalidToken)
			_, _, herr := tt.tok.AuthHeader(context.Background())
			require.ErrorIs(t, herr, mindtouch.ErrInvalidToken)
			_, terr := tt.tok.Transport("https://site.example", nil)
			require.ErrorIs(t, terr, mindtouch.ErrInvalidToken)
		})
	}
}

func TestAuthHeader(t *testing.T) {
	tok := mindtouch.ServerToken{Key: "k", Secret: "s", User: "=admin"}
	at := time.Unix(1700000000, 0)
	name, value, err := tok.WithClock(func() time.Time { return at }).AuthHeader(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "X-Deki-Token", name)
	assert.Equal(t, tok.Sign(at), value)

	// Without a clock it signs now.
	before := time.Now().Unix()
	_, value, err = tok.AuthHeader(context.Background())
	require.NoError(t, err)
	_, epoch, _, _, err := mindtouch.ParseToken(value)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, epoch, before)
	assert.LessOrEqual(t, epoch, time.Now().Unix())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = tok.AuthHeader(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// clock is a manual clock that tests advance.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func TestTransportSignsEachRequestForTheSiteOnly(t *testing.T) {
	tok := mindtouch.ServerToken{Key: "k3y", Secret: "sh-secret", User: "=jane@example.com"}
	clk := &clock{t: time.Unix(1700000000, 0)}

	var mu sync.Mutex
	var siteHeaders, otherHeaders []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherHeaders = append(otherHeaders, r.Header.Get("X-Deki-Token"))
		mu.Unlock()
	}))
	defer other.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("X-Deki-Token")
		mu.Lock()
		siteHeaders = append(siteHeaders, h)
		mu.Unlock()
		if err := mindtouch.Verify(h, tok.Secret, clk.Now(), mindtouch.SignatureLifetime); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
		}
	}))
	defer site.Close()

	rt, err := tok.WithClock(clk.Now).Transport(site.URL, nil)
	require.NoError(t, err)
	hc := &http.Client{Transport: rt}
	get := func(u string) int {
		resp, err := hc.Get(u)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	// Requests far apart in time each carry a valid, fresh signature: a header
	// signed once and reused would be refused after SignatureLifetime.
	for range 3 {
		require.Equal(t, http.StatusOK, get(site.URL+"/@api/deki/pages/home/info"))
		clk.Advance(4 * time.Minute)
	}
	require.Equal(t, http.StatusOK, get(site.URL+"/redirect"))
	require.Equal(t, http.StatusOK, get(other.URL+"/direct"))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, siteHeaders, 4)
	seen := map[string]bool{}
	for i, h := range siteHeaders {
		_, epoch, user, _, err := mindtouch.ParseToken(h)
		require.NoError(t, err)
		assert.Equal(t, int64(1700000000+i*240), epoch)
		assert.Equal(t, "=jane@example.com", user)
		assert.False(t, seen[h], "signature reused")
		seen[h] = true
	}
	assert.Equal(t, []string{"", ""}, otherHeaders, "the token went to another origin")
}

func TestTransportRefusesInsecureSite(t *testing.T) {
	tok := mindtouch.ServerToken{Key: "k", Secret: "s", User: "2"}
	_, err := tok.Transport("http://wiki.example.com", nil)
	require.ErrorIs(t, err, auth.ErrInsecureURL)
	_, err = tok.Transport("http://127.0.0.1:8080", nil)
	require.NoError(t, err)
}

func TestSecretRedacted(t *testing.T) {
	const secret = "very-secret-signing-key"
	tok := mindtouch.ServerToken{Key: "pubkey", Secret: secret, User: "=admin"}
	signer := tok.WithClock(time.Now)
	for _, v := range []any{tok, &tok, signer, &signer} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, secret, verb)
			assert.Contains(t, out, "pubkey", verb)
		}
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("signing", "token", tok, "signer", signer)
	assert.NotContains(t, buf.String(), secret)
	assert.Contains(t, buf.String(), `"key":"pubkey"`)

	// Errors do not carry it either.
	bad := mindtouch.ServerToken{Key: "a_b", Secret: secret, User: "2"}
	assert.NotContains(t, bad.Validate().Error(), secret)
	err := mindtouch.Verify(tok.Sign(time.Unix(0, 0)), secret, time.Now(), time.Minute)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	assert.False(t, errors.Is(err, mindtouch.ErrBadSignature))
}
