package auth

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func fsCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "token.json")
	st := NewFileStore(path)

	tok, err := st.Load(ctx)
	require.NoError(t, err)
	require.Nil(t, tok, "no file: nil, nil")

	expiry := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	in := (&oauth2.Token{AccessToken: "at", TokenType: "Bearer", RefreshToken: "rt", Expiry: expiry, ExpiresIn: 3600}).
		WithExtra(map[string]any{"scope": "profile email", "id_token": "idt", "other": "dropped"})
	require.NoError(t, st.Save(ctx, in))

	out, err := st.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "at", out.AccessToken)
	assert.Equal(t, "Bearer", out.TokenType)
	assert.Equal(t, "rt", out.RefreshToken)
	assert.True(t, out.Expiry.Equal(expiry), "expiry %v", out.Expiry)
	assert.Equal(t, int64(3600), out.ExpiresIn)
	assert.Equal(t, "profile email", out.Extra("scope"))
	assert.Equal(t, "idt", out.Extra("id_token"))

	var raw map[string]any
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &raw))
	assert.ElementsMatch(t, []string{"access_token", "token_type", "refresh_token", "expiry", "expires_in", "scope", "id_token"},
		mapKeys(raw), "the oauth2.Token JSON plus scope and id_token")

	// A newer version's extra fields do not stop an older one from loading.
	require.NoError(t, os.WriteFile(path, []byte(`{"access_token":"a2","refresh_token":"r2","version":7,"dpop_jkt":"x"}`), 0o600))
	out, err = st.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a2", out.AccessToken)
	assert.Equal(t, "r2", out.RefreshToken)

	require.NoError(t, st.Delete(ctx))
	require.NoError(t, st.Delete(ctx), "deleting nothing is fine")
	out, err = st.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, out)
}

func mapKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestFileStorePermissions(t *testing.T) {
	if !permsMeaningful {
		t.Skip("no Unix permissions here")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b")
	path := filepath.Join(dir, "token.json")
	st := NewFileStore(path)
	require.NoError(t, st.Save(context.Background(), &oauth2.Token{AccessToken: "at"}))

	for _, d := range []string{filepath.Join(root, "a"), dir} {
		fi, err := os.Stat(d)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), d)
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	unlock, err := st.Lock(context.Background())
	require.NoError(t, err)
	unlock()
	fi, err = os.Stat(path + ".lock")
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
}

func TestFileStoreRefusesFileOthersCanRead(t *testing.T) {
	if !permsMeaningful {
		t.Skip("no Unix permissions here")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "token.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"access_token":"LEAKED-TOKEN"}`), 0o600))
	require.NoError(t, os.Chmod(path, 0o644))
	st := NewFileStore(path)

	_, err := st.Load(ctx)
	require.ErrorIs(t, err, ErrInsecureFile)
	assert.Contains(t, err.Error(), "0644")
	assert.NotContains(t, err.Error(), "LEAKED-TOKEN")

	require.NoError(t, st.Save(ctx, &oauth2.Token{AccessToken: "new"}))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "Save replaces the file with a private one")
	tok, err := st.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "new", tok.AccessToken)
}

func TestFileStoreRejectsDamagedFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"truncated": `{"access_token":"SECRET-PART`,
		"empty":     ``,
		"oversized": `{"access_token":"SECRET-BIG","pad":"` + strings.Repeat("x", maxTokenFileSize) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			_, err := NewFileStore(path).Load(ctx)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "SECRET")
		})
	}
}

func TestFileStoreZeroValueAndBadInput(t *testing.T) {
	ctx := context.Background()
	var zero FileStore
	_, err := zero.Load(ctx)
	require.Error(t, err)
	_, err = zero.Lock(ctx)
	require.Error(t, err)
	require.Error(t, NewFileStore("").Save(ctx, &oauth2.Token{AccessToken: "a"}))
	require.Error(t, NewFileStore(filepath.Join(t.TempDir(), "t.json")).Save(ctx, nil))

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, NewFileStore(filepath.Join(t.TempDir(), "t.json")).Save(canceled, &oauth2.Token{AccessToken: "a"}), context.Canceled)
}

// TestFileStoreReplacesAtomically has writers replace the token while readers
// load it: no reader ever sees a missing, empty or partial file, and no
// temporary file is left behind.
func TestFileStoreReplacesAtomically(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	st := NewFileStore(path)
	require.NoError(t, st.Save(ctx, &oauth2.Token{AccessToken: "w-init", RefreshToken: strings.Repeat("r", 4096)}))

	var writers, readers sync.WaitGroup
	done := make(chan struct{})
	for w := range 4 {
		writers.Go(func() {
			for i := range 15 {
				tok := &oauth2.Token{AccessToken: fmt.Sprintf("w%d-%d", w, i), RefreshToken: strings.Repeat("r", 4096+i)}
				assert.NoError(t, NewFileStore(path).Save(ctx, tok))
			}
		})
	}
	var loads int
	var mu sync.Mutex
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				tok, err := st.Load(ctx)
				if !assert.NoError(t, err) || !assert.NotNil(t, tok) {
					return
				}
				assert.True(t, strings.HasPrefix(tok.AccessToken, "w"), tok.AccessToken)
				assert.GreaterOrEqual(t, len(tok.RefreshToken), 4096)
				mu.Lock()
				loads++
				mu.Unlock()
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()
	t.Logf("%d loads during 60 saves", loads)
	assert.Equal(t, []string{"token.json"}, dirEntries(t, dir), "no temporary file left")
}

func TestFileStoreFailedSaveLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	require.NoError(t, os.MkdirAll(filepath.Join(path, "occupied"), 0o700)) // the target is a non-empty directory
	err := NewFileStore(path).Save(context.Background(), &oauth2.Token{AccessToken: "SECRET-AT"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRET-AT")
	assert.Equal(t, []string{"token.json"}, dirEntries(t, dir))
}

func TestFileStoreLockExcludesGoroutinesAndStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	st, other := NewFileStore(path), NewFileStore(path)

	unlock, err := st.Lock(context.Background())
	require.NoError(t, err)

	_, err = st.Lock(fsCtx(t, 30*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded, "same FileStore: in-process lock")
	_, err = other.Lock(fsCtx(t, 30*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded, "another FileStore on the same file: file lock")

	got := make(chan error, 1)
	go func() {
		u, err := other.Lock(fsCtx(t, 10*time.Second))
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	unlock() // a second call does nothing
	require.NoError(t, <-got)

	// Mutual exclusion under contention: never two holders at once. (The file
	// lock is invisible to the race detector, hence atomics rather than a
	// plain read-modify-write.)
	var wg sync.WaitGroup
	var holders, overlaps, entries atomic.Int32
	for i := range 8 {
		s := st
		if i%2 == 1 {
			s = NewFileStore(path)
		}
		wg.Go(func() {
			for range 20 {
				u, err := s.Lock(fsCtx(t, 10*time.Second))
				if !assert.NoError(t, err) {
					return
				}
				holdBriefly(&holders, &overlaps, &entries)
				u()
			}
		})
	}
	wg.Wait()
	assert.Zero(t, overlaps.Load())
	assert.EqualValues(t, 160, entries.Load())
}

// holdBriefly is a critical section that counts entries and detects overlaps.
func holdBriefly(holders, overlaps, entries *atomic.Int32) {
	if holders.Add(1) != 1 {
		overlaps.Add(1)
	}
	entries.Add(1)
	for range 3 {
		runtime.Gosched()
	}
	time.Sleep(100 * time.Microsecond)
	holders.Add(-1)
}

func TestFileStoreLockWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	unlock, err := NewFileStore(path).Lock(context.Background())
	require.NoError(t, err)
	defer unlock()

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := NewFileStore(path).Lock(ctx)
		got <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it wait on the file lock
	start := time.Now()
	cancel()
	select {
	case err := <-got:
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("Lock did not return when its context was canceled")
	}
}

const (
	envLockHelper = "AUTH_FILESTORE_LOCK_HELPER" // "cycle" or "hold"
	envLockPath   = "AUTH_FILESTORE_LOCK_PATH"
	envLockLog    = "AUTH_FILESTORE_LOCK_LOG"
	envLockID     = "AUTH_FILESTORE_LOCK_ID"
	lockHelperRun = "-test.run=^TestFileStoreLockHelperProcess$"
	lockCycles    = 10
)

// TestFileStoreLockHelperProcess is not a test: it is the child process of
// the multi-process tests, run by re-executing the test binary.
func TestFileStoreLockHelperProcess(t *testing.T) {
	mode := os.Getenv(envLockHelper)
	if mode == "" {
		t.Skip("helper process of TestFileStoreLockAcrossProcesses")
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	st := NewFileStore(os.Getenv(envLockPath))
	switch mode {
	case "hold":
		if _, err := st.Lock(ctx); err != nil {
			fail(err)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute) // until killed
	case "cycle":
		id := os.Getenv(envLockID)
		logf, err := os.OpenFile(os.Getenv(envLockLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			fail(err)
		}
		for range lockCycles {
			unlock, err := st.Lock(ctx)
			if err != nil {
				fail(err)
			}
			fmt.Fprintf(logf, "start %s\n", id)
			tok, err := st.Load(ctx)
			if err != nil {
				fail(err)
			}
			n := 0
			if tok != nil {
				n, _ = strconv.Atoi(tok.AccessToken)
			}
			time.Sleep(2 * time.Millisecond)
			if err := st.Save(ctx, &oauth2.Token{AccessToken: strconv.Itoa(n + 1)}); err != nil {
				fail(err)
			}
			fmt.Fprintf(logf, "end %s\n", id)
			unlock()
		}
	}
	os.Exit(0)
}

func helperCmd(t *testing.T, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], lockHelperRun)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestFileStoreLockAcrossProcesses runs child processes that each take the
// lock, log start and end, and increment a counter in the token file: the log
// never shows two holders at once, and no increment is lost.
func TestFileStoreLockAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	path, logPath := filepath.Join(dir, "token.json"), filepath.Join(dir, "holders.log")
	const children = 4
	cmds := make([]*exec.Cmd, children)
	for i := range cmds {
		cmds[i] = helperCmd(t, envLockHelper+"=cycle", envLockPath+"="+path, envLockLog+"="+logPath, fmt.Sprintf("%s=c%d", envLockID, i))
		require.NoError(t, cmds[i].Start())
	}
	for _, c := range cmds {
		require.NoError(t, c.Wait())
	}

	data, err := os.ReadFile(logPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2*children*lockCycles)
	for i := 0; i < len(lines); i += 2 {
		holder, ok := strings.CutPrefix(lines[i], "start ")
		require.True(t, ok, "line %d: %q", i, lines[i])
		require.Equal(t, "end "+holder, lines[i+1], "line %d: another process entered while %s held the lock", i+1, holder)
	}
	tok, err := NewFileStore(path).Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(children*lockCycles), tok.AccessToken, "no lost update")
}

// TestFileStoreLockDiesWithItsHolder kills a process holding the lock: the
// kernel releases it, so the next process does not wait for any expiry.
func TestFileStoreLockDiesWithItsHolder(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "plan9", "aix", "solaris", "js", "wasip1":
		t.Skip("no flock(2): the O_EXCL lock is taken over after staleLockAge instead")
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "token.json")
	cmd := helperCmd(t, envLockHelper+"=hold", envLockPath+"="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	_, err = NewFileStore(path).Lock(fsCtx(t, 50*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded, "the child holds the lock")

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	start := time.Now()
	unlock, err := NewFileStore(path).Lock(fsCtx(t, 5*time.Second))
	require.NoError(t, err)
	unlock()
	assert.Less(t, time.Since(start), time.Second)
}

func TestExclLockFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.lock")

	t.Run("excludes", func(t *testing.T) {
		unlock, err := exclLockFile(context.Background(), path, time.Minute)
		require.NoError(t, err)
		_, err = exclLockFile(fsCtx(t, 30*time.Millisecond), path, time.Minute)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		unlock()
		_, err = os.Stat(path)
		require.ErrorIs(t, err, fs.ErrNotExist, "unlock removes the lock file")

		var wg sync.WaitGroup
		var holders, overlaps, entries atomic.Int32
		for range 4 {
			wg.Go(func() {
				for range 10 {
					u, err := exclLockFile(fsCtx(t, 10*time.Second), path, time.Minute)
					if !assert.NoError(t, err) {
						return
					}
					holdBriefly(&holders, &overlaps, &entries)
					u()
				}
			})
		}
		wg.Wait()
		assert.Zero(t, overlaps.Load())
		assert.EqualValues(t, 40, entries.Load())
	})
	t.Run("takes over a stale lock", func(t *testing.T) {
		require.NoError(t, os.WriteFile(path, []byte("12345\n"), 0o600))
		old := time.Now().Add(-3 * time.Minute)
		require.NoError(t, os.Chtimes(path, old, old))
		unlock, err := exclLockFile(fsCtx(t, 5*time.Second), path, staleLockAge)
		require.NoError(t, err)
		unlock()
	})
	t.Run("a live holder keeps its lock fresh", func(t *testing.T) {
		unlock, err := exclLockFile(context.Background(), path, 40*time.Millisecond)
		require.NoError(t, err)
		defer unlock()
		old := time.Now().Add(-time.Hour)
		require.NoError(t, os.Chtimes(path, old, old))
		require.Eventually(t, func() bool {
			fi, err := os.Stat(path)
			return err == nil && time.Since(fi.ModTime()) < time.Minute
		}, 5*time.Second, 5*time.Millisecond, "the holder touches its lock file")
	})
	t.Run("fails on other errors", func(t *testing.T) {
		_, err := exclLockFile(context.Background(), filepath.Join(dir, "missing-dir", "x.lock"), time.Minute)
		require.Error(t, err)
		assert.False(t, errors.Is(err, context.DeadlineExceeded))
	})
}
