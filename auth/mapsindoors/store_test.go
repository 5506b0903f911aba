package mapsindoors_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
)

func TestFileSecretStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	path := filepath.Join(dir, "mapsindoors.json")
	st := mapsindoors.NewFileSecretStore(path)
	ctx := context.Background()

	got, err := st.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, mapsindoors.StoredSecret{}, got, "a missing file is an empty store")

	first := mapsindoors.StoredSecret{ID: "id-1", Secret: "first-secret-value"}
	require.NoError(t, st.Save(ctx, first))
	second := mapsindoors.StoredSecret{ID: "id-2", Secret: "second-secret-value"}
	require.NoError(t, st.Save(ctx, second))
	got, err = st.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, second, got)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	require.NoError(t, os.WriteFile(path, []byte("id=x secret=corrupt-secret-value"), 0o600))
	_, err = st.Load(ctx)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "corrupt-secret-value")
	assert.NotContains(t, st.String(), "secret-value")
}

func TestFileSecretStoreSaveFails(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	st := mapsindoors.NewFileSecretStore(filepath.Join(blocker, "secret.json")) // parent is a file
	err := st.Save(context.Background(), mapsindoors.StoredSecret{ID: "i", Secret: "value-that-must-not-leak"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "value-that-must-not-leak")
}

func TestMemorySecretStore(t *testing.T) {
	var st mapsindoors.MemorySecretStore
	got, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, mapsindoors.StoredSecret{}, got)
	s := mapsindoors.StoredSecret{ID: "a", Secret: "b"}
	require.NoError(t, st.Save(context.Background(), s))
	got, err = st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, s, got)
}
