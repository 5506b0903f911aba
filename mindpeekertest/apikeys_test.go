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

func TestAPIKeysLifecycle(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := bearer(srv.IssueAccessToken())
	exp := clock.Now().Add(30 * 24 * time.Hour)

	r := api(t, srv, tok, "POST", "/api-keys", map[string]any{
		"name": "CI", "scopes": []string{"remote-viewing:read", "remote-viewing:write"}, "expires_at": exp.Format(time.RFC3339),
	})
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	k := decode[wireKey](t, r)
	assert.True(t, strings.HasPrefix(k.ID, "key_"), k.ID)
	assert.True(t, strings.HasPrefix(k.Key, "mpk_"), "key shown at creation")
	assert.GreaterOrEqual(t, len(k.Key)-len("mpk_"), 32)
	assert.Equal(t, k.Key[:8], k.Prefix)
	assert.Equal(t, []string{"remote-viewing:read", "remote-viewing:write"}, k.Scopes)
	require.NotNil(t, k.ExpiresAt)
	assert.True(t, exp.Equal(*k.ExpiresAt))
	assert.Nil(t, k.LastUsedAt)
	assert.Nil(t, k.RevokedAt)
	assert.Contains(t, string(r.body), `"last_used_at":null`)
	assert.Equal(t, 1, srv.Stats().APIKeysCreated)

	// Get and list never show the key.
	r = api(t, srv, tok, "GET", "/api-keys/"+k.ID, nil)
	require.Equal(t, 200, r.status)
	assert.NotContains(t, r.json(t), "key")
	assert.NotContains(t, string(r.body), k.Key)
	r = api(t, srv, tok, "GET", "/api-keys", nil)
	assert.NotContains(t, string(r.body), k.Key)
	assert.NotContains(t, string(r.body), `"key":`)

	// The key authenticates, within its scopes, and records its use.
	clock.Advance(time.Minute)
	assert.Equal(t, 200, api(t, srv, apiKey(k.Key), "GET", "/sessions", nil).status)
	assert.Equal(t, 201, api(t, srv, apiKey(k.Key), "POST", "/sessions", map[string]string{"title": "x"}).status)
	r = api(t, srv, apiKey(k.Key), "DELETE", "/sessions/ses_x", nil)
	assert.Equal(t, 403, r.status, "no delete scope")
	got := decode[wireKey](t, api(t, srv, tok, "GET", "/api-keys/"+k.ID, nil))
	require.NotNil(t, got.LastUsedAt)
	assert.True(t, clock.Now().Equal(*got.LastUsedAt))

	// Revoke.
	r = api(t, srv, tok, "DELETE", "/api-keys/"+k.ID, nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	r = api(t, srv, apiKey(k.Key), "GET", "/sessions", nil)
	assert.Equal(t, 401, r.status)
	assert.Equal(t, "invalid_token", r.errCode(t))
	assert.NotContains(t, string(r.body), k.Key)
	got = decode[wireKey](t, api(t, srv, tok, "GET", "/api-keys/"+k.ID, nil))
	require.NotNil(t, got.RevokedAt)
	list := decode[page[wireKey]](t, api(t, srv, tok, "GET", "/api-keys", nil))
	require.Len(t, list.Data, 1, "revoked keys are still listed")
	assert.NotNil(t, list.Data[0].RevokedAt)
	assert.Equal(t, 204, api(t, srv, tok, "DELETE", "/api-keys/"+k.ID, nil).status, "revoking twice is fine")

	for _, c := range []struct{ method, path string }{{"GET", "/api-keys/key_nope"}, {"DELETE", "/api-keys/key_nope"}, {"POST", "/api-keys/key_nope/rotate"}} {
		r = api(t, srv, tok, c.method, c.path, nil)
		assert.Equal(t, 404, r.status, c)
		assert.Equal(t, "not_found", r.errCode(t), c)
	}
}

func TestAPIKeyRotate(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	oldID, oldKey := srv.CreateAPIKey("svc", "remote-viewing:read")

	r := api(t, srv, tok, "POST", "/api-keys/"+oldID+"/rotate", nil)
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	nk := decode[wireKey](t, r)
	assert.NotEqual(t, oldID, nk.ID)
	assert.NotEqual(t, oldKey, nk.Key)
	assert.Equal(t, "svc", nk.Name)
	assert.Equal(t, []string{"remote-viewing:read"}, nk.Scopes)
	assert.Nil(t, nk.ExpiresAt)
	assert.Equal(t, 1, srv.Stats().Rotations)

	assert.Equal(t, 401, api(t, srv, apiKey(oldKey), "GET", "/sessions", nil).status, "old key revoked")
	assert.Equal(t, 200, api(t, srv, apiKey(nk.Key), "GET", "/sessions", nil).status)

	r = api(t, srv, tok, "POST", "/api-keys/"+oldID+"/rotate", nil)
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "conflict", r.errCode(t))
	assert.Equal(t, 1, srv.Stats().Rotations)
}

func TestAPIKeyCreateValidation(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := bearer(srv.IssueAccessToken())
	past := clock.Now().Add(-time.Hour).Format(time.RFC3339)
	for name, body := range map[string]any{
		"no name":        map[string]any{"scopes": []string{"profile"}},
		"no scopes":      map[string]any{"name": "x"},
		"empty scopes":   map[string]any{"name": "x", "scopes": []string{}},
		"unknown scope":  map[string]any{"name": "x", "scopes": []string{"profile", "root"}},
		"bad expires_at": map[string]any{"name": "x", "scopes": []string{"profile"}, "expires_at": "tomorrow"},
		"past expires":   map[string]any{"name": "x", "scopes": []string{"profile"}, "expires_at": past},
		"not JSON":       "{",
	} {
		t.Run(name, func(t *testing.T) {
			r := api(t, srv, tok, "POST", "/api-keys", body)
			assert.Equal(t, 400, r.status)
			assert.Equal(t, "invalid_request", r.errCode(t))
		})
	}
}

func TestAPIKeyExpiry(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := bearer(srv.IssueAccessToken())
	r := api(t, srv, tok, "POST", "/api-keys", map[string]any{
		"name": "short", "scopes": []string{"remote-viewing:read"}, "expires_at": clock.Now().Add(time.Hour).Format(time.RFC3339),
	})
	k := decode[wireKey](t, r)
	assert.Equal(t, 200, api(t, srv, apiKey(k.Key), "GET", "/sessions", nil).status)
	clock.Advance(time.Hour)
	assert.Equal(t, 401, api(t, srv, apiKey(k.Key), "GET", "/sessions", nil).status)
	tok = bearer(srv.IssueAccessToken())
	assert.Equal(t, 409, api(t, srv, tok, "POST", "/api-keys/"+k.ID+"/rotate", nil).status, "expired keys cannot be rotated")
}

func TestAPIKeyCannotManageKeys(t *testing.T) {
	srv := newServer(t)
	id, key := srv.CreateAPIKey("all") // no scopes: every scope
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api-keys", map[string]any{"name": "x", "scopes": []string{"profile"}}},
		{"POST", "/api-keys/" + id + "/rotate", nil},
		{"DELETE", "/api-keys/" + id, nil},
	} {
		r := api(t, srv, apiKey(key), c.method, c.path, c.body)
		assert.Equal(t, 403, r.status, c)
		assert.Equal(t, "insufficient_scope", r.errCode(t), c)
	}
	assert.Equal(t, 200, api(t, srv, apiKey(key), "GET", "/api-keys", nil).status, "listing is fine")
	assert.Equal(t, 200, api(t, srv, apiKey(key), "GET", "/api-keys/"+id, nil).status)
	assert.Equal(t, 201, api(t, srv, apiKey(key), "POST", "/sessions", map[string]string{"title": "x"}).status)
	assert.Equal(t, 401, api(t, srv, apiKey("mpk_not-a-key"), "GET", "/sessions", nil).status)
}

// A bearer token may only create an API key with scopes it holds itself; an
// unrestricted token may create any. The 403 names the missing scopes.
func TestAPIKeyCreateCannotEscalateScopes(t *testing.T) {
	srv := newServer(t)
	limited := bearer(srv.IssueAccessToken("remote-viewing:read", "remote-viewing:write", "profile"))
	unrestricted := bearer(srv.IssueAccessToken())
	tests := []struct {
		name    string
		tok     cred
		scopes  []string
		status  int
		missing []string
	}{
		{"subset", limited, []string{"remote-viewing:read"}, 201, nil},
		{"all it holds", limited, []string{"profile", "remote-viewing:write", "remote-viewing:read"}, 201, nil},
		{"one missing", limited, []string{"remote-viewing:read", "remote-viewing:admin"}, 403, []string{"remote-viewing:admin"}},
		{"two missing", limited, []string{"dowsing:read", "profile", "analytics:export"}, 403, []string{"dowsing:read", "analytics:export"}},
		{"unrestricted may create admin", unrestricted, []string{"remote-viewing:admin", "organizations:write"}, 201, nil},
	}
	created := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, srv, tt.tok, "POST", "/api-keys", map[string]any{"name": tt.name, "scopes": tt.scopes})
			require.Equal(t, tt.status, r.status, "body: %s", r.body)
			if tt.status == 201 {
				created++
				assert.ElementsMatch(t, tt.scopes, decode[wireKey](t, r).Scopes)
				return
			}
			assert.Equal(t, "insufficient_scope", r.errCode(t))
			msg := r.json(t)["error"].(map[string]any)["message"].(string)
			for _, m := range tt.missing {
				assert.Contains(t, msg, m)
			}
			for _, held := range []string{"remote-viewing:read", "profile"} {
				assert.NotContains(t, msg, held, "only missing scopes are named")
			}
			assert.Equal(t, `Bearer error="insufficient_scope", scope="`+strings.Join(tt.missing, " ")+`"`, r.header.Get("WWW-Authenticate"))
			assert.NotContains(t, string(r.body), `"key"`)
		})
	}
	assert.Equal(t, created, srv.Stats().APIKeysCreated, "refused creations store nothing")
	assert.Len(t, decode[page[wireKey]](t, api(t, srv, unrestricted, "GET", "/api-keys", nil)).Data, created)

	// Body validation comes first: an unknown scope is a 400, not a 403.
	r := api(t, srv, limited, "POST", "/api-keys", map[string]any{"name": "x", "scopes": []string{"root"}})
	assert.Equal(t, 400, r.status)
}

// Rotation hands the caller a new key with the old key's scopes, so a
// caller may only rotate a key whose scopes it holds.
func TestAPIKeyRotateCannotEscalateScopes(t *testing.T) {
	srv := newServer(t)
	limited := bearer(srv.IssueAccessToken("remote-viewing:read"))
	wideID, wideKey := srv.CreateAPIKey("wide", "remote-viewing:read", "remote-viewing:admin")
	narrowID, _ := srv.CreateAPIKey("narrow", "remote-viewing:read")

	r := api(t, srv, limited, "POST", "/api-keys/"+wideID+"/rotate", nil)
	require.Equal(t, 403, r.status, "body: %s", r.body)
	assert.Equal(t, "insufficient_scope", r.errCode(t))
	assert.Contains(t, string(r.body), "remote-viewing:admin")
	assert.Zero(t, srv.Stats().Rotations)
	assert.Equal(t, 200, api(t, srv, apiKey(wideKey), "GET", "/sessions", nil).status, "the key was not revoked")

	r = api(t, srv, limited, "POST", "/api-keys/"+narrowID+"/rotate", nil)
	require.Equal(t, 201, r.status, "body: %s", r.body)
	assert.Equal(t, []string{"remote-viewing:read"}, decode[wireKey](t, r).Scopes, "rotation keeps the scopes")

	r = api(t, srv, bearer(srv.IssueAccessToken()), "POST", "/api-keys/"+wideID+"/rotate", nil)
	require.Equal(t, 201, r.status, "an unrestricted token may rotate any key")
	assert.Equal(t, []string{"remote-viewing:read", "remote-viewing:admin"}, decode[wireKey](t, r).Scopes)
	assert.Equal(t, 2, srv.Stats().Rotations)
}
