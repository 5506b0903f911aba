package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// sdkAttempts is how many requests one SDK call sends at most when every
// answer is lost: one attempt and MaxRetries (3) retries.
const sdkAttempts = 4

// keyRe finds the idempotency key the command names after a lost answer.
var keyRe = regexp.MustCompile(`--idempotency-key ([0-9a-f-]{36})`)

// dropAfter makes the server carry out the next times requests to target but
// lose their answers.
func dropAfter(target string, times int) mindpeekertest.Fault {
	return mindpeekertest.Fault{Kind: mindpeekertest.FaultDropAfter, Target: target, Times: times}
}

// idempotencyKeys returns the Idempotency-Key of each request the server
// received for method and path.
func idempotencyKeys(srv *mindpeekertest.Server, method, path string) []string {
	var keys []string
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
		}
	}
	return keys
}

// TestAPIKeysRotateLostAnswer loses the answer of a rotation on every attempt
// of the SDK's first call: the command asks once more with the same
// idempotency key, the server replays its stored answer, and the key is
// rotated once and its new value printed once.
//
// The first call loses sdkAttempts answers, or one more when Go's
// http.Transport replays its first attempt on the reused connection of the
// token request; 7 faults leave 2 or 3 for the second call, which its fourth
// attempt at the latest outlasts.
func TestAPIKeysRotateLostAnswer(t *testing.T) {
	h := newHarness(t)
	oldID, oldKey := h.srv.CreateAPIKey("rotating", "remote-viewing:read")
	h.srv.Inject(dropAfter("POST /v1/api-keys/", 7))

	r := h.run(t, args("apikeys rotate -o json "+oldID))
	require.Equal(t, 0, r.code, r)
	assert.Zero(t, h.srv.PendingFaults(), "every answer up to the last was lost")
	assert.Equal(t, 1, h.srv.Stats().Rotations, "rotated once")

	var k apikeys.APIKey
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &k), r.stdout)
	require.True(t, strings.HasPrefix(k.Key, "mpk_"), r.stdout)
	assert.Equal(t, 1, strings.Count(r.stdout, k.Key), "the new key is printed once: %s", r)
	assert.Equal(t, 1, strings.Count(r.all(), k.Key), "and nowhere else: %s", r)
	assert.NotContains(t, r.all(), oldKey)
	assert.Contains(t, r.stderr, "The answer was lost; asking again with idempotency key ")
	assert.Contains(t, r.stderr, "Rotated "+oldID+": the new key is "+k.ID)

	keys := idempotencyKeys(h.srv, "POST", "/v1/api-keys/"+oldID+"/rotate")
	require.Greater(t, len(keys), sdkAttempts, "a second call was made")
	t.Logf("%d rotate requests", len(keys))
	for _, key := range keys {
		assert.Equal(t, keys[0], key, "every attempt of both calls carries the same key")
	}
	assert.Contains(t, r.stderr, keys[0])

	// The printed key is the one the server holds.
	r = h.run(t, args("sessions list"), client.EnvClientID, "", client.EnvClientSecret, "", client.EnvAPIKey, k.Key)
	assert.Equal(t, 0, r.code, r)
}

// TestCreateLostAnswerTwice loses every answer of both calls: the command
// exits 1 naming the idempotency key, and a rerun with --idempotency-key gets
// the server's stored answer, so the thing is created once and, for an API
// key, its value printed once.
func TestCreateLostAnswerTwice(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		target  string
		path    string
		created func(mindpeekertest.Stats) int
		check   func(t *testing.T, h *harness, stdout string)
	}{
		{
			name: "sessions create", args: "sessions create --title lost -o json",
			target: "POST /v1/sessions", path: "/v1/sessions",
			created: func(s mindpeekertest.Stats) int { return s.SessionsCreated },
			check: func(t *testing.T, h *harness, stdout string) {
				var s sessions.Session
				require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
				assert.Equal(t, "lost", s.Title)
				r := h.run(t, args("sessions list -o json"))
				require.Equal(t, 0, r.code, r)
				var list []sessions.Session
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
				require.Len(t, list, 1, "one session")
				assert.Equal(t, s.ID, list[0].ID)
			},
		},
		{
			name: "apikeys create", args: "apikeys create --name lost --scope remote-viewing:read -o json",
			target: "POST /v1/api-keys", path: "/v1/api-keys",
			created: func(s mindpeekertest.Stats) int { return s.APIKeysCreated },
			check: func(t *testing.T, h *harness, stdout string) {
				var k apikeys.APIKey
				require.NoError(t, json.Unmarshal([]byte(stdout), &k), stdout)
				require.True(t, strings.HasPrefix(k.Key, "mpk_"), stdout)
				assert.Equal(t, 1, strings.Count(stdout, k.Key))
				r := h.run(t, args("sessions list"), client.EnvClientID, "", client.EnvClientSecret, "", client.EnvAPIKey, k.Key)
				assert.Equal(t, 0, r.code, "the printed key works: %s", r)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.srv.Inject(dropAfter(tc.target, 100))

			r := h.run(t, args(tc.args))
			require.Equal(t, 1, r.code, r)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "The answer was lost; asking again with idempotency key ")
			m := keyRe.FindStringSubmatch(r.stderr)
			require.NotNil(t, m, "the error names the key and the flag: %s", r.stderr)
			key := m[1]
			assert.Contains(t, r.stderr, "run the same command again with --idempotency-key "+key)
			sent := idempotencyKeys(h.srv, "POST", tc.path)
			require.GreaterOrEqual(t, len(sent), 2*sdkAttempts, "two calls, all their attempts")
			t.Logf("%d requests", len(sent))
			for _, k := range sent {
				assert.Equal(t, key, k, "the key named is the one sent")
			}
			assert.Equal(t, 1, tc.created(h.srv.Stats()), "carried out once, for all the lost answers")

			h.srv.ClearFaults()
			r = h.run(t, append(args(tc.args), "--idempotency-key", key))
			require.Equal(t, 0, r.code, r)
			assert.NotContains(t, r.stderr, "answer was lost")
			assert.Equal(t, 1, tc.created(h.srv.Stats()), "the rerun got the stored answer")
			sent = idempotencyKeys(h.srv, "POST", tc.path)
			assert.Equal(t, key, sent[len(sent)-1], "the rerun sent the key given")
			tc.check(t, h, r.stdout)
		})
	}
}
