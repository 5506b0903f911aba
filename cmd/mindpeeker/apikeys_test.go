package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
)

func TestAPIKeysCreateJSON(t *testing.T) {
	h := newHarness(t)
	before := time.Now()
	r := h.run(t, args("apikeys create --name ci --scope remote-viewing:read --scope profile --expires-in 90d -o json"))
	require.Equal(t, 0, r.code, r)
	var k apikeys.APIKey
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &k), r.stdout)
	require.True(t, strings.HasPrefix(k.Key, "mpk_"), r.stdout)
	assert.Equal(t, "ci", k.Name)
	assert.Equal(t, []string{"remote-viewing:read", "profile"}, k.Scopes)
	assert.Equal(t, k.Key[:8], k.Prefix)
	require.NotNil(t, k.ExpiresAt)
	assert.WithinDuration(t, before.Add(90*24*time.Hour), *k.ExpiresAt, 10*time.Second)
	assert.Equal(t, 1, strings.Count(r.all(), k.Key), "the key is printed once: %s", r)
	assert.Equal(t, "Store this key now; it will not be shown again.\n", r.stderr)

	// The printed key works.
	r = h.run(t, args("sessions list -o json"), client.EnvAPIKey, k.Key, client.EnvClientID, "", client.EnvClientSecret, "")
	assert.Equal(t, 0, r.code, r)

	// get, list: the same key without its value, and no "key" field at all.
	r = h.run(t, args("apikeys get -o json "+k.ID))
	require.Equal(t, 0, r.code, r)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &raw))
	assert.NotContains(t, raw, "key")
	assert.Equal(t, k.ID, raw["id"])
	assert.Equal(t, k.Prefix, raw["prefix"])
	assert.Contains(t, raw, "revoked_at")

	r = h.run(t, args("apikeys list -o json"))
	require.Equal(t, 0, r.code, r)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 1)
	assert.NotContains(t, list[0], "key")
	assert.NotContains(t, r.all(), k.Key)

	r = h.run(t, []string{"apikeys", "create", "--name", "dated", "--scope", "profile", "--expires-at", "2031-02-03T04:05:06Z", "-o", "json"})
	require.Equal(t, 0, r.code, r)
	var dated apikeys.APIKey
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &dated))
	require.NotNil(t, dated.ExpiresAt)
	assert.Equal(t, time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC), dated.ExpiresAt.UTC())
}

func TestAPIKeysTable(t *testing.T) {
	h := newHarness(t)
	r := h.run(t, []string{"--verbose", "apikeys", "create", "--name", "deploy bot", "--scope", "remote-viewing:read,remote-viewing:write"})
	require.Equal(t, 0, r.code, r)
	fields := fieldsOf(t, r.stdout)
	key := fields["KEY"]
	require.True(t, strings.HasPrefix(key, "mpk_"), r.stdout)
	assert.Equal(t, 1, strings.Count(r.all(), key), "the key is printed once, even with --verbose: %s", r)
	assert.NotContains(t, r.stderr, key[8:], "no part of the secret beyond the prefix on stderr")
	assert.Contains(t, r.stderr, "Store this key now; it will not be shown again.")
	assert.Contains(t, r.stderr, "level=DEBUG", "--verbose logs requests")
	assert.Equal(t, "deploy bot", fields["NAME"])
	assert.Equal(t, "remote-viewing:read remote-viewing:write", fields["SCOPES"])
	assert.Equal(t, "active", fields["STATUS"])
	assert.Equal(t, "never", fields["EXPIRES"])
	id := fields["ID"]

	r = h.run(t, args("apikeys get "+id))
	require.Equal(t, 0, r.code, r)
	fields = fieldsOf(t, r.stdout)
	assert.NotContains(t, fields, "KEY")
	assert.Equal(t, key[:8], fields["PREFIX"])

	h.srv.CreateAPIKey("second key", "profile")
	r = h.run(t, args("apikeys list"))
	require.Equal(t, 0, r.code, r)
	lines := tableLines(t, r.stdout)
	require.Len(t, lines, 3, r.stdout)
	assert.Equal(t, []string{"ID", "PREFIX", "STATUS", "EXPIRES", "NAME"}, strings.Fields(lines[0]))
	assert.Equal(t, []string{id, key[:8], "active", "never", "deploy", "bot"}, strings.Fields(lines[1]))
	assert.NotContains(t, r.all(), key)

	r = h.run(t, args("apikeys revoke "+id))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "Revoked API key "+id+".\n", r.stderr)
	r = h.run(t, args("apikeys get "+id))
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "revoked", fieldsOf(t, r.stdout)["STATUS"])
	r = h.run(t, args("sessions list"), client.EnvAPIKey, key, client.EnvClientID, "", client.EnvClientSecret, "")
	assert.Equal(t, 3, r.code, "a revoked key is refused: %s", r)
}

func TestAPIKeysRotate(t *testing.T) {
	h := newHarness(t)
	oldID, oldKey := h.srv.CreateAPIKey("rotating", "remote-viewing:read")

	for _, output := range []string{"table", "json"} {
		t.Run(output, func(t *testing.T) {
			r := h.run(t, args("apikeys rotate -o "+output+" "+oldID))
			require.Equal(t, 0, r.code, r)
			var newID, newKey string
			if output == "json" {
				var k apikeys.APIKey
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &k), r.stdout)
				newID, newKey = k.ID, k.Key
			} else {
				f := fieldsOf(t, r.stdout)
				newID, newKey = f["ID"], f["KEY"]
			}
			require.True(t, strings.HasPrefix(newKey, "mpk_"), r.stdout)
			assert.NotEqual(t, oldID, newID)
			assert.Equal(t, 1, strings.Count(r.all(), newKey), "the new key is printed exactly once: %s", r)
			assert.NotContains(t, r.all(), oldKey)
			assert.Contains(t, r.stderr, "Store this key now")
			assert.Contains(t, r.stderr, "Rotated "+oldID+": the new key is "+newID)

			apiKeyEnv := []string{client.EnvClientID, "", client.EnvClientSecret, ""}
			assert.Equal(t, 0, h.run(t, args("sessions list"), append(apiKeyEnv, client.EnvAPIKey, newKey)...).code)
			assert.Equal(t, 3, h.run(t, args("sessions list"), append(apiKeyEnv, client.EnvAPIKey, oldKey)...).code)
			oldID, oldKey = newID, newKey // rotate the new one next
		})
	}
	assert.Equal(t, 2, h.srv.Stats().Rotations)
}
