package mapsindoors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// SecretStore keeps the client's current secret and its id. [Client.Rotate]
// saves each new secret to it before deleting the old one, so a program that
// restarts (or crashes mid-rotation) always finds a secret that works.
//
// Load returns the zero StoredSecret and a nil error when the store is empty.
// A store that several processes share should also implement [auth.Locker];
// Rotate then holds its lock for the whole rotation.
type SecretStore interface {
	Load(ctx context.Context) (StoredSecret, error)
	Save(ctx context.Context, s StoredSecret) error
}

// MemorySecretStore is a [SecretStore] in memory, for tests and for programs
// that hand the new secret over themselves. The zero value is empty and ready.
type MemorySecretStore struct {
	mu sync.Mutex
	s  StoredSecret
}

// NewMemorySecretStore returns a store holding s.
func NewMemorySecretStore(s StoredSecret) *MemorySecretStore { return &MemorySecretStore{s: s} }

// Load returns the stored secret.
func (m *MemorySecretStore) Load(context.Context) (StoredSecret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s, nil
}

// Save replaces the stored secret.
func (m *MemorySecretStore) Save(_ context.Context, s StoredSecret) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = s
	return nil
}

// FileSecretStore is a [SecretStore] in a JSON file {"id","secret"}, readable
// by its owner only: the file is created 0600, and its directory, when Save
// creates it, 0700. Save writes a temporary file, syncs it and renames it over
// the old one ([auth.WritePrivateFile]), so the file always holds either the
// old or the new secret, never a torn mix. It takes no lock: give each process
// its own file.
type FileSecretStore struct {
	path string
}

// NewFileSecretStore returns a store at path; nothing is created until Save.
func NewFileSecretStore(path string) *FileSecretStore { return &FileSecretStore{path: path} }

type fileSecret struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// Load reads the file; a missing file is an empty store. Like a token file
// ([auth.ReadPrivateFile]), a file that is not a private regular file of the
// current user (a symbolic link, a FIFO, readable by others) is refused with
// an error wrapping [auth.ErrInsecureFile].
func (f *FileSecretStore) Load(context.Context) (StoredSecret, error) {
	raw, err := auth.ReadPrivateFile(f.path, 64<<10)
	if errors.Is(err, fs.ErrNotExist) {
		return StoredSecret{}, nil
	}
	if err != nil {
		return StoredSecret{}, fmt.Errorf("mapsindoors: secret store: %w", err)
	}
	var fsec fileSecret
	if err := json.Unmarshal(raw, &fsec); err != nil {
		// The message names the file, not its content: it holds a secret.
		return StoredSecret{}, fmt.Errorf("mapsindoors: secret store %s is not a JSON object {\"id\",\"secret\"}", f.path)
	}
	return StoredSecret(fsec), nil
}

// Save writes s to the file atomically ([auth.WritePrivateFile]).
func (f *FileSecretStore) Save(_ context.Context, s StoredSecret) error {
	raw, err := json.Marshal(fileSecret(s))
	if err != nil {
		return fmt.Errorf("mapsindoors: secret store: %w", err)
	}
	if err := auth.WritePrivateFile(f.path, append(raw, '\n')); err != nil {
		return fmt.Errorf("mapsindoors: secret store: %w", err)
	}
	return nil
}

// String names the file.
func (f *FileSecretStore) String() string { return "mapsindoors.FileSecretStore{" + f.path + "}" }
