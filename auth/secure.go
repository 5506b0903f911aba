package auth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
type Origin struct{ scheme, host string }

// OriginOf returns the origin of u, with the scheme's default port made explicit.
func OriginOf(u *url.URL) Origin {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return Origin{scheme: scheme, host: net.JoinHostPort(host, port)}
}

// Matches reports whether u has this origin.
func (o Origin) Matches(u *url.URL) bool { return OriginOf(u) == o }

// String returns the origin as scheme://host:port.
func (o Origin) String() string { return o.scheme + "://" + o.host }

// noCrossOriginRedirects wraps a redirect policy so that a request that carries a
// credential in its body (a token request) never follows a redirect to another
// origin: Go's http.Client re-sends a POST body on 307/308.
func noCrossOriginRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !OriginOf(via[0].URL).Matches(req.URL) {
			return fmt.Errorf("auth: refusing redirect from %s to another origin %s", OriginOf(via[0].URL), OriginOf(req.URL))
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("auth: stopped after 10 redirects")
		}
		return nil
	}
}

// tokenHTTPClient returns a copy of c (or of http.DefaultClient) that never
// follows a token request to another origin.
func tokenHTTPClient(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	cp.CheckRedirect = noCrossOriginRedirects(c.CheckRedirect)
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = expiresInTransport{next: base}
	return &cp
}
