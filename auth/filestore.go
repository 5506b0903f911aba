package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/oauth2"
)

// maxTokenFileSize bounds what Load reads: a token file is a few kilobytes.
const maxTokenFileSize = 1 << 20

// FileStore is a [Store] that keeps the token in a JSON file, for a program or
// command that must survive restarts without logging in again, and a [Locker]
// so that several processes on one host can share the file: only one of them
// renews at a time, the others adopt what it saved.
//
// The file is replaced atomically ([WritePrivateFile]: a temporary file in
// the same directory, synced, renamed over the old one, directory synced), so
// a crash never leaves half a token. It is created 0600, and its directory
// 0700 when missing; the directory must be private to the current user (one
// that others may write is made 0700 when it is ours, refused when it is not).
// The lock is a sibling file, path + ".lock": an flock(2) on Unix, which the
// kernel releases when its holder dies; elsewhere an O_EXCL lock file, taken
// over when its holder has not refreshed it for two minutes.
//
// The file holds the [oauth2.Token] JSON (access_token, token_type,
// refresh_token, expiry, expires_in), plus scope and id_token when the server
// sent them; fields it does not know are ignored when loading, so a newer
// version's file stays readable. Create a FileStore with [NewFileStore]; one
// FileStore may be shared by any number of Sources and goroutines.
type FileStore struct {
	path string
	sem  chan struct{} // the in-process lock, held together with the file lock
}

// NewFileStore returns a FileStore keeping the token at path, for example
// filepath.Join(os.UserConfigDir(), "myapp", "token.json"). Nothing is created
// before the first Save or Lock.
func NewFileStore(path string) *FileStore {
	return &FileStore{path: path, sem: make(chan struct{}, 1)}
}

// Path returns the token file's path.
func (s *FileStore) Path() string { return s.path }

// tokenFile is the file's format: the token plus the extra fields worth keeping.
type tokenFile struct {
	*oauth2.Token
	Scope   string `json:"scope,omitempty"`
	IDToken string `json:"id_token,omitempty"`
}

// Load returns the stored token, or nil and no error when the file does not
// exist. It refuses, with [ErrInsecureFile] and without blocking, what is not
// a private regular file of the current user, as [ReadPrivateFile] says: a
// symbolic link, a FIFO, a file that others may read or write, a file in a
// directory that others may write (made 0700 when it is ours).
func (s *FileStore) Load(ctx context.Context) (*oauth2.Token, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	data, err := ReadPrivateFile(s.path, maxTokenFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err // it names the file
	}
	tf := tokenFile{Token: new(oauth2.Token)}
	if err := json.Unmarshal(data, &tf); err != nil {
		// The error names a position, never the content.
		return nil, fmt.Errorf("auth: token file %s is not valid JSON: %w", s.path, err)
	}
	tok := tf.Token
	if extra := tf.extra(); len(extra) > 0 {
		tok = tok.WithExtra(extra)
	}
	return tok, nil
}

func (tf *tokenFile) extra() map[string]any {
	m := map[string]any{}
	if tf.Scope != "" {
		m["scope"] = tf.Scope
	}
	if tf.IDToken != "" {
		m["id_token"] = tf.IDToken
	}
	return m
}

// Save replaces the stored token with t, atomically, in a 0600 file
// ([WritePrivateFile]); it creates the directory (0700) when it is missing. A
// file with a looser mode, or a symbolic link, is replaced by a 0600 file.
func (s *FileStore) Save(ctx context.Context, t *oauth2.Token) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if t == nil {
		return errors.New("auth: FileStore.Save: nil token")
	}
	tf := tokenFile{Token: t}
	tf.Scope, _ = t.Extra("scope").(string)
	tf.IDToken, _ = t.Extra("id_token").(string)
	data, err := json.Marshal(tf)
	if err != nil {
		return fmt.Errorf("auth: encoding token: %w", err)
	}
	if err := WritePrivateFile(s.path, data); err != nil {
		return fmt.Errorf("auth: saving token: %w", err)
	}
	return nil
}

// Delete removes the stored token, as a logout does. It is not an error when
// there is none. The lock file is left in place.
func (s *FileStore) Delete(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("auth: deleting token file: %w", err)
	}
	return nil
}

// Lock takes the store's lock: first against the other goroutines of this
// process using this FileStore, then against other processes, through the lock
// file path + ".lock" (created 0600). It waits until the lock is free or ctx
// ends; then it returns an error wrapping ctx.Err(). Call unlock once done;
// calling it again does nothing.
func (s *FileStore) Lock(ctx context.Context) (unlock func(), err error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: waiting for the token file lock: %w", ctx.Err())
	}
	if err := lockDir(filepath.Dir(s.path)); err != nil {
		<-s.sem
		return nil, err
	}
	release, err := lockFile(ctx, s.path+".lock")
	if err != nil {
		<-s.sem
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			release()
			<-s.sem
		})
	}, nil
}

// lockDir creates dir (0700) when missing and makes sure it is private.
func lockDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: creating token directory: %w", err)
	}
	return privateDir(dir)
}

func (s *FileStore) check(ctx context.Context) error {
	switch {
	case s == nil || s.sem == nil:
		return errors.New("auth: FileStore not created with NewFileStore")
	case s.path == "":
		return errors.New("auth: FileStore has an empty path")
	}
	return ctx.Err()
}

// String returns "auth.FileStore{path: ...}": a FileStore shows only its path.
func (s *FileStore) String() string { return fmt.Sprintf("auth.FileStore{path: %q}", s.path) }

// GoString is String.
func (s *FileStore) GoString() string { return s.String() }

// LogValue logs the path only.
func (s *FileStore) LogValue() slog.Value {
	return slog.GroupValue(slog.String("store", "file"), slog.String("path", s.path))
}

var (
	_ Store  = (*FileStore)(nil)
	_ Locker = (*FileStore)(nil)
)
