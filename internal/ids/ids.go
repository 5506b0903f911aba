// Package ids checks the resource ids that the services put into request paths.
// An id is data, never a path: one that could change which resource a request
// names (behind a front server that normalises "..", say) is refused before
// anything is sent.
package ids

import (
	"errors"
	"fmt"
	"strconv"
)

// MaxLen is the longest id accepted, in bytes. The API's ids ("ses_…", "key_…")
// are far shorter.
const MaxLen = 128

// ErrInvalid is returned (wrapped) for an id that cannot be part of a request
// path; no request is sent. It is re-exported as client.ErrInvalidID.
var ErrInvalid = errors.New("mindpeeker: invalid id")

// Check returns an error wrapping ErrInvalid unless id has the shape of the
// API's ids: 1 to MaxLen ASCII letters, digits, '_', '-' and '.', starting with
// a letter or digit. That excludes "", "." and "..", separators ('/', '\'),
// query and fragment marks ('?', '#'), percent escapes, white space and
// control characters, so the id names one resource and nothing else.
func Check(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: the id is empty", ErrInvalid)
	case len(id) > MaxLen:
		return fmt.Errorf("%w: the id is %d bytes long (at most %d)", ErrInvalid, len(id), MaxLen)
	case !isAlnum(id[0]):
		return fmt.Errorf("%w %s: it must start with a letter or digit", ErrInvalid, strconv.QuoteToASCII(id))
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return fmt.Errorf("%w %s: only letters, digits, '_', '-' and '.' are allowed", ErrInvalid, strconv.QuoteToASCII(id))
		}
	}
	return nil
}

// Path returns collection + "/" + id + suffix ("/sessions", "ses_1", "") after
// checking id.
func Path(collection, id, suffix string) (string, error) {
	if err := Check(id); err != nil {
		return "", err
	}
	return collection + "/" + id + suffix, nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
