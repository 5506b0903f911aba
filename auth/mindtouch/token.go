package mindtouch

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// HeaderName is the request header that carries a signed server API token.
const HeaderName = "X-Deki-Token"

// SignatureLifetime is how long a MindTouch site accepts a signature after (and
// before, for clock skew) its epoch. Sign each request; never cache a header.
const SignatureLifetime = 5 * time.Minute

// ErrInvalidToken is returned (wrapped) by [ServerToken.Validate], and so by
// AuthHeader and Transport, when a ServerToken cannot produce a valid header.
var ErrInvalidToken = errors.New("mindtouch: invalid server token")

// ServerToken is a MindTouch server API token: the Key and Secret a site
// administrator created, and the User the requests act as. It implements
// [auth.HeaderCredential], signing every request at the current time.
//
// User is either a numeric user id ("2") or "=" followed by the username
// ("=jane@example.com"). Both are signed and sent exactly as given, with no
// URL-encoding: "=jane doe@example.com" goes into the header as is, as in every
// official example (the vendor's Python, C#, Java and Node snippets and the
// LibreTexts library). Control characters (CR, LF, tab, NUL, DEL, ...) are
// refused, since the user travels in a request header.
//
// Secret is redacted from the String, GoString and LogValue output.
type ServerToken struct {
	Key    string // the token's key, e.g. "6f1a2b..."; sent in every header
	Secret string // the signing secret; never sent
	User   string // "2" (a user id) or "=username"
}

// Validate reports whether t can sign: Key is non-empty printable ASCII without
// "_" (the header's separator), Secret is non-empty, and User is a numeric id or
// "=" and a non-empty username. The error wraps [ErrInvalidToken] and contains
// no secret.
func (t ServerToken) Validate() error {
	switch {
	case t.Key == "":
		return fmt.Errorf("%w: empty Key", ErrInvalidToken)
	case !validKey(t.Key):
		return fmt.Errorf("%w: Key must be printable ASCII without '_'", ErrInvalidToken)
	case t.Secret == "":
		return fmt.Errorf("%w: empty Secret", ErrInvalidToken)
	case !validUser(t.User):
		return fmt.Errorf("%w: User must be a numeric user id or \"=\" and a username", ErrInvalidToken)
	}
	return nil
}

// Sign returns the X-Deki-Token header value signed at the given time:
// tkn_{Key}_{at.Unix()}_{User}_{hash}, where User is exactly as given (see
// [ServerToken]) and hash is the lowercase hex HMAC-SHA256 keyed with Secret
// over "{Key}_{at.Unix()}_{User}". Sign does not validate t;
// [ServerToken.AuthHeader] and [ServerToken.Transport] do.
func (t ServerToken) Sign(at time.Time) string {
	payload := t.Key + "_" + strconv.FormatInt(at.Unix(), 10) + "_" + t.User
	return "tkn_" + payload + "_" + mac(t.Secret, payload)
}

// AuthHeader returns the X-Deki-Token header signed now; it implements
// [auth.HeaderCredential]. Use [ServerToken.WithClock] to sign at another time.
func (t ServerToken) AuthHeader(ctx context.Context) (name, value string, err error) {
	return Signer{Token: t}.AuthHeader(ctx)
}

// WithClock returns a [Signer] that signs with t at the times now returns, for
// tests and simulations.
func (t ServerToken) WithClock(now func() time.Time) Signer { return Signer{Token: t, Now: now} }

// Transport returns an [http.RoundTripper] that signs every request to
// siteURL's origin (scheme, host and port) afresh, and sends no token anywhere
// else, redirects included (see [auth.NewTransport]). siteURL must be https, or
// http to a loopback host; base nil means [http.DefaultTransport].
func (t ServerToken) Transport(siteURL string, base http.RoundTripper) (http.RoundTripper, error) {
	return Signer{Token: t}.Transport(siteURL, base)
}

// view is the token as every output shows it: its secret redacted.
func (t ServerToken) view() auth.View {
	return auth.View{Type: "mindtouch.ServerToken", Attrs: []slog.Attr{
		slog.String("key", t.Key), slog.String("secret", auth.Redact(t.Secret)), slog.String("user", t.User)}}
}

// String describes the token without its secret.
func (t ServerToken) String() string { return t.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (t ServerToken) GoString() string { return t.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (t ServerToken) Format(f fmt.State, verb rune) { t.view().Format(f, verb) }

// LogValue logs the key and user, never the secret.
func (t ServerToken) LogValue() slog.Value { return t.view().LogValue() }

// MarshalJSON encodes the key and user, never the secret.
func (t ServerToken) MarshalJSON() ([]byte, error) { return t.view().MarshalJSON() }

// Signer signs with Token at the time Now returns (time.Now when nil). It is a
// [ServerToken] with an injectable clock; it implements [auth.HeaderCredential].
type Signer struct {
	Token ServerToken
	Now   func() time.Time
}

// AuthHeader validates the token and returns ("X-Deki-Token", a fresh signature).
func (s Signer) AuthHeader(ctx context.Context) (name, value string, err error) {
	if err := s.Token.Validate(); err != nil {
		return "", "", err
	}
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return HeaderName, s.Token.Sign(now()), nil
}

// Transport is [ServerToken.Transport] with the Signer's clock.
func (s Signer) Transport(siteURL string, base http.RoundTripper) (http.RoundTripper, error) {
	if err := s.Token.Validate(); err != nil {
		return nil, err
	}
	return auth.NewTransport(base, siteURL, s)
}

// view is the signer as every output shows it: the token's secret redacted.
func (s Signer) view() auth.View {
	return auth.View{Type: "mindtouch.Signer", Attrs: []slog.Attr{slog.Any("token", s.Token.view())}}
}

// String describes the signer without the token's secret.
func (s Signer) String() string { return s.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (s Signer) GoString() string { return s.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (s Signer) Format(f fmt.State, verb rune) { s.view().Format(f, verb) }

// LogValue logs the token's key and user, never its secret.
func (s Signer) LogValue() slog.Value { return s.view().LogValue() }

// MarshalJSON encodes the token's key and user, never its secret.
func (s Signer) MarshalJSON() ([]byte, error) { return s.view().MarshalJSON() }

func mac(secret, payload string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(payload))
	return hex.EncodeToString(h.Sum(nil))
}

func validKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c >= 0x7f || c == '_' {
			return false
		}
	}
	return key != ""
}

func validUser(user string) bool {
	if name, ok := strings.CutPrefix(user, "="); ok {
		return name != "" && !hasControl(name)
	}
	return isDigits(user)
}

// hasControl reports whether s holds an ASCII control character (CR, LF, tab,
// NUL, DEL, ...): none may go into a header value.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var _ auth.HeaderCredential = ServerToken{}
var _ auth.HeaderCredential = Signer{}
