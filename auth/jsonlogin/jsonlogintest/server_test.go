package jsonlogintest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin/jsonlogintest"
)

// call sends a raw request, so that the fake's wire format is checked without
// the client package.
func call(t *testing.T, method, url, contentType, body, bearer string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	require.NoError(t, err)
	var out map[string]string
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

func TestWireFormat(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := jsonlogintest.NewServer(jsonlogintest.WithClock(func() time.Time { return now }),
		jsonlogintest.WithLifetime(10*time.Minute), jsonlogintest.WithRotatingRefreshTokens())
	defer srv.Close()
	const js = "application/json"

	status, out := call(t, "POST", srv.URL+"/register", js, `{"user_id":"u","user_secret":"pw"}`, "")
	require.Equal(t, http.StatusCreated, status)
	key := out["user_key"]
	require.NotEmpty(t, key)

	status, _ = call(t, "POST", srv.URL+"/authenticate", "text/plain", `{"user_key":"`+key+`","user_secret":"pw"}`, "")
	assert.Equal(t, http.StatusUnsupportedMediaType, status)
	status, out = call(t, "POST", srv.URL+"/authenticate", js, `{"user_key":"`+key+`","user_secret":"nope"}`, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "invalid_credentials", out["error"])

	status, out = call(t, "POST", srv.URL+"/authenticate", js, `{"user_key":"`+key+`","user_secret":"pw"}`, "")
	require.Equal(t, http.StatusOK, status)
	access, rt := out["access_token"], out["refresh_token"]
	exp, ok := auth.JWTExpiry(access)
	require.True(t, ok, "the access token is a JWT with exp")
	assert.Equal(t, now.Add(10*time.Minute).Unix(), exp.Unix())

	status, out = call(t, "GET", srv.URL+"/me", "", "", access)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "u", out["user_id"])

	status, out = call(t, "POST", srv.URL+"/refresh", js, `{"refresh_token":"`+rt+`"}`, "")
	require.Equal(t, http.StatusOK, status)
	assert.NotEqual(t, rt, out["refresh_token"], "rotated")
	status, _ = call(t, "POST", srv.URL+"/refresh", js, `{"refresh_token":"`+rt+`"}`, "")
	assert.Equal(t, http.StatusUnauthorized, status, "a rotated refresh token is spent")

	now = now.Add(10 * time.Minute)
	status, _ = call(t, "GET", srv.URL+"/me", "", "", access)
	assert.Equal(t, http.StatusUnauthorized, status, "expired")
	assert.False(t, srv.ValidAccessToken(access))

	assert.Equal(t, jsonlogintest.Stats{Registers: 1, Authenticates: 1, FailedLogins: 1, Refreshes: 1,
		RefusedRefreshes: 1, Authorized: 1, Unauthorized: 1}, srv.Stats())
}
