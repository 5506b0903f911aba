package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// maxJWTLen bounds the work spent on a token that is not a JWT at all.
const maxJWTLen = 16 << 10

// JWTExpiry returns the "exp" claim of a JWT access token. The token is read, not
// verified: the signature is not checked, because only the issuer can trust the
// claims; the client uses exp solely to decide when to renew. ok is false when
// token is not a JWT with a numeric exp.
func JWTExpiry(token string) (exp time.Time, ok bool) {
	if len(token) > maxJWTLen || strings.Count(token, ".") != 2 {
		return time.Time{}, false
	}
	payload := token[strings.IndexByte(token, '.')+1 : strings.LastIndexByte(token, '.')]
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	secs, err := claims.Exp.Float64()
	if err != nil || secs <= 0 || secs > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(int64(secs), int64((secs-float64(int64(secs)))*1e9)), true
}
