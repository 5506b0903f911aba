package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestAPIUntypedEndpoint(t *testing.T) {
	h := newHarness(t)
	r := h.run(t, args("api /user/profile"))
	require.Equal(t, 0, r.code, r)
	var p struct{ ID, Kind string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &p), r.stdout)
	assert.Equal(t, "client:"+mindpeekertest.DefaultClientID, p.ID)
	assert.Empty(t, r.stderr)
}

func TestAPIPostThenDelete(t *testing.T) {
	h := newHarness(t)
	r := h.run(t, []string{"api", "/sessions", "--data", `{"title":"From the shell"}`})
	require.Equal(t, 0, r.code, r)
	var s struct{ ID, Title string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	assert.Equal(t, "From the shell", s.Title)
	assert.Equal(t, 1, h.srv.Stats().SessionsCreated)

	r = h.run(t, args("api -X delete /sessions/"+s.ID))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout, "a 204 prints nothing")
	r = h.run(t, args("api /sessions/"+s.ID))
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "not_found")
}

func TestAPIPolicy(t *testing.T) {
	t.Run("429 Retry-After waited", func(t *testing.T) {
		h := newHarness(t)
		h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 429, RetryAfter: "1", Target: "GET /v1/user/profile"})
		start := time.Now()
		r := h.run(t, args("api /user/profile"))
		require.Equal(t, 0, r.code, r)
		assert.GreaterOrEqual(t, time.Since(start), time.Second)
	})
	t.Run("5xx retried", func(t *testing.T) {
		h := newHarness(t)
		h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultHTML, Status: 502, Target: "GET /v1/user/profile"})
		r := h.run(t, args("api /user/profile"))
		require.Equal(t, 0, r.code, r)
	})
	t.Run("401 renewed once", func(t *testing.T) {
		h := newHarness(t)
		h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 401, Target: "GET /v1/user/profile"})
		r := h.run(t, args("api /user/profile"))
		require.Equal(t, 0, r.code, r)
		assert.Equal(t, 2, h.srv.Stats().TokensIssued)
	})
}

func TestAPIExitCodes(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		args []string
		env  []string
		code int
	}{
		{"refused credential", args("api /user/profile"),
			[]string{client.EnvAPIKey, "mpk_wrong", client.EnvClientID, "", client.EnvClientSecret, ""}, 3},
		{"no such endpoint", args("api /nothing/here"), nil, 1},
		{"not JSON", []string{"api", "/sessions", "--data", "{nope"}, nil, 2},
		{"absolute URL", args("api https://elsewhere.example/x"), nil, 2},
		{"bad method", args("api -X G;T /user/profile"), nil, 2},
		{"no path", args("api"), nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.run(t, tt.args, tt.env...)
			assert.Equal(t, tt.code, r.code, r)
			assert.Empty(t, r.stdout)
		})
	}
}
