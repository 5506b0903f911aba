package mindpeekertest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestSessionsCRUD(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := bearer(srv.IssueAccessToken())

	r := api(t, srv, tok, "POST", "/sessions", map[string]string{"title": "Target 1", "target_id": "tgt_1", "notes": "n"})
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	created := decode[wireSession](t, r)
	assert.True(t, strings.HasPrefix(created.ID, "ses_"), created.ID)
	assert.Equal(t, "Target 1", created.Title)
	assert.Equal(t, "pending", created.Status)
	assert.Equal(t, "tgt_1", created.TargetID)
	assert.Equal(t, "n", created.Notes)
	assert.True(t, clock.Now().Equal(created.CreatedAt))
	assert.True(t, clock.Now().Equal(created.UpdatedAt))
	assert.Contains(t, string(r.body), `"created_at":"2025-03-14T15:09:26Z"`, "RFC 3339, UTC")

	r = api(t, srv, tok, "GET", "/sessions/"+created.ID, nil)
	require.Equal(t, 200, r.status)
	assert.Equal(t, created, decode[wireSession](t, r))

	r = api(t, srv, tok, "DELETE", "/sessions/"+created.ID, nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)

	for _, m := range []string{"GET", "DELETE"} {
		r = api(t, srv, tok, m, "/sessions/"+created.ID, nil)
		assert.Equal(t, 404, r.status, m)
		assert.Equal(t, "not_found", r.errCode(t), m)
	}
	assert.Equal(t, 1, srv.Stats().SessionsCreated)
}

func TestSessionsCreateValidation(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	for name, body := range map[string]any{
		"empty title":   map[string]string{"title": "  "},
		"missing title": map[string]string{"notes": "x"},
		"not JSON":      "title=x",
		"no body":       nil,
	} {
		t.Run(name, func(t *testing.T) {
			r := api(t, srv, tok, "POST", "/sessions", body)
			assert.Equal(t, 400, r.status)
			assert.Equal(t, "invalid_request", r.errCode(t))
		})
	}
	assert.Zero(t, srv.Stats().SessionsCreated)
}

func TestRoutingErrors(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        string
	}{
		{"GET", "/nothing-here", 404, "not_found", ""},
		{"GET", "/sessions/a/b", 404, "not_found", ""},
		{"PUT", "/sessions", 405, "invalid_request", "GET, POST"},
		{"POST", "/sessions/ses_1", 405, "invalid_request", "GET, DELETE"},
		{"GET", "/api-keys/key_1/rotate", 405, "invalid_request", "POST"},
		{"PATCH", "/api-keys", 405, "invalid_request", "GET, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := api(t, srv, tok, tt.method, tt.path, nil)
			assert.Equal(t, tt.status, r.status)
			assert.Equal(t, tt.code, r.errCode(t))
			assert.Equal(t, tt.allow, r.header.Get("Allow"))
			assert.NotEmpty(t, r.header.Get("X-Request-Id"))
		})
	}
	r := do(t, nil, mustReq(t, "GET", srv.URL+"/elsewhere", ""))
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "not_found", r.errCode(t))
}

func TestBearerAuthentication(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := clientCredentials(t, srv, "")
	tests := []struct {
		name   string
		c      cred
		status int
	}{
		{"Bearer", cred{bearer: tok}, 200},
		{"bearer", cred{bearer: tok, scheme: "bearer"}, 200},
		{"BEARER", cred{bearer: tok, scheme: "BEARER"}, 200},
		{"Basic scheme", cred{bearer: tok, scheme: "Basic"}, 401},
		{"unknown token", cred{bearer: "mpat_nope"}, 401},
		{"missing", cred{}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, srv, tt.c, "GET", "/sessions", nil)
			assert.Equal(t, tt.status, r.status)
			if tt.status == 401 {
				assert.Equal(t, "invalid_token", r.errCode(t))
				assert.Equal(t, `Bearer error="invalid_token"`, r.header.Get("WWW-Authenticate"))
				assert.NotContains(t, string(r.body), tok)
				assert.NotContains(t, string(r.body), "mpat_nope")
			}
		})
	}
	clock.Advance(2 * time.Hour)
	assert.Equal(t, 401, api(t, srv, bearer(tok), "GET", "/sessions", nil).status, "expired")
}

func TestSeedData(t *testing.T) {
	srv := newServer(t, mpt.WithSeedData())
	tok := bearer(srv.IssueAccessToken())
	sessions := decode[page[wireSession]](t, api(t, srv, tok, "GET", "/sessions", nil))
	assert.Len(t, sessions.Data, 3)
	keys := decode[page[wireKey]](t, api(t, srv, tok, "GET", "/api-keys", nil))
	assert.Len(t, keys.Data, 1)

	empty := newServer(t)
	sessions = decode[page[wireSession]](t, api(t, empty, bearer(empty.IssueAccessToken()), "GET", "/sessions", nil))
	assert.NotNil(t, sessions.Data)
	assert.Empty(t, sessions.Data)
	assert.False(t, sessions.HasMore)
}

func TestBodyTooLarge(t *testing.T) {
	srv := newServer(t)
	big := `{"title":"` + strings.Repeat("x", 1<<20) + `"}`
	r := api(t, srv, bearer(srv.IssueAccessToken()), "POST", "/sessions", big)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_request", r.errCode(t))
	assert.Zero(t, srv.Stats().SessionsCreated)
}
