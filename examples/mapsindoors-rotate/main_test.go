package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors/mapsindoorstest"
)

func TestRunWithFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	s := out.String()
	assert.Contains(t, s, "using an in-process fake MapsIndoors")
	assert.Contains(t, s, "old secret logs in: false; new secret logs in: true")
	assert.Contains(t, s, "both log in: true/true")
	assert.Contains(t, s, "which logs in: true")
	assert.Contains(t, s, "-> 200 (1 secrets), attempts: 1", "the API called through a client.Client")
	assert.Regexp(t, `\(\w{4}…\(96 chars\)\)`, s, "secrets appear masked")
	assert.NotRegexp(t, `[0-9a-f]{96}`, s, "no secret in full")
}

// realEnv points the credentials path at the fake, as at the real service.
func realEnv(srv *mapsindoorstest.Server, extra map[string]string) func(string) string {
	env := map[string]string{
		"MAPSINDOORS_CLIENT_ID": srv.ClientID, "MAPSINDOORS_CUSTOMER_ID": srv.CustomerID,
		"MAPSINDOORS_TOKEN_URL": srv.TokenURL(), "MAPSINDOORS_BASE_URL": srv.URL,
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func TestRunRealPrintsNewSecretOnce(t *testing.T) {
	srv := mapsindoorstest.NewServer()
	defer srv.Close()
	id, secret := srv.AddSecret("given")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, realEnv(srv, map[string]string{
		"MAPSINDOORS_CLIENT_SECRET": secret, "MAPSINDOORS_SECRET_ID": id})))

	m := regexp.MustCompile(`NEW CLIENT SECRET, shown only this once; keep it now: (\S+)`).FindStringSubmatch(out.String())
	require.Len(t, m, 2)
	assert.Equal(t, 1, strings.Count(out.String(), m[1]), "printed once")
	assert.True(t, srv.CanLogin(m[1]))
	assert.False(t, srv.CanLogin(secret))
	assert.NotContains(t, out.String(), secret)
}

func TestRunRealWithSecretFile(t *testing.T) {
	srv := mapsindoorstest.NewServer()
	defer srv.Close()
	id, secret := srv.AddSecret("given")
	file := filepath.Join(t.TempDir(), "mi", "secret.json")
	env := realEnv(srv, map[string]string{"MAPSINDOORS_CLIENT_SECRET": secret, "MAPSINDOORS_SECRET_ID": id,
		"MAPSINDOORS_SECRET_FILE": file})

	for run1 := range 2 { // the second run starts from the file, not the stale variables
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), &out, env), out.String())
		assert.Contains(t, out.String(), "is saved in "+file)
		assert.NotContains(t, out.String(), "NEW CLIENT SECRET")
		if run1 == 1 {
			assert.Contains(t, out.String(), "Using the secret kept in")
		}
	}
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	ids := srv.SecretIDs()
	require.Len(t, ids, 1)
	assert.Contains(t, string(raw), ids[0])
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestRunRealWithoutSecretIDLists(t *testing.T) {
	srv := mapsindoorstest.NewServer()
	defer srv.Close()
	id, secret := srv.AddSecret("given by MapsPeople")
	var out bytes.Buffer
	err := run(context.Background(), &out, realEnv(srv, map[string]string{"MAPSINDOORS_CLIENT_SECRET": secret}))
	require.ErrorContains(t, err, "set MAPSINDOORS_SECRET_ID")
	assert.Contains(t, out.String(), "id "+id)
	assert.Contains(t, out.String(), `"given by MapsPeople"`)
	assert.Equal(t, []string{id}, srv.SecretIDs(), "nothing changed")
}
