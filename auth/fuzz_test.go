package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// fuzzMindbazAccessToken is the access token of the example answer in the Mindbaz
// documentation: a JWT whose exp is 1623674442 (2021-06-14T12:40:42Z).
const fuzzMindbazAccessToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3Nzby5taW5kYmF6LmNvbSIsImlhdCI6MTYyMzY3MzI0MiwianRpIjoiNTAyNGUzYWYtZjM2Yi00OWU4LWEwZjMtOTBlOGVkZTRiOWI4IiwibmFtZSI6Imdsb3BlekBtaW5kYmF6LmNvbSIsInN1YiI6Imdsb3BlekBtaW5kYmF6LmNvbSIsImVtYWlsIjoiZ2xvcGV6QG1pbmRiYXouY29tIiwiZXhwIjoxNjIzNjc0NDQyLCJhdWQiOiJSZXN0QVBJIiwiY29va2V5IjoiYVU0MVp6UnhWRlJwUldFelYwWkRSRkJQYUZOU1FUMDkifQ.EOdHck1Pw9iL4UGN0Afso5GJ8mcHT_v5bmsyFm_MJkI"

// fuzzMindbazTokenBody is the token answer printed in the Mindbaz documentation.
const fuzzMindbazTokenBody = `{
"access_token": "` + fuzzMindbazAccessToken + `",
"token_type": "bearer",
"expires_in": 1199,
"refresh_token": "71b3ca358b014f0b95c07e6dfb76fae2"
}`

// fuzzMindPeekerTokenBody is the client credentials answer printed in the
// MindPeeker authentication guide (its access token is elided there).
const fuzzMindPeekerTokenBody = `{
"access_token": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...",
"token_type": "Bearer",
"expires_in": 3600,
"scope": "remote-viewing:read remote-viewing:write",
"issued_at": 1640995200
}`

// fuzzJWT builds an unsigned JWT around the given payload JSON.
func fuzzJWT(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(payload)) + "."
}

// FuzzJWTExpiry checks that JWTExpiry never panics on any string, reports ok
// only for a three-part token, returns a time after the epoch and no later
// than 2^40 seconds, and reads back any integral exp in that range exactly.
func FuzzJWTExpiry(f *testing.F) {
	for _, tok := range []string{
		fuzzMindbazAccessToken,
		fuzzJWT(`{"exp":1623674442}`), fuzzJWT(`{"exp":1623674442.5}`), fuzzJWT(`{"exp":"1623674442"}`),
		fuzzJWT(`{"exp":-1}`), fuzzJWT(`{"exp":0}`), fuzzJWT(`{"exp":1e300}`), fuzzJWT(`{"exp":1099511627776}`),
		fuzzJWT(`{"exp":null}`), fuzzJWT(`{}`), fuzzJWT(`[]`), fuzzJWT(`not json`),
		"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...", // MindPeeker's elided example: four parts
		"a.b.c", "..", ".", "", "opaque-token-value",
		"x." + base64.URLEncoding.EncodeToString([]byte(`{"exp":1700000000}`)) + ".y", // padded base64
		"x.!!!.y",
	} {
		f.Add(tok, int64(0))
	}
	f.Add("", int64(1700000000))
	f.Add("", int64(1)<<40)
	f.Fuzz(func(t *testing.T, token string, exp int64) {
		got, ok := auth.JWTExpiry(token)
		if ok {
			assert.Equal(t, 2, strings.Count(token, "."), "ok for a token that is not three parts: %q", token)
			assert.True(t, got.After(time.Unix(0, 0)), "exp %v not after the epoch", got)
			assert.False(t, got.After(time.Unix(1<<40, 0)), "exp %v beyond 2^40 s", got)
		} else {
			assert.True(t, got.IsZero(), "a refused token has no expiry")
		}

		// Round trip of a well-formed token with the fuzzed exp.
		got, ok = auth.JWTExpiry(fuzzJWT(`{"sub":"x","exp":` + strconv.FormatInt(exp, 10) + `}`))
		if exp > 0 && exp <= 1<<40 {
			assert.True(t, ok)
			assert.Equal(t, time.Unix(exp, 0), got)
		} else {
			assert.False(t, ok, "exp %d accepted", exp)
		}
	})
}

// fuzzTransport is an in-memory http.RoundTripper.
type fuzzTransport func(*http.Request) (*http.Response, error)

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fuzzContentTypes are the Content-Type headers FuzzTokenResponse picks from:
// the JSON and form answers real servers send, and the wrong ones proxies send.
var fuzzContentTypes = []string{
	"application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
	"text/plain; charset=utf-8", "text/html", "", "application/x-www-form-urlencoded; charset",
}

// fuzzSecret is the client secret of FuzzTokenResponse: it must never appear
// in an error (unless the fuzzed server echoes it back).
const fuzzSecret = "fuzz-client-secret-7Qm2"

// FuzzTokenResponse drives the whole token path — auth.Source over
// auth.ClientCredentials, x/oauth2 underneath — against a token endpoint
// answering the fuzzed status, Content-Type and body from memory. Whatever the
// answer, the caller gets either a *auth.TokenError that does not contain the
// client secret, or a token with an access token, an expiry and the type
// "Bearer" (or the non-bearer type the server named).
func FuzzTokenResponse(f *testing.F) {
	seeds := []struct {
		status int
		ctype  uint8
		body   string
	}{
		{200, 0, fuzzMindbazTokenBody},
		{200, 0, fuzzMindPeekerTokenBody},
		{200, 1, `{"access_token":"at","token_type":"bearer","expires_in":"3600","refresh_token":"rt"}`},
		{200, 2, "access_token=at&token_type=bearer&expires_in=3600&scope=remote-viewing%3Aread"},
		{200, 3, "access_token=at&expires_in=60"},
		{200, 0, `{"access_token":"` + fuzzJWT(`{"exp":4102444800}`) + `","token_type":"BEARER"}`},
		{200, 0, `{"access_token":"at"}`},
		{200, 0, `{"access_token":"at","token_type":"mac","expires_in":3600}`},
		{200, 0, `{"access_token":"at","expires_in":-1}`},
		{200, 0, `{"access_token":"at","expires_in":0}`},
		{200, 0, `{"access_token":"at","expires_in":3600.5}`},
		{200, 0, `{"access_token":"at","expires_in":99999999999999}`},
		{200, 2, "access_token=at&expires_in=99999999999"},
		{200, 2, "access_token=at&expires_in=10000000000"},
		{200, 0, `{"access_token":"at","expires_in":null}`},
		{200, 0, `{"token_type":"bearer","expires_in":3600}`},
		{200, 0, `{"error":"invalid_client","error_description":"unknown client"}`},
		{400, 0, `{"error":"invalid_grant","error_description":"refresh token spent"}`},
		{401, 0, `{"error":"invalid_client","error_description":"client secret fuzz-client-secret-7Qm2 is wrong"}`},
		{429, 0, `{"error":"rate_limited"}`},
		{502, 4, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"},
		{200, 4, "<html><body>Please log in</body></html>"},
		{200, 0, "<<this is not JSON>> {\"data\": ["},
		{200, 0, ""},
		{204, 5, ""},
		{500, 2, "error=server_error&error_description=%zz"},
		{200, 6, "access_token=at"},
		{200, 0, `{"ACCess_token":"0","eXpiRes_in":-1}`}, // keys match case-insensitively
	}
	for _, s := range seeds {
		f.Add(s.status, s.ctype, s.body)
	}
	f.Fuzz(func(t *testing.T, status int, ctype uint8, body string) {
		if status < 100 || status > 599 {
			status = 200
		}
		contentType := fuzzContentTypes[int(ctype)%len(fuzzContentTypes)]
		rt := fuzzTransport(func(r *http.Request) (*http.Response, error) {
			if r.Body != nil {
				_, _ = io.Copy(io.Discard, r.Body)
				_ = r.Body.Close()
			}
			h := http.Header{}
			if contentType != "" {
				h.Set("Content-Type", contentType)
			}
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})
		src := auth.NewSource(auth.ClientCredentials{
			TokenURL: "https://auth.example.test/oauth2/token", ClientID: "fuzz-client", ClientSecret: fuzzSecret,
		}, auth.WithHTTPClient(&http.Client{Transport: rt}))

		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tok, err := src.TokenContext(ctx)
		if err != nil {
			assert.Nil(t, tok)
			var te *auth.TokenError
			require.True(t, errors.As(err, &te), "not a *auth.TokenError: %T %v", err, err)
			assert.Equal(t, "client_credentials", te.Grant)
			if status < 200 || status > 299 {
				assert.Equal(t, status, te.StatusCode, "the status of a refusal is kept")
			}
			if !strings.Contains(body, fuzzSecret) {
				assert.NotContains(t, err.Error(), fuzzSecret, "the client secret leaked into the error")
			}
			return
		}
		require.NotNil(t, tok)
		assert.NotEmpty(t, tok.AccessToken)
		assert.False(t, tok.Expiry.IsZero(), "no expiry")
		if tok.TokenType != "Bearer" {
			// A type other than bearer is kept as the server sent it.
			assert.False(t, strings.EqualFold(tok.TokenType, "bearer"), "type %q not normalized", tok.TokenType)
			assert.NotEmpty(t, tok.TokenType)
		}
		secs, sent := fuzzExpiresIn(fuzzSentExpiresIn(contentType, body))
		fuzzCheckExpiry(t, tok.AccessToken, tok.Expiry, start, secs, sent)
	})
}

// fuzzSentExpiresIn returns the expires_in the fuzzed server sent, found the
// way x/oauth2 finds it: by media type, a form value, or a JSON field matched
// case-insensitively as encoding/json matches struct fields. Form values are
// returned as Token.Extra returns them.
func fuzzSentExpiresIn(contentType, body string) any {
	switch media, _, _ := mime.ParseMediaType(contentType); media {
	case "application/x-www-form-urlencoded", "text/plain":
		vals, err := url.ParseQuery(body)
		if err != nil {
			return nil
		}
		return (&oauth2.Token{}).WithExtra(vals).Extra("expires_in")
	}
	var v struct {
		ExpiresIn any `json:"expires_in"`
	}
	if json.Unmarshal([]byte(body), &v) != nil {
		return nil
	}
	return v.ExpiresIn
}

// fuzzExpiresIn reads an expires_in value (a JSON number or string; a form
// value parsed as int64 or float64 when it looks like one, else the string);
// ok is false when it is absent or not an integer.
func fuzzExpiresIn(v any) (secs int64, ok bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case float64:
		switch {
		case v != math.Trunc(v):
			return 0, false
		case v >= 1<<62:
			return 1 << 62, true
		case v <= -(1 << 62):
			return -(1 << 62), true
		}
		return int64(v), true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// fuzzCheckExpiry asserts that a token handed out is usable: a positive expires_in
// is honoured (capped, never wrapped around into the past), otherwise the JWT
// exp claim or the one-hour default applies.
func fuzzCheckExpiry(t *testing.T, access string, expiry, start time.Time, secs int64, sent bool) {
	t.Helper()
	end := time.Now()
	exp, isJWT := auth.JWTExpiry(access)
	switch {
	case sent && secs > 0 && secs <= 1<<31-1:
		assert.False(t, expiry.Before(start.Add(time.Duration(secs)*time.Second)), "expiry %v for expires_in %d", expiry, secs)
		assert.False(t, expiry.After(end.Add(time.Duration(secs)*time.Second)), "expiry %v for expires_in %d", expiry, secs)
	case sent && secs > 0:
		// Larger than x/oauth2's int32 cap: any far-future expiry will do,
		// but never one that wrapped around.
		assert.True(t, expiry.After(start.Add(time.Duration(1<<31-1)*time.Second)), "expiry %v for expires_in %d", expiry, secs)
	case isJWT && exp.After(end):
		assert.Equal(t, exp, expiry, "the JWT exp claim applies")
	default:
		assert.True(t, expiry.After(start), "expiry %v is not after the request (expires_in %d, sent %v)", expiry, secs, sent)
	}
}
