package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInsecureURL is returned (wrapped) when a credential would be sent over plain
// http:// to a host that is not loopback. Nothing is sent in that case.
var ErrInsecureURL = errors.New("refusing to send credentials over plain http to a non-loopback host; use https")

// IsLoopback reports whether host (a hostname or IP, without port) is this machine:
// "localhost", 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckSecureURL returns an error wrapping [ErrInsecureURL] unless u is https, or
// http to a loopback host. Use it before sending a credential to u.
func CheckSecureURL(u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("auth: %s: %w", u.Redacted(), ErrInsecureURL)
	default:
		return fmt.Errorf("auth: unsupported URL scheme %q in %s", u.Scheme, u.Redacted())
	}
}

// RedactURL returns raw fit for an error message: with any password in it
// replaced, or a placeholder when raw does not parse (it may hold one).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL, not shown)"
	}
	return strconv.Quote(u.Redacted())
}

// Origin is the scheme, host and port of a URL: the only place a credential may go.
// Two URLs share an origin only when all three match (RFC 6454); another port on
// the same host is another origin.
type Origin struct{ scheme, hostname, port string } // lower case; the port explicit

// OriginOf returns the origin of u, with the scheme's default port made explicit.
func OriginOf(u *url.URL) Origin {
	scheme := strings.ToLower(u.Scheme)
	return Origin{scheme: scheme, hostname: strings.ToLower(u.Hostname()), port: explicitPort(scheme, u.Port())}
}

func explicitPort(scheme, port string) string {
	if port == "" {
		switch scheme {
		case "http":
			return "80"
		case "https":
			return "443"
		}
	}
	return port
}

// Matches reports whether u has this origin: OriginOf(u) == o, without
// allocating (it runs for every request sent and every redirect hop).
func (o Origin) Matches(u *url.URL) bool {
	scheme, hostname := u.Scheme, u.Hostname()
	return equalLower(scheme, o.scheme) && equalLower(hostname, o.hostname) &&
		explicitPort(o.scheme, u.Port()) == o.port
}

// equalLower reports whether strings.ToLower(s) == lower, allocating only
// when s holds a byte beyond ASCII.
func equalLower(s, lower string) bool {
	if len(s) != len(lower) {
		return strings.ToLower(s) == lower // non-ASCII letters may change length
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s) == lower
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// String returns the origin as scheme://host:port.
func (o Origin) String() string { return o.scheme + "://" + net.JoinHostPort(o.hostname, o.port) }
