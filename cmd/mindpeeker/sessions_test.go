package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// tableLines splits table output into lines, checking that each fits 80 columns.
func tableLines(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 79, "line wider than 80 columns: %q", l)
	}
	return lines
}

func TestSessionsListJSONAndTable(t *testing.T) {
	h := newHarness(t)
	long := "A remarkably long session title that cannot fit in eighty columns of a terminal"
	ids := []string{h.srv.CreateSession("Target 4471-9823"), h.srv.CreateSession(long), h.srv.CreateSession("Lost keys")}

	r := h.run(t, args("sessions list -o json"))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	var list []sessions.Session
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list), r.stdout)
	require.Len(t, list, 3)
	for i, s := range list {
		assert.Equal(t, ids[i], s.ID)
		assert.Equal(t, sessions.StatusPending, s.Status)
		assert.False(t, s.CreatedAt.IsZero())
	}
	assert.Equal(t, long, list[1].Title)

	r = h.run(t, args("sessions list"))
	require.Equal(t, 0, r.code, r)
	lines := tableLines(t, r.stdout)
	require.Len(t, lines, 4, r.stdout)
	assert.Equal(t, []string{"ID", "STATUS", "CREATED", "TITLE"}, strings.Fields(lines[0]))
	titleCol := strings.Index(lines[0], "TITLE")
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		assert.Equal(t, ids[i], f[0])
		assert.Equal(t, "pending", f[1])
		assert.Equal(t, list[i].CreatedAt.UTC().Format("2006-01-02"), f[2])
		assert.Equal(t, strings.Fields(l[titleCol:])[0], f[3], "the title starts in the TITLE column: %q", l)
	}
	assert.Contains(t, lines[1], "Target 4471-9823")
	assert.NotContains(t, lines[2], long)
	assert.True(t, strings.HasSuffix(lines[2], "…"), "long title cut with an ellipsis: %q", lines[2])
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(lines[2][titleCol:], "…")))
}

func TestSessionsListEmpty(t *testing.T) {
	h := newHarness(t)
	r := h.run(t, args("sessions list -o json"))
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "[]\n", r.stdout)
	r = h.run(t, args("sessions list"))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "No sessions.\n", r.stderr)
}

// TestSessionsListPagination checks that a list is one JSON array of every
// page, fetched with the given page size.
func TestSessionsListPagination(t *testing.T) {
	h := newHarness(t)
	want := make([]string, 45)
	for i := range want {
		want[i] = h.srv.CreateSession(fmt.Sprintf("Session %02d", i))
	}

	r := h.run(t, args("sessions list --limit 10 -o json"))
	require.Equal(t, 0, r.code, r)
	var list []sessions.Session
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	got := make([]string, len(list))
	for i, s := range list {
		got[i] = s.ID
	}
	assert.Equal(t, want, got)

	var pages []url.Values
	for _, req := range h.srv.Requests() {
		if req.Method == "GET" && req.Path == "/v1/sessions" {
			q, err := url.ParseQuery(req.RawQuery)
			require.NoError(t, err)
			pages = append(pages, q)
		}
	}
	require.Len(t, pages, 5, "45 sessions in pages of 10")
	for i, q := range pages {
		assert.Equal(t, "10", q.Get("limit"))
		assert.Equal(t, i == 0, q.Get("cursor") == "", "only the first page has no cursor")
	}

	// The table streams page by page, yet stays one aligned table.
	r = h.run(t, args("sessions list --limit 10"))
	require.Equal(t, 0, r.code, r)
	lines := tableLines(t, r.stdout)
	require.Len(t, lines, 46)
	titleCol := strings.Index(lines[0], "TITLE")
	for i, l := range lines[1:] {
		assert.Equal(t, fmt.Sprintf("Session %02d", i), l[titleCol:])
	}
}

func TestSessionsCreateGetDelete(t *testing.T) {
	h := newHarness(t)

	r := h.run(t, []string{"sessions", "create", "--title", "Lost keys, kitchen or garage?", "--target-id", "tgt_keys", "--notes", "Blind.", "-o", "json"})
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	var created sessions.Session
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &created), r.stdout)
	assert.True(t, strings.HasPrefix(created.ID, "ses_"))
	assert.Equal(t, "Lost keys, kitchen or garage?", created.Title)
	assert.Equal(t, "tgt_keys", created.TargetID)
	assert.Equal(t, "Blind.", created.Notes)
	assert.Equal(t, 1, h.srv.Stats().SessionsCreated)

	// -o json prints exactly the API's object.
	r = h.run(t, args("sessions get -o json "+created.ID))
	require.Equal(t, 0, r.code, r)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &raw))
	assert.ElementsMatch(t, []string{"id", "title", "status", "target_id", "notes", "created_at", "updated_at"}, slices.Collect(maps.Keys(raw)))
	assert.Equal(t, created.ID, raw["id"])

	r = h.run(t, args("sessions get "+created.ID))
	require.Equal(t, 0, r.code, r)
	fields := fieldsOf(t, r.stdout)
	assert.Equal(t, created.ID, fields["ID"])
	assert.Equal(t, "Lost keys, kitchen or garage?", fields["TITLE"])
	assert.Equal(t, "pending", fields["STATUS"])
	assert.Equal(t, "tgt_keys", fields["TARGET ID"])
	assert.Equal(t, "Blind.", fields["NOTES"])
	assert.Equal(t, created.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), fields["CREATED"])

	// delete: nothing on stdout in either mode; a confirmation on stderr in table mode.
	r = h.run(t, args("sessions delete "+created.ID))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "Deleted session "+created.ID+".\n", r.stderr)
	r = h.run(t, args("sessions get "+created.ID))
	assert.Equal(t, 1, r.code, r)

	id := h.srv.CreateSession("second")
	r = h.run(t, args("sessions delete -o json "+id))
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Empty(t, r.stderr)
}

// fieldsOf parses the two-column output of a get: "NAME  value" lines, where
// a name may hold one space and is followed by at least two.
func fieldsOf(t *testing.T, out string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	lines := tableLines(t, out)
	valueCol := -1
	for _, l := range lines {
		i := strings.Index(l, "  ")
		require.GreaterOrEqual(t, i, 0, "no value column in %q", l)
		name := l[:i]
		value := strings.TrimLeft(l[i:], " ")
		col := len(l) - len(value)
		if valueCol < 0 {
			valueCol = col
		}
		assert.Equal(t, valueCol, col, "values aligned: %q", l)
		fields[name] = value
	}
	return fields
}
