package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// The quickstart against an API named by the environment (here a fake
// standing in for the real one): it says where it talks, lists a bounded
// number of items, and writes only with -write, undoing all it wrote.
func TestQuickstartAgainstAConfiguredAPI(t *testing.T) {
	for _, write := range []bool{false, true} {
		t.Run(fmt.Sprintf("write=%v", write), func(t *testing.T) {
			srv := mindpeekertest.NewServer()
			t.Cleanup(srv.Close)
			for i := range 25 {
				srv.CreateSession(fmt.Sprintf("existing %d", i))
			}
			keyID, _ := srv.CreateAPIKey("existing", client.ScopeRemoteViewingRead)
			t.Setenv(client.EnvBaseURL, srv.APIURL())
			t.Setenv(client.EnvTokenURL, srv.TokenURL())
			t.Setenv(client.EnvClientID, mindpeekertest.DefaultClientID)
			t.Setenv(client.EnvClientSecret, mindpeekertest.DefaultClientSecret)
			t.Setenv(client.EnvAPIKey, "")
			t.Setenv(client.EnvScopes, "")

			var out bytes.Buffer
			require.NoError(t, run(t.Context(), &out, write), out.String())
			assert.Contains(t, out.String(), "Talking to the MindPeeker API at "+srv.APIURL())
			assert.Contains(t, out.String(), "Tokens come from "+srv.TokenURL())
			assert.Equal(t, realListMax, strings.Count(out.String(), "existing "), "a bounded listing:\n%s", out.String())
			assert.Contains(t, out.String(), "(more not shown)")

			var writes []string
			sessionPages := 0
			for _, r := range srv.Requests() {
				if r.Method != "GET" && !strings.HasSuffix(r.Path, "/token") {
					writes = append(writes, r.Method+" "+r.Path)
				}
				if r.Method == "GET" && r.Path == "/v1/sessions" {
					sessionPages++
				}
			}
			assert.Equal(t, 1, sessionPages, "one page for the bounded listing")
			if !write {
				assert.Empty(t, writes, "nothing written without -write")
				assert.Contains(t, out.String(), "-write")
				return
			}
			require.NotEmpty(t, writes)

			// Afterwards the account holds what it held before, and nothing else.
			c, err := client.NewFromEnv()
			require.NoError(t, err)
			n := 0
			for s, err := range c.Sessions.List(t.Context(), nil) {
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(s.Title, "existing "), s.Title)
				n++
			}
			assert.Equal(t, 25, n)
			var active []string
			for k, err := range c.APIKeys.List(t.Context(), nil) {
				require.NoError(t, err)
				if k.RevokedAt == nil {
					active = append(active, k.ID)
				}
			}
			assert.Equal(t, []string{keyID}, active, "only the key it did not create is still active")
		})
	}
}
