package auth_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

func TestExcerpt(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"abcdef", 3, "abc…"},
		{"a b c d", 3, "a b…"},
		{"  a \n\t b  ", 10, "a b"},
		{"\x1b[31mred\x1b[0m", 10, "red"},
		{"\x1b]0;pwned title\x07ok", 10, "ok"},
		{"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", 10, "link"},
		{"\u009b2Jclear", 10, "clear"},
		{"a\u202eb\u2066c\u200bd", 10, "abcd"},
		{"nul\x00del\x7fbell\x07", 20, "nuldelbell"},
		{"\xff\xfeok", 5, "ok"},
		{"héllo wörld", 5, "héllo…"},
		{strings.Repeat("x", 1<<20), auth.MaxServerText, strings.Repeat("x", auth.MaxServerText) + "…"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, auth.Excerpt(tt.in, tt.max), "Excerpt(%.40q, %d)", tt.in, tt.max)
	}
}

func TestScrub(t *testing.T) {
	assert.Equal(t, `bad [REDACTED] and [REDACTED]`, auth.Scrub(`bad s"e\cret and s\"e\\cret`, `s"e\cret`, ""))
}

// FuzzExcerpt checks the excerpt of any server text: at most max runes plus
// the ellipsis, no escape, control or format character, no leading or doubled
// spaces, valid UTF-8.
func FuzzExcerpt(f *testing.F) {
	f.Add("<html><body><h1>502 Bad Gateway</h1></body></html>", 120)
	f.Add("plain  text\r\n\twith\x00controls", 5)
	f.Add("\x1b[1;31mred\x1b[0m \x1b]0;title\x07 \u009b2J", 20)
	f.Add("\xff\xfe invalid utf-8", 1)
	f.Add("", 0)
	f.Add("00000 00", 7)
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max <= 0 || max > 1<<12 {
			max = auth.MaxServerText
		}
		out := auth.Excerpt(in, max)
		assert.LessOrEqual(t, utf8.RuneCountInString(out), max+1)
		assert.True(t, utf8.ValidString(out))
		assert.False(t, strings.HasPrefix(out, " "), "leading space in %q", out)
		assert.NotContains(t, out, "  ")
		for _, r := range out {
			assert.True(t, r == ' ' || unicode.IsPrint(r), "%U in %q", r, out)
		}
	})
}
