package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
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
// It names the servers the stored tokens go to, so it is read as the token
// file is (auth.ReadPrivateFile): a symlink, a FIFO, a file others may read or
// write is refused, with an error wrapping auth.ErrInsecureFile.
func readLoginInfo(dir string) (loginInfo, error) {
	var info loginInfo
	path := filepath.Join(dir, loginInfoFile)
	b, err := auth.ReadPrivateFile(path, 64<<10)
	if errors.Is(err, fs.ErrNotExist) {
		return info, nil
	}
	if err != nil {
		return info, fmt.Errorf("reading the stored login: %w", err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("reading the stored login %s: %w", path, err)
	}
	return info, nil
}

// writeLoginInfo writes dir's loginInfoFile atomically, 0600, never through a
// symlink (auth.WritePrivateFile; dir is created 0700).
func writeLoginInfo(dir string, info loginInfo) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return auth.WritePrivateFile(filepath.Join(dir, loginInfoFile), append(b, '\n'))
}

// removeLoginInfo deletes dir's loginInfoFile; a missing one is no error.
func removeLoginInfo(dir string) error {
	err := os.Remove(filepath.Join(dir, loginInfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// checkLoginOrigins refuses, as a usage error, a token or base URL (from
// --token-url or --base-url, else their variables) whose origin is not the one
// the stored login was made with: the login's refresh and access tokens may go
// only there. A URL info does not record is the SDK's default, which the login
// was then made with. A URL on the recorded origin (another path, say) is fine.
func (a *app) checkLoginOrigins(info loginInfo) error {
	checks := []struct{ flag, flagValue, envName, recorded string }{
		{"--token-url", a.tokenURL, client.EnvTokenURL, first(info.TokenURL, client.DefaultTokenURL)},
		{"--base-url", a.baseURL, client.EnvBaseURL, first(info.BaseURL, client.DefaultBaseURL)},
	}
	for _, c := range checks {
		name, raw := c.flag, c.flagValue
		if raw == "" {
			name, raw = c.envName, a.env(c.envName)
		}
		if raw == "" {
			continue
		}
		recorded, err := url.Parse(c.recorded)
		if err != nil {
			return fmt.Errorf("reading the stored login: its URL %s does not parse: run 'mindpeeker auth login' again", auth.RedactURL(c.recorded))
		}
		want := auth.OriginOf(recorded)
		got, err := url.Parse(raw)
		if err != nil {
			return usageErrorf("invalid %s %s: not a URL", name, auth.RedactURL(raw))
		}
		if !want.Matches(got) {
			return usageErrorf("%s is on %s, but the stored login was made with %s: refusing to send its tokens to another origin; "+
				"remove %s, or run 'mindpeeker auth login' with it to log in there", name, auth.OriginOf(got), want, name)
		}
	}
	return nil
}
