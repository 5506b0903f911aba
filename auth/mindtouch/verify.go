package mindtouch

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors returned (wrapped) by [ParseToken] and [Verify].
var (
	ErrMalformedToken = errors.New("mindtouch: malformed X-Deki-Token")
	ErrBadSignature   = errors.New("mindtouch: X-Deki-Token signature does not match")
	ErrExpiredToken   = errors.New("mindtouch: X-Deki-Token signed too long ago or in the future")
)

// maxHeaderLen bounds the work spent on a header that is not a token at all.
const maxHeaderLen = 4096

// ParseToken splits an X-Deki-Token header value tkn_{key}_{epoch}_{user}_{hash}
// into its parts, without checking the signature. user is returned as sent
// (a user id, or "=" and the username); it may contain "_", so the
// hash is what follows the last "_" and the key what precedes the second one.
// The error wraps [ErrMalformedToken] when s does not have that form: a
// non-empty key, a canonical decimal epoch, a numeric or "=name" user, and 64
// lowercase hex digits of hash.
func ParseToken(s string) (key string, epoch int64, user, hash string, err error) {
	malformed := func(why string) (string, int64, string, string, error) {
		return "", 0, "", "", fmt.Errorf("%w: %s", ErrMalformedToken, why)
	}
	if len(s) > maxHeaderLen {
		return malformed("too long")
	}
	rest, ok := strings.CutPrefix(s, "tkn_")
	if !ok {
		return malformed(`no "tkn_" prefix`)
	}
	key, rest, ok = strings.Cut(rest, "_")
	if !ok || !validKey(key) {
		return malformed("bad key")
	}
	epochStr, rest, ok := strings.Cut(rest, "_")
	if !ok {
		return malformed("no epoch")
	}
	epoch, err = strconv.ParseInt(epochStr, 10, 64)
	if err != nil || strconv.FormatInt(epoch, 10) != epochStr {
		return malformed("bad epoch")
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return malformed("no hash")
	}
	user, hash = rest[:i], rest[i+1:]
	if !validUser(user) {
		return malformed("bad user")
	}
	if !isLowerHex(hash, 64) {
		return malformed("hash is not 64 lowercase hex digits")
	}
	return key, epoch, user, hash, nil
}

// Verify checks an X-Deki-Token header value as a MindTouch site would: its
// hash must be the HMAC-SHA256 keyed with secret over "{key}_{epoch}_{user}"
// exactly as sent (compared in constant time), and its epoch at most maxAge
// before or after now. Look the secret up by the key from [ParseToken] first.
// The error wraps [ErrMalformedToken], [ErrBadSignature] or [ErrExpiredToken]
// and contains neither the secret nor the hash.
func Verify(token, secret string, now time.Time, maxAge time.Duration) error {
	_, epoch, _, hash, err := ParseToken(token)
	if err != nil {
		return err
	}
	payload := token[len("tkn_"):strings.LastIndexByte(token, '_')]
	if !hmac.Equal([]byte(mac(secret, payload)), []byte(hash)) {
		return ErrBadSignature
	}
	switch age := now.Sub(time.Unix(epoch, 0)); {
	case age > maxAge:
		return fmt.Errorf("%w: signed %s ago, accepted for %s", ErrExpiredToken, age.Round(time.Second), maxAge)
	case age < -maxAge:
		return fmt.Errorf("%w: signed %s in the future, accepted within %s", ErrExpiredToken, (-age).Round(time.Second), maxAge)
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
