package mindpeekertest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

const idemKey = "6f1c3b9e-0d7a-4c55-9d1e-2b8f0a4e7c11"

func TestIdempotentReplay(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	body := map[string]string{"title": "once"}

	first := api(t, srv, tok, "POST", "/sessions", body, "Idempotency-Key", idemKey)
	require.Equal(t, 201, first.status)
	assert.Empty(t, first.header.Get("Idempotent-Replayed"))

	second := api(t, srv, tok, "POST", "/sessions", `{ "title" : "once" }`, "Idempotency-Key", idemKey)
	assert.Equal(t, 201, second.status, "same JSON, other spelling")
	assert.Equal(t, "true", second.header.Get("Idempotent-Replayed"))
	assert.Equal(t, "application/json", second.header.Get("Content-Type"))
	assert.Equal(t, string(first.body), string(second.body))
	assert.NotEqual(t, first.header.Get("X-Request-Id"), second.header.Get("X-Request-Id"))

	assert.Equal(t, 1, srv.Stats().SessionsCreated)
	assert.Len(t, decode[page[wireSession]](t, api(t, srv, tok, "GET", "/sessions", nil)).Data, 1)

	r := api(t, srv, tok, "POST", "/sessions", map[string]string{"title": "other"}, "Idempotency-Key", idemKey)
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "conflict", r.errCode(t))
	assert.Empty(t, r.header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, srv.Stats().SessionsCreated, "the conflicting body did not act")

	// Without a key, or with another key, the call acts again.
	assert.Equal(t, 201, api(t, srv, tok, "POST", "/sessions", body).status)
	assert.Equal(t, 201, api(t, srv, tok, "POST", "/sessions", body, "Idempotency-Key", "another").status)
	assert.Equal(t, 3, srv.Stats().SessionsCreated)
}

func TestIdempotencyScope(t *testing.T) {
	srv := newServer(t)
	srv.AddClient("second-client", "s2")
	body := map[string]string{"title": "scoped"}

	tokA1 := bearer(clientCredentials(t, srv, ""))
	tokA2 := bearer(clientCredentials(t, srv, "")) // same principal, new token
	r := postToken(t, srv, tokenReq{form: form("grant_type", "client_credentials", "client_id", "second-client", "client_secret", "s2")})
	tokB := bearer(r.token(t).AccessToken)

	a1 := api(t, srv, tokA1, "POST", "/sessions", body, "Idempotency-Key", idemKey)
	a2 := api(t, srv, tokA2, "POST", "/sessions", body, "Idempotency-Key", idemKey)
	assert.Equal(t, "true", a2.header.Get("Idempotent-Replayed"), "a renewed token is the same principal")
	assert.Equal(t, string(a1.body), string(a2.body))

	b := api(t, srv, tokB, "POST", "/sessions", body, "Idempotency-Key", idemKey)
	assert.Empty(t, b.header.Get("Idempotent-Replayed"), "another principal has its own keys")
	assert.NotEqual(t, string(a1.body), string(b.body))

	_, key := srv.CreateAPIKey("k", "remote-viewing:write", "remote-viewing:read")
	k := api(t, srv, apiKey(key), "POST", "/sessions", body, "Idempotency-Key", idemKey)
	assert.Empty(t, k.header.Get("Idempotent-Replayed"))

	other := api(t, srv, tokA1, "POST", "/api-keys", map[string]any{"name": "x", "scopes": []string{"profile"}}, "Idempotency-Key", idemKey)
	assert.Equal(t, 201, other.status, "another path has its own keys")
	assert.Equal(t, 3, srv.Stats().SessionsCreated)
}

func TestIdempotencyRecordsExpire(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now), mpt.WithTokenLifetime(48*time.Hour))
	tok := bearer(srv.IssueAccessToken())
	body := map[string]string{"title": "daily"}
	api(t, srv, tok, "POST", "/sessions", body, "Idempotency-Key", idemKey)
	clock.Advance(23 * time.Hour)
	assert.Equal(t, "true", api(t, srv, tok, "POST", "/sessions", body, "Idempotency-Key", idemKey).header.Get("Idempotent-Replayed"))
	clock.Advance(time.Hour)
	assert.Empty(t, api(t, srv, tok, "POST", "/sessions", body, "Idempotency-Key", idemKey).header.Get("Idempotent-Replayed"))
	assert.Equal(t, 2, srv.Stats().SessionsCreated)
}

func TestIdempotencyStoresClientErrors(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	r1 := api(t, srv, tok, "POST", "/sessions", map[string]string{"title": ""}, "Idempotency-Key", idemKey)
	r2 := api(t, srv, tok, "POST", "/sessions", map[string]string{"title": ""}, "Idempotency-Key", idemKey)
	assert.Equal(t, 400, r1.status)
	assert.Equal(t, 400, r2.status)
	assert.Equal(t, "true", r2.header.Get("Idempotent-Replayed"))

	// Authentication is checked before the record: a 401 is never stored.
	r := api(t, srv, bearer("mpat_bad"), "POST", "/sessions", map[string]string{"title": "x"}, "Idempotency-Key", "k401")
	assert.Equal(t, 401, r.status)
	r = api(t, srv, tok, "POST", "/sessions", map[string]string{"title": "x"}, "Idempotency-Key", "k401")
	assert.Equal(t, 201, r.status)
	assert.Empty(t, r.header.Get("Idempotent-Replayed"))
}

func TestIdempotencyConcurrent(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	const n = 16
	bodies := make([]string, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := api(t, srv, tok, "POST", "/sessions", map[string]string{"title": "race"}, "Idempotency-Key", idemKey)
			bodies[i], statuses[i] = string(r.body), r.status
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		assert.Equal(t, 201, statuses[i], "concurrent repeats wait, never 409")
		assert.Equal(t, bodies[0], bodies[i])
	}
	assert.Equal(t, 1, srv.Stats().SessionsCreated)
}

// The motivating case: a rotation whose answer is lost. The retry with the
// same key must return the same new key, and rotate only once.
func TestDropAfterThenRetryRotation(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	oldID, oldKey := srv.CreateAPIKey("svc")
	srv.Inject(mpt.Fault{Kind: mpt.FaultDropAfter, Target: "POST /v1/api-keys"})

	req, err := http.NewRequest("POST", fmt.Sprintf("%s/api-keys/%s/rotate", srv.APIURL(), oldID), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.bearer)
	req.Header.Set("Idempotency-Key", idemKey)
	_, err = noKeepAlive().Do(req)
	require.Error(t, err, "the answer was dropped")
	assert.Equal(t, 1, srv.Stats().Rotations, "but the rotation happened")
	assert.Equal(t, 401, api(t, srv, apiKey(oldKey), "GET", "/sessions", nil).status)

	r := api(t, srv, tok, "POST", "/api-keys/"+oldID+"/rotate", nil, "Idempotency-Key", idemKey)
	require.Equal(t, 201, r.status, "body: %s", r.body)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	nk := decode[wireKey](t, r)
	assert.Equal(t, 200, api(t, srv, apiKey(nk.Key), "GET", "/sessions", nil).status, "the replayed key is the live one")

	again := decode[wireKey](t, api(t, srv, tok, "POST", "/api-keys/"+oldID+"/rotate", nil, "Idempotency-Key", idemKey))
	assert.Equal(t, nk, again)
	assert.Equal(t, 1, srv.Stats().Rotations)
	assert.Len(t, decode[page[wireKey]](t, api(t, srv, tok, "GET", "/api-keys", nil)).Data, 2)

	// Without the key, a retry is a second rotation of a revoked key.
	assert.Equal(t, 409, api(t, srv, tok, "POST", "/api-keys/"+oldID+"/rotate", nil).status)
}
