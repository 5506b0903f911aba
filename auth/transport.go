package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// HeaderCredential is a credential sent as one request header and computed for
// each request: a bearer token from a [Source], a MindTouch signed X-Deki-Token,
// an API key. Implement it to plug another scheme into [NewTransport] or the client.
type HeaderCredential interface {
	AuthHeader(ctx context.Context) (name, value string, err error)
}

// AuthHeader returns the Authorization header for the current token.
func (s *Source) AuthHeader(ctx context.Context) (name, value string, err error) {
	tok, err := s.TokenContext(ctx)
	if err != nil {
		return "", "", err
	}
	return "Authorization", "Bearer " + tok.AccessToken, nil
}

// Transport is an [http.RoundTripper] that adds a credential to requests for one
// origin (scheme, host and port) and to no other, on the first request and on
// every redirect hop: unlike [oauth2.Transport], a redirect to another host or
// port never carries the credential (golang/oauth2#500). With a [*Source] it
// retries a request once after a 401, with a renewed token, when the body can be
// replayed. Create it with [NewTransport].
type Transport struct {
	base   http.RoundTripper
	origin Origin
	cred   HeaderCredential
}

// NewTransport returns a Transport sending cred to apiURL's origin only, over
// base (http.DefaultTransport when nil). apiURL must be https, or http to a
// loopback host.
func NewTransport(base http.RoundTripper, apiURL string, cred HeaderCredential) (*Transport, error) {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("auth: invalid API URL %s", RedactURL(apiURL))
	}
	if err := CheckSecureURL(u); err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{base: base, origin: OriginOf(u), cred: cred}, nil
}

// RoundTrip sends req, with the credential when req goes to the Transport's origin.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.origin.Matches(req.URL) {
		return t.base.RoundTrip(req)
	}
	src, _ := t.cred.(*Source)
	var used *oauth2.Token
	authed, err := t.authorize(req, src, &used)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base.RoundTrip(authed)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || src == nil || !replayable(req) {
		return resp, err
	}
	src.Invalidate(used)
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil // cannot replay: the caller gets the 401
		}
	}
	resp.Body.Close()
	if authed, err = t.authorize(retry, src, &used); err != nil {
		closeBody(retry)
		return nil, err
	}
	return t.base.RoundTrip(authed)
}

// authorize returns a copy of req carrying the credential (a RoundTripper must
// not modify its request), recording the bearer token used.
func (t *Transport) authorize(req *http.Request, src *Source, used **oauth2.Token) (*http.Request, error) {
	ctx := req.Context()
	var name, value string
	if src != nil {
		tok, err := src.TokenContext(ctx)
		if err != nil {
			return nil, err
		}
		*used, name, value = tok, "Authorization", "Bearer "+tok.AccessToken
	} else {
		var err error
		if name, value, err = t.cred.AuthHeader(ctx); err != nil {
			return nil, err
		}
	}
	out := req.Clone(ctx)
	out.Header.Set(name, value)
	return out, nil
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// String describes the Transport by its origin; the credential is not shown.
func (t *Transport) String() string { return "auth.Transport{origin: " + t.origin.String() + "}" }

// GoString is String, so %#v does not print the credential either.
func (t *Transport) GoString() string { return t.String() }

// LogValue logs the Transport's origin only.
func (t *Transport) LogValue() slog.Value { return slog.StringValue(t.String()) }
