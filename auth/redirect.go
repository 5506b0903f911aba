package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/internal/stall"
)

// ErrCrossOriginRedirect is returned (wrapped) when a request whose body
// carries a secret (a token request) is redirected to another origin. Nothing
// is sent there.
var ErrCrossOriginRedirect = errors.New("refusing to follow a redirect to another origin with a secret in the request body")

// ErrTooManyRedirects is returned (wrapped) by [RedirectPolicy] after 10
// redirects when it has no Next policy, as http.Client stops by default.
var ErrTooManyRedirects = errors.New("stopped after 10 redirects")

// credentialHeaders are removed from every redirect to another origin, beside
// the headers a RedirectPolicy names.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key"}

// RedirectPolicy is the module's one rule for following redirects, used as an
// [http.Client] CheckRedirect (see [RedirectPolicy.CheckRedirect]): a
// credential goes to its own origin (scheme, host and port) and nowhere else.
// Go's http.Client alone forwards custom headers such as X-Api-Key to any
// host, Authorization to another port of the same host, and re-sends a POST
// body on a 307 or 308 wherever it points.
//
// Use it when building an http.Client that sends credentials; for token
// requests, [TokenHTTPClient] sets it up.
type RedirectPolicy struct {
	// Origin is where the credential may go. The zero Origin means the origin
	// of the first request of the chain.
	Origin Origin
	// Headers names credential headers to remove on a redirect to another
	// origin, beside Authorization, Proxy-Authorization, Cookie and X-Api-Key
	// (e.g. MindTouch's X-Deki-Token).
	Headers []string
	// SecretInBody refuses a redirect to another origin with an error wrapping
	// [ErrCrossOriginRedirect] instead of following it without the headers: for
	// requests whose body carries a secret (a client secret, password, refresh
	// token or authorization code), which no header removal can protect.
	SecretInBody bool
	// Next is applied to every redirect that is followed, after the rule
	// above: the caller's own CheckRedirect. nil stops after 10 redirects with
	// an error wrapping [ErrTooManyRedirects].
	Next func(req *http.Request, via []*http.Request) error
}

// CheckRedirect implements the policy with the signature of
// [http.Client.CheckRedirect]: req is the next request, via those already made.
func (p RedirectPolicy) CheckRedirect(req *http.Request, via []*http.Request) error {
	origin := p.Origin
	if origin == (Origin{}) && len(via) > 0 { // no via: no origin, so the credential is removed
		origin = OriginOf(via[0].URL)
	}
	if !origin.Matches(req.URL) {
		if p.SecretInBody {
			return fmt.Errorf("auth: redirect from %s to %s: %w", origin, OriginOf(req.URL), ErrCrossOriginRedirect)
		}
		for _, name := range credentialHeaders {
			req.Header.Del(name)
		}
		for _, name := range p.Headers {
			req.Header.Del(name)
		}
	}
	if p.Next != nil {
		return p.Next(req, via)
	}
	if len(via) >= 10 {
		return fmt.Errorf("auth: %w", ErrTooManyRedirects)
	}
	return nil
}

// TokenHTTPClient returns a copy of c (when nil: the module's shared client,
// whose connections fail after 30 seconds without data, so a token request
// never hangs) for
// requests whose body carries a secret: it never follows a redirect to
// another origin ([RedirectPolicy] with SecretInBody), and applies c's own
// CheckRedirect within the origin. c itself is not modified. Every grant of
// this module uses it on the client it is given, so a grant used directly is
// as safe as one behind a [Source]; use it for token requests of your own.
func TokenHTTPClient(c *http.Client) *http.Client {
	if c == nil {
		c = defaultTokenClient()
	}
	cp := *c
	cp.CheckRedirect = RedirectPolicy{SecretInBody: true, Next: c.CheckRedirect}.CheckRedirect
	return &cp
}

// defaultTokenClient is the client token requests use when given none; tests
// shorten its bound.
var defaultTokenClient = func() *http.Client { return stall.Client(0) }

// withTokenClient returns ctx carrying, under [oauth2.HTTPClient] where
// x/oauth2 looks, the [TokenHTTPClient] copy of the client ctx carries, its
// transport wrapped so that x/oauth2 can read any expires_in (see
// expiresInTransport).
func withTokenClient(ctx context.Context) context.Context {
	hc, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	hc = TokenHTTPClient(hc)
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = expiresInTransport{next: next}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}
