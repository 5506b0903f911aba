package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
)

func TestRunWithFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	s := out.String()
	assert.Contains(t, s, "using an in-process fake MindTouch site")
	assert.Equal(t, 3, strings.Count(s, "for user =jane@example.com -> 200 OK"))
	assert.Contains(t, s, "-> 401 Unauthorized")
	assert.Contains(t, s, "signed now -> 200 OK")
}

func TestRunNeedsAllVariables(t *testing.T) {
	env := map[string]string{"MINDTOUCH_SITE_URL": "https://wiki.example.com", "MINDTOUCH_KEY": "k"}
	err := run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, "set all of")
}

func TestFakeSiteChecksSignatures(t *testing.T) {
	now := time.Unix(1700000000, 0)
	fake := newFakeSite(func() time.Time { return now }, "k", "right")
	defer fake.Close()
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"valid", mindtouch.ServerToken{Key: "k", Secret: "right", User: "2"}.Sign(now), 200},
		{"wrong secret", mindtouch.ServerToken{Key: "k", Secret: "wrong", User: "2"}.Sign(now), 401},
		{"unknown key", mindtouch.ServerToken{Key: "x", Secret: "right", User: "2"}.Sign(now), 401},
		{"stale", mindtouch.ServerToken{Key: "k", Secret: "right", User: "2"}.Sign(now.Add(-10 * time.Minute)), 401},
		{"missing", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", fake.URL()+"/@api/deki/users/current", nil)
			require.NoError(t, err)
			if tt.header != "" {
				req.Header.Set(mindtouch.HeaderName, tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}
	assert.Len(t, fake.Refused(), 4)
}

// TestRunAgainstASite runs the credentials path against the fake on the real
// clock, as it would against a real site.
func TestRunAgainstASite(t *testing.T) {
	fake := newFakeSite(time.Now, "realkey", "real-secret-value")
	defer fake.Close()
	env := map[string]string{"MINDTOUCH_SITE_URL": fake.URL() + "/", "MINDTOUCH_KEY": "realkey",
		"MINDTOUCH_SECRET": "real-secret-value", "MINDTOUCH_USER": "=bob smith"}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "GET /@api/deki/users/current (freshly signed) -> 200 OK")
	assert.Contains(t, out.String(), "<username>bob smith</username>")
	assert.NotContains(t, out.String(), "real-secret-value")
	assert.Empty(t, fake.Refused())
}
