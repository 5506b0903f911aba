package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// loginInfoFile holds, next to the token file, what the stored login needs
// besides its tokens: the client and servers it was made with. It holds no
// secret.
const loginInfoFile = "login.json"

// loginInfo is the content of loginInfoFile.
type loginInfo struct {
	ClientID string `json:"client_id"`
	TokenURL string `json:"token_url"`
	BaseURL  string `json:"base_url,omitempty"`
}

// readLoginInfo reads dir's loginInfoFile; a missing file is the zero value.
func readLoginInfo(dir string) (loginInfo, error) {
	var info loginInfo
	f, err := os.Open(filepath.Join(dir, loginInfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return info, nil
	}
	if err != nil {
		return info, fmt.Errorf("reading the stored login: %w", err)
	}
	defer f.Close()
	if err := json.NewDecoder(io.LimitReader(f, 64<<10)).Decode(&info); err != nil {
		return info, fmt.Errorf("reading the stored login %s: %w", f.Name(), err)
	}
	return info, nil
}

// writeLoginInfo writes dir's loginInfoFile (0600; dir is created 0700).
func writeLoginInfo(dir string, info loginInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, loginInfoFile), append(b, '\n'), 0o600)
}

// removeLoginInfo deletes dir's loginInfoFile; a missing one is no error.
func removeLoginInfo(dir string) error {
	err := os.Remove(filepath.Join(dir, loginInfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
