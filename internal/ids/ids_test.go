package ids_test

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/ids"
)

func TestCheck(t *testing.T) {
	for _, ok := range []string{"ses_0000000a1b2c3d4e", "key_x", "1", "a.b", "a-b_c", strings.Repeat("z", ids.MaxLen)} {
		assert.NoError(t, ids.Check(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a?b", "a#b", "a%2fb", "a b", "a\tb", "a\nb", "a\x00", "é", "_a", "-a", ".a", strings.Repeat("z", ids.MaxLen+1)} {
		err := ids.Check(bad)
		require.ErrorIs(t, err, ids.ErrInvalid, "%q", bad)
		assert.NotContains(t, err.Error(), "\n")
	}
}

// FuzzCheck: an id that passes names exactly one path segment, unchanged by
// URL parsing or by a front server's path normalisation.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"ses_1", "..", "../api-keys/k", "%2e%2e", "a/b", "a\x00", "ses 1", "a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		p, err := ids.Path("/api-keys", id, "/rotate")
		if err != nil {
			require.ErrorIs(t, err, ids.ErrInvalid)
			return
		}
		u, err := url.Parse("https://api.example.com/v1" + p)
		require.NoError(t, err)
		assert.Equal(t, "/v1/api-keys/"+id+"/rotate", u.Path)
		assert.Equal(t, u.Path, path.Clean(u.Path), "normalisation changes nothing")
		assert.Empty(t, u.RawQuery+u.Fragment)
		assert.Equal(t, "/v1/api-keys/"+id+"/rotate", u.EscapedPath(), "nothing to escape")
	})
}
