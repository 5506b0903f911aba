package auth

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxServerText is the bound, in runes, on a server's text (an error
// description, a message, a request id) kept in an error.
const MaxServerText = 256

// Excerpt returns s fit for an error message or a terminal: terminal escape
// sequences (CSI, OSC and the like, whole), control and format characters
// (bidirectional overrides among them) and invalid UTF-8 dropped, each run of
// white space made one space, and cut to at most max runes, ending in "…"
// when cut. Use it wherever text that a server (or a file) chose meets an
// error string or a terminal; the module has no other.
func Excerpt(s string, max int) string {
	if len(s) <= max && plain(s) {
		return s // the common case, an id or a short message: nothing to clean
	}
	var b strings.Builder
	n, space := 0, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == 0x1b:
			i = skipEscape(s, i)
			continue
		case r == 0x9b: // CSI as one C1 character
			i = skipCSI(s, i)
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case r == utf8.RuneError || !unicode.IsPrint(r):
			continue
		}
		if space && n > 0 {
			if n >= max {
				return b.String() + "…"
			}
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= max {
			return strings.TrimRight(b.String(), " ") + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// skipEscape returns the index after the escape sequence whose ESC ends at i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: up to BEL or ST
		for j := i + 1; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return len(s)
	default: // a two-character sequence (ESC c, ESC 7, ...)
		_, size := utf8.DecodeRuneInString(s[i:])
		return i + size
	}
}

// skipCSI returns the index after a control sequence's parameters and final byte.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// Scrub returns s with each non-empty secret, raw and as JSON would escape
// it, replaced by "[REDACTED]": for text that may echo a secret back (a
// server's error answer to a request that carried one).
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		s = strings.ReplaceAll(s, sec, redactedText)
		if quoted, err := json.Marshal(sec); err == nil {
			s = strings.ReplaceAll(s, string(quoted[1:len(quoted)-1]), redactedText)
		}
	}
	return s
}

// plain reports whether s is printable ASCII with no leading, trailing or
// doubled space: text Excerpt would return unchanged.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
	}
	return true
}
