package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Authorizer puts a credential on a request to the API origin.
type Authorizer interface {
	// Authorize sets the credential on h. It returns the bearer token it used,
	// or nil for credentials that are not bearer tokens (those are never
	// renewed after a 401).
	Authorize(ctx context.Context, h http.Header) (*oauth2.Token, error)
	// Renew is told that the server refused tok with a 401, and makes the next
	// Authorize use a renewed token. It returns an error when no retry can
	// help: the source hands out tok again, say ([ErrTokenNotRenewed]).
	Renew(ctx context.Context, tok *oauth2.Token) error
	// HeaderName is the header that carries the credential, removed from any
	// redirect to another origin.
	HeaderName() string
}

// ErrTokenNotRenewed is returned (wrapped, with the 401) when the server
// refused a token and the token source handed out the same token again.
var ErrTokenNotRenewed = errors.New("the token source returned the refused token again")

// contextSource is a token source that is its own lock-free cache and renews
// ahead of expiry: *auth.Source. It is asked for every request.
type contextSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// Bearer returns an Authorizer sending ts's token as "Authorization: Bearer".
//
// An *auth.Source (any source with TokenContext) is asked for every request:
// it is the cache. Any other source is cached here, and asked again only when
// its token is within 10 seconds of its expiry (as x/oauth2 does). After a
// 401, an [auth.Invalidator] is told the refused token, and the source is
// asked again: a new token is retried once; the same token again ends the call
// with [ErrTokenNotRenewed].
func Bearer(ts oauth2.TokenSource) Authorizer {
	b := &bearer{ts: ts}
	b.self, _ = ts.(contextSource)
	b.inv, _ = ts.(auth.Invalidator)
	return b
}

type bearer struct {
	ts   oauth2.TokenSource
	self contextSource                // non-nil: ts caches itself
	inv  auth.Invalidator             // non-nil: ts can be told of a refused token
	last atomic.Pointer[bearerHeader] // the last token and its header value, built once per token
	mu   sync.Mutex                   // one fetch at a time from a source cached here
}

type bearerHeader struct {
	tok   *oauth2.Token
	value []string
}

// expiryDelta is how long before its expiry a cached token is no longer sent:
// x/oauth2's own margin, so a ReuseTokenSource asked then does renew.
const expiryDelta = 10 * time.Second

func fresh(tok *oauth2.Token) bool {
	return tok.Expiry.IsZero() || time.Until(tok.Expiry) > expiryDelta
}

func (b *bearer) Authorize(ctx context.Context, h http.Header) (*oauth2.Token, error) {
	var hv *bearerHeader
	if b.self != nil {
		tok, err := b.self.TokenContext(ctx)
		if err != nil {
			return nil, err
		}
		if hv, err = b.header(tok); err != nil {
			return nil, err
		}
	} else if hv = b.last.Load(); hv == nil || !fresh(hv.tok) {
		var err error
		if hv, err = b.fetch(nil); err != nil {
			return nil, err
		}
	}
	h["Authorization"] = hv.value // read-only from here on: never appended to
	return hv.tok, nil
}

// header returns the header value for tok, built and checked once per token.
// A token that cannot be sent (none, or with a control character) from a
// buggy source is an error, not a panic or a request that fails to go out.
func (b *bearer) header(tok *oauth2.Token) (*bearerHeader, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("the token source %T returned no access token", b.ts)
	}
	hv := b.last.Load()
	if hv == nil || hv.tok != tok {
		if err := CheckHeader("Authorization", tok.AccessToken); err != nil {
			return nil, err
		}
		hv = &bearerHeader{tok: tok, value: []string{"Bearer " + tok.AccessToken}}
		b.last.Store(hv)
	}
	return hv, nil
}

// fetch asks a source cached here for a token, unless another caller already
// replaced the cached one: an expired one (refused == nil) or refused.
func (b *bearer) fetch(refused *oauth2.Token) (*bearerHeader, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if hv := b.last.Load(); hv != nil {
		if refused == nil && fresh(hv.tok) || refused != nil && hv.tok.AccessToken != refused.AccessToken {
			return hv, nil
		}
	}
	if refused != nil && b.inv != nil {
		b.inv.Invalidate(refused)
	}
	tok, err := b.ts.Token()
	if err != nil {
		return nil, err
	}
	return b.header(tok)
}

func (b *bearer) Renew(ctx context.Context, refused *oauth2.Token) error {
	var tok *oauth2.Token
	if b.self != nil {
		if b.inv != nil {
			b.inv.Invalidate(refused)
		}
		var err error
		if tok, err = b.self.TokenContext(ctx); err != nil {
			return err
		}
	} else {
		hv, err := b.fetch(refused)
		if err != nil {
			return err
		}
		tok = hv.tok
	}
	if tok.AccessToken == refused.AccessToken {
		return fmt.Errorf("%w: a %T keeps its token until it expires (oauth2.ReuseTokenSource does, and so does "+
			"the TokenSource of clientcredentials.Config and oauth2.Config); pass an *auth.Source instead, "+
			"e.g. auth.NewSource(auth.ClientCredentialsGrant(cfg)), or a source implementing auth.Invalidator",
			ErrTokenNotRenewed, b.ts)
	}
	return nil
}

func (b *bearer) HeaderName() string { return "Authorization" }

// APIKey returns an Authorizer sending key as X-API-Key. A 401 is final.
func APIKey(key string) Authorizer { return apiKey{value: []string{key}} }

type apiKey struct{ value []string }

func (k apiKey) Authorize(_ context.Context, h http.Header) (*oauth2.Token, error) {
	h["X-Api-Key"] = k.value
	return nil, nil
}
func (apiKey) Renew(context.Context, *oauth2.Token) error { return errNotRenewable }
func (apiKey) HeaderName() string                         { return "X-Api-Key" }

// Header returns an Authorizer for a credential computed per request (a signed
// MindTouch token, say); it is computed again for every retry.
func Header(cred auth.HeaderCredential) Authorizer { return &header{cred: cred} }

type header struct {
	cred auth.HeaderCredential
	name atomic.Value // string: the last header name set
}

func (c *header) Authorize(ctx context.Context, h http.Header) (*oauth2.Token, error) {
	name, value, err := c.cred.AuthHeader(ctx)
	if err != nil {
		return nil, err
	}
	if err := CheckHeader(name, value); err != nil { // checked per request: computed per request
		return nil, fmt.Errorf("the credential %T: %w", c.cred, err)
	}
	if canon := http.CanonicalHeaderKey(name); canon != c.HeaderName() { // stored once, not per request
		c.name.Store(canon)
	}
	h.Set(name, value)
	return nil, nil
}
func (*header) Renew(context.Context, *oauth2.Token) error { return errNotRenewable }
func (c *header) HeaderName() string {
	name, _ := c.name.Load().(string)
	return name
}

// errNotRenewable: Renew is called only for bearer tokens; these never return one.
var errNotRenewable = errors.New("this credential cannot be renewed")
