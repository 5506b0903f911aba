package transport

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Authorizer puts a credential on a request to the API origin.
type Authorizer interface {
	// Authorize sets the credential on h. It returns the bearer token it used,
	// or nil for credentials that are not bearer tokens.
	Authorize(ctx context.Context, h http.Header) (*oauth2.Token, error)
	// Invalidate is told that the server refused tok with a 401. It reports
	// whether one retry with a renewed token can help.
	Invalidate(tok *oauth2.Token) bool
	// HeaderName is the header that carries the credential, removed from any
	// redirect to another origin.
	HeaderName() string
}

// Bearer returns an Authorizer sending ts's token as "Authorization: Bearer".
// A 401 is retried once when ts can be told to renew (as *auth.Source can).
func Bearer(ts oauth2.TokenSource) Authorizer { return &bearer{ts: ts} }

type bearer struct {
	ts   oauth2.TokenSource
	last atomic.Pointer[bearerHeader] // header value of the last token, built once per token
}

type bearerHeader struct {
	tok   *oauth2.Token
	value []string
}

func (b *bearer) Authorize(ctx context.Context, h http.Header) (*oauth2.Token, error) {
	var tok *oauth2.Token
	var err error
	if src, ok := b.ts.(interface {
		TokenContext(context.Context) (*oauth2.Token, error)
	}); ok {
		tok, err = src.TokenContext(ctx)
	} else {
		tok, err = b.ts.Token()
	}
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" { // a buggy TokenSource: an error, not a panic
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
	h["Authorization"] = hv.value // read-only from here on: never appended to
	return tok, nil
}

func (b *bearer) Invalidate(tok *oauth2.Token) bool {
	inv, ok := b.ts.(interface{ Invalidate(*oauth2.Token) })
	if ok {
		inv.Invalidate(tok)
	}
	return ok
}

func (b *bearer) HeaderName() string { return "Authorization" }

// APIKey returns an Authorizer sending key as X-API-Key. A 401 is final.
func APIKey(key string) Authorizer { return apiKey{value: []string{key}} }

type apiKey struct{ value []string }

func (k apiKey) Authorize(_ context.Context, h http.Header) (*oauth2.Token, error) {
	h["X-Api-Key"] = k.value
	return nil, nil
}
func (apiKey) Invalidate(*oauth2.Token) bool { return false }
func (apiKey) HeaderName() string            { return "X-Api-Key" }

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
func (*header) Invalidate(*oauth2.Token) bool { return false }
func (c *header) HeaderName() string {
	name, _ := c.name.Load().(string)
	return name
}
