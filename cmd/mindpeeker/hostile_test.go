package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// TestIDsAreNotPaths drives the built command with ids that would name another
// resource: each is a usage error (exit 2) and the server gets no request.
func TestIDsAreNotPaths(t *testing.T) {
	h := newHarness(t)
	h.srv.CreateAPIKey("victim", "remote-viewing:read")
	for _, cmdline := range []string{"sessions get", "sessions delete", "apikeys get", "apikeys revoke", "apikeys rotate"} {
		for _, id := range []string{"../api-keys/key_1", "..", ".", "ses_1/x", "ses_1?x", "ses_1#x", "%2e%2e", "a\\b", "ses\x1b[31m"} {
			t.Run(fmt.Sprintf("%s %q", cmdline, id), func(t *testing.T) {
				before := h.srv.Stats().APIRequests + h.srv.Stats().TokenRequests
				r := h.run(t, append(args(cmdline), id))
				assert.Equal(t, 2, r.code, r.String())
				assert.Contains(t, r.stderr, "invalid id")
				assert.NotContains(t, r.stderr, "\x1b", "the argument is not echoed raw to the terminal")
				assert.Equal(t, before, h.srv.Stats().APIRequests+h.srv.Stats().TokenRequests, "no request reached the server")
			})
		}
	}
}

// TestListResumesFromItsCursor stops a listing midway (the server fails the
// second page) and resumes it with the cursor the command printed on stderr:
// every item is listed exactly once.
func TestListResumesFromItsCursor(t *testing.T) {
	for _, noun := range []string{"sessions", "apikeys"} {
		t.Run(noun, func(t *testing.T) {
			h := newHarness(t)
			want := []string{}
			target := "GET /v1/sessions"
			for i := range 45 { // three pages of the server's 20
				if noun == "sessions" {
					want = append(want, h.srv.CreateSession(fmt.Sprint("s", i)))
				} else {
					id, _ := h.srv.CreateAPIKey(fmt.Sprint("k", i), "remote-viewing:read")
					want = append(want, id)
					target = "GET /v1/api-keys"
				}
			}
			// The first page is answered as usual (a delay of 0); the second is refused.
			h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultDelay, Target: target})
			h.srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 400, Target: target})
			stopped := h.run(t, args(noun+" list -o json"))
			require.Equal(t, 1, stopped.code, stopped.String())
			cursor := cursorIn(t, stopped.stderr)
			got := idsIn(t, strings.TrimSuffix(strings.TrimSpace(stopped.stdout), ",")+"]")

			resumed := h.run(t, append(args(noun+" list -o json --cursor"), cursor))
			require.Equal(t, 0, resumed.code, resumed.String())
			got = append(got, idsIn(t, resumed.stdout)...)
			assert.ElementsMatch(t, want, got, "every item once")
			assert.Len(t, got, len(want))

			table := h.run(t, append(args(noun+" list --cursor"), cursor))
			require.Equal(t, 0, table.code, table.String())
			assert.Len(t, tableLines(t, table.stdout), len(want)-20+1, "the table resumes too (with its header)")
		})
	}
}

func idsIn(t *testing.T, out string) []string {
	t.Helper()
	var items []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(out), &items), out)
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}

var resumeNote = regexp.MustCompile(`--cursor (\S+)\)`)

func cursorIn(t *testing.T, stderr string) string {
	t.Helper()
	m := resumeNote.FindStringSubmatch(stderr)
	require.NotNil(t, m, "stderr names the cursor to resume from: %s", stderr)
	return strings.Trim(m[1], `"`)
}
