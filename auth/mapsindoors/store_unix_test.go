//go:build unix

package mapsindoors_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
)

// TestFileSecretStoreRefusesHostileFiles: the secret file is read like a
// token file (auth.ReadPrivateFile): a FIFO, a symlink or a file others may
// read is refused, at once; Save replaces a planted symlink, never writing
// through it.
func TestFileSecretStoreRefusesHostileFiles(t *testing.T) {
	const content = `{"id":"i","secret":"planted-secret"}`
	plants := map[string]func(t *testing.T, path string){
		"FIFO": func(t *testing.T, path string) { require.NoError(t, syscall.Mkfifo(path, 0o600)) },
		"symlink": func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "target.json")
			require.NoError(t, os.WriteFile(target, []byte(content), 0o600))
			require.NoError(t, os.Symlink(target, path))
		},
		"readable by others": func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			require.NoError(t, os.Chmod(path, 0o644))
		},
	}
	for name, plant := range plants {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secret.json")
			plant(t, path)
			st := mapsindoors.NewFileSecretStore(path)
			done := make(chan error, 1)
			go func() { _, err := st.Load(context.Background()); done <- err }()
			select {
			case err := <-done:
				require.ErrorIs(t, err, auth.ErrInsecureFile)
				assert.NotContains(t, err.Error(), "planted-secret")
			case <-time.After(5 * time.Second):
				if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close() // let the stuck reader go
				}
				t.Fatal("Load blocked")
			}
			require.NoError(t, os.Remove(path))
		})
	}

	t.Run("Save replaces a symlink", func(t *testing.T) {
		victim := filepath.Join(t.TempDir(), "victim")
		require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o600))
		path := filepath.Join(t.TempDir(), "secret.json")
		require.NoError(t, os.Symlink(victim, path))
		require.NoError(t, mapsindoors.NewFileSecretStore(path).Save(context.Background(), mapsindoors.StoredSecret{ID: "i", Secret: "s"}))
		b, err := os.ReadFile(victim)
		require.NoError(t, err)
		assert.Equal(t, "precious", string(b))
	})
}
