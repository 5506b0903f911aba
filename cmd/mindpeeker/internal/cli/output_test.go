package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"trailing space here", 9, "trailing…"},
		{"héllo wörld", 6, "héllo…"},
		{"abc", 1, "…"},
	}
	for _, tc := range tests {
		got := truncate(tc.in, tc.n)
		assert.Equal(t, tc.want, got, "truncate(%q, %d)", tc.in, tc.n)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), max(tc.n, 1))
	}
}

func TestCleanCell(t *testing.T) {
	assert.Equal(t, "a b c", cleanCell("a\nb\tc"))
	assert.Equal(t, "red", cleanCell("\x1b[31mred\x1b[0m"), "the escape sequence is dropped whole")
	assert.Equal(t, "ok", cleanCell("o\x00k\x7f"))
}

type item struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// seqOf yields items, then err when it is not nil.
func seqOf(items []item, err error) iter.Seq2[*item, error] {
	return func(yield func(*item, error) bool) {
		for i := range items {
			if !yield(&items[i], nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

func testApp(output string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &app{stdout: &stdout, stderr: &stderr, output: output, env: func(string) string { return "" }}, &stdout, &stderr
}

func row(it *item) []string { return []string{it.ID, it.Title} }

func TestPrintListJSON(t *testing.T) {
	items := []item{{"a", "first"}, {"b", "second"}, {"c", "third"}}

	a, stdout, _ := testApp("json")
	require.NoError(t, printList(a, seqOf(items, nil), 2, []string{"ID", "TITLE"}, row, "items"))
	var got []item
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &got), stdout.String())
	assert.Equal(t, items, got)

	a, stdout, _ = testApp("json")
	require.NoError(t, printList(a, seqOf(nil, nil), 2, []string{"ID", "TITLE"}, row, "items"))
	assert.Equal(t, "[]\n", stdout.String())

	// A listing that fails midway must not parse as a complete array.
	boom := errors.New("boom")
	a, stdout, _ = testApp("json")
	err := printList(a, seqOf(items[:2], boom), 2, []string{"ID", "TITLE"}, row, "items")
	require.ErrorIs(t, err, boom)
	assert.True(t, strings.HasPrefix(stdout.String(), "[\n"))
	assert.Error(t, json.Unmarshal(stdout.Bytes(), &got))

	// A listing that fails at once prints nothing.
	a, stdout, _ = testApp("json")
	require.ErrorIs(t, printList(a, seqOf(nil, boom), 2, []string{"ID", "TITLE"}, row, "items"), boom)
	assert.Empty(t, stdout.String())
}

func TestPrintListTableAlignsAcrossPages(t *testing.T) {
	items := []item{
		{"id1", "short"}, {"id2", "x"}, // page 1: narrow ids
		{"a-much-longer-id", "grows"}, {"id4", strings.Repeat("long title ", 20)}, // page 2: wider
		{"id5", "after"}, // page 3: narrow again, must keep the width
	}
	a, stdout, stderr := testApp("table")
	require.NoError(t, printList(a, seqOf(items, nil), 2, []string{"ID", "TITLE"}, row, "items"))
	assert.Empty(t, stderr.String())
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	require.Len(t, lines, 6, stdout.String())
	assert.Equal(t, []string{"ID", "TITLE"}, strings.Fields(lines[0]))
	for _, l := range lines {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), defaultWidth-1, "line %q", l)
	}
	// Page 2 and 3 share the widest id's column; page 1 was flushed before it was seen.
	col := func(l string) int { return strings.Index(l, strings.Fields(l)[1]) }
	assert.Equal(t, col(lines[3]), col(lines[4]))
	assert.Equal(t, col(lines[4]), col(lines[5]))
	assert.Equal(t, col(lines[0]), col(lines[1]))
	assert.True(t, strings.HasSuffix(lines[4], "…"), lines[4])

	a, stdout, stderr = testApp("table")
	require.NoError(t, printList(a, seqOf(nil, nil), 2, []string{"ID", "TITLE"}, row, "items"))
	assert.Empty(t, stdout.String())
	assert.Equal(t, "No items.\n", stderr.String())
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "http://127.0.0.1:8080/v1", shellQuote("http://127.0.0.1:8080/v1"))
	assert.Equal(t, "''", shellQuote(""))
	assert.Equal(t, `'a b'`, shellQuote("a b"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
	assert.Equal(t, `'$(rm -rf /)'`, shellQuote("$(rm -rf /)"))
}
