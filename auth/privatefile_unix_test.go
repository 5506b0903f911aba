//go:build unix

package auth_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// plant puts something hostile at path, as another local user could.
type plant struct {
	name string
	make func(t *testing.T, path string)
}

var plants = []plant{
	{"FIFO", func(t *testing.T, path string) {
		require.NoError(t, syscall.Mkfifo(path, 0o600))
		t.Cleanup(func() { unblockFIFO(path) })
	}},
	{"directory", func(t *testing.T, path string) { require.NoError(t, os.Mkdir(path, 0o700)) }},
	{"symlink to a private file", func(t *testing.T, path string) {
		target := filepath.Join(t.TempDir(), "elsewhere.json")
		require.NoError(t, os.WriteFile(target, []byte(`{"access_token":"planted","client_id":"x"}`), 0o600))
		require.NoError(t, os.Symlink(target, path))
	}},
	{"symlink to a device", func(t *testing.T, path string) { require.NoError(t, os.Symlink("/dev/zero", path)) }},
	{"file other users may read", func(t *testing.T, path string) {
		require.NoError(t, os.WriteFile(path, []byte(`{"access_token":"exposed","client_id":"x"}`), 0o600))
		require.NoError(t, os.Chmod(path, 0o644))
	}},
	{"file other users may write", func(t *testing.T, path string) {
		require.NoError(t, os.WriteFile(path, []byte(`{"access_token":"exposed","client_id":"x"}`), 0o600))
		require.NoError(t, os.Chmod(path, 0o602))
	}},
	{"file of another user", func(t *testing.T, path string) {
		if os.Geteuid() != 0 {
			t.Skip("giving a file away needs root")
		}
		require.NoError(t, os.WriteFile(path, []byte(`{"access_token":"planted","client_id":"x"}`), 0o600))
		require.NoError(t, os.Chown(path, 65534, 65534))
	}},
}

// unblockFIFO opens the FIFO for writing, without blocking, and closes it,
// so that a reader stuck opening it (the bug under test) gets EOF.
func unblockFIFO(path string) {
	if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
}

// withinSeconds runs f and fails the test when it has not returned within 5s:
// reading a FIFO must not block.
func withinSeconds(t *testing.T, path string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		unblockFIFO(path)
		t.Fatalf("reading %s blocked", path)
		return nil
	}
}

// TestFileStoreRefusesHostileFilesWithoutBlocking: the token file decides which
// token is sent, so anything but a private regular file of ours is refused,
// promptly (a FIFO must not hang Load while a Source holds the lock).
func TestFileStoreRefusesHostileFilesWithoutBlocking(t *testing.T) {
	for _, p := range plants {
		t.Run(p.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token.json")
			p.make(t, path)
			err := withinSeconds(t, path, func() error {
				_, err := auth.NewFileStore(path).Load(context.Background())
				return err
			})
			require.ErrorIs(t, err, auth.ErrInsecureFile)
			assert.NotContains(t, err.Error(), "planted")
			assert.NotContains(t, err.Error(), "exposed")
		})
	}
}

// TestFileStoreSaveNeverWritesThroughASymlink: Save replaces a symlink planted
// at the token path; the file it pointed to is untouched.
func TestFileStoreSaveNeverWritesThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	path := filepath.Join(dir, "token.json")
	require.NoError(t, os.Symlink(victim, path))

	st := auth.NewFileStore(path)
	require.NoError(t, st.Save(context.Background(), &oauth2.Token{AccessToken: "new"}))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular(), "the symlink was replaced by a regular file")
	tok, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "new", tok.AccessToken)
}

// TestFileStorePrivateDirectory: a token directory that group or others may
// write is made 0700 when it is ours (its files are then checked one by one),
// and refused when it is another user's (a file in /tmp itself, say).
func TestFileStorePrivateDirectory(t *testing.T) {
	for _, op := range []string{"Load", "Save", "Lock"} {
		t.Run(op, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shared")
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, 0o777))
			st := auth.NewFileStore(filepath.Join(dir, "token.json"))
			require.NoError(t, st.Save(context.Background(), &oauth2.Token{AccessToken: "at"}))
			require.NoError(t, os.Chmod(dir, 0o777))

			var err error
			switch op {
			case "Load":
				_, err = st.Load(context.Background())
			case "Save":
				err = st.Save(context.Background(), &oauth2.Token{AccessToken: "at2"})
			case "Lock":
				var unlock func()
				if unlock, err = st.Lock(context.Background()); err == nil {
					unlock()
				}
			}
			require.NoError(t, err)
			fi, err := os.Stat(dir)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), "the directory was made private")
		})
	}

	t.Run("another user's", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("giving a directory away needs root")
		}
		dir := filepath.Join(t.TempDir(), "theirs")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, 0o1777))
		require.NoError(t, os.Chown(dir, 65534, 65534))
		st := auth.NewFileStore(filepath.Join(dir, "token.json"))
		require.ErrorIs(t, st.Save(context.Background(), &oauth2.Token{AccessToken: "at"}), auth.ErrInsecureFile)
		_, err := st.Load(context.Background())
		require.ErrorIs(t, err, auth.ErrInsecureFile)
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o777), fi.Mode().Perm(), "another user's directory is left alone")
	})
}

func TestReadPrivateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	_, err := auth.ReadPrivateFile(path, 10)
	require.ErrorIs(t, err, fs.ErrNotExist)

	require.NoError(t, auth.WritePrivateFile(path, []byte("0123456789")))
	b, err := auth.ReadPrivateFile(path, 10)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(b))
	_, err = auth.ReadPrivateFile(path, 9)
	require.ErrorContains(t, err, "larger than 9 bytes")

	_, err = auth.ReadPrivateFile("/dev/null", 10)
	require.ErrorIs(t, err, auth.ErrInsecureFile, "a device is not a file")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file is left")
}

// TestFileStoreLockRefusesHostileLockFile: the lock file is opened like the
// token file: never through a symlink, never blocking on a FIFO.
func TestFileStoreLockRefusesHostileLockFile(t *testing.T) {
	for _, p := range plants[:4] { // FIFO, directory, symlinks
		t.Run(p.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token.json")
			p.make(t, path+".lock")
			err := withinSeconds(t, path+".lock", func() error {
				unlock, err := auth.NewFileStore(path).Lock(context.Background())
				if err == nil {
					unlock()
				}
				return err
			})
			require.ErrorIs(t, err, auth.ErrInsecureFile)
		})
	}
}

// A shared directory (sticky, writable by all, like /tmp) is never made
// private, even when the current user owns it (root owns /tmp): the file is
// refused and the directory's mode is left as it was.
func TestWritePrivateFileLeavesSharedDirectoriesAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, os.Chmod(dir, 0o777|os.ModeSticky))

	err := auth.WritePrivateFile(filepath.Join(dir, "token.json"), []byte("{}"))
	require.ErrorIs(t, err, auth.ErrInsecureFile)

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, 0o777|os.ModeSticky, fi.Mode()&(os.ModePerm|os.ModeSticky), "the shared directory's mode was changed")
	_, err = auth.ReadPrivateFile(filepath.Join(dir, "token.json"), 1<<10)
	require.Error(t, err)
}
