package transport

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrInvalidHeader is wrapped by the error for a header name or value that
// cannot be sent (a CR, LF or other control character, an empty or malformed
// name): a configuration mistake, refused before anything is sent, never
// retried. It is re-exported as client.ErrInvalidHeader.
var ErrInvalidHeader = errors.New("mindpeeker: invalid header")

// CheckHeader returns an error wrapping ErrInvalidHeader unless name is an
// HTTP token and value holds no control character but tab (RFC 9110 §5.5).
// The error names the header, never its value (a credential).
func CheckHeader(name, value string) error {
	if name == "" || strings.IndexFunc(name, notTokenChar) >= 0 {
		return fmt.Errorf("%w name %q", ErrInvalidHeader, name)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: the value of %s holds a control character", ErrInvalidHeader, http.CanonicalHeaderKey(name))
		}
	}
	return nil
}

func notTokenChar(r rune) bool {
	return r > 0x7e || r <= 0x20 || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
}
