// Package mindtouch signs requests to the MindTouch (CXone Expert) API with a
// server API token.
//
// A server API token is a key and a secret issued by a MindTouch site. The
// secret never travels: each request carries an X-Deki-Token header
//
//	tkn_{key}_{epoch}_{user}_{hash}
//
// where epoch is the signing time in Unix seconds, user is the user the request
// acts as (a numeric user id, or "=" and the username exactly as given, with no
// URL-encoding, as in every official example), and hash is
// the lowercase hex HMAC-SHA256, keyed with the secret, of "{key}_{epoch}_{user}".
// The site accepts a signature for about five minutes ([SignatureLifetime]), so
// every request is signed anew: use [ServerToken.Transport], or pass a
// [ServerToken] (an [auth.HeaderCredential]) to [auth.NewTransport] or to the
// client, rather than computing one header and reusing it.
//
// This is the format of the current CXone Expert documentation. The legacy PHP
// library used another one; it is not supported.
//
// [ParseToken] and [Verify] check a header on the receiving side, for servers
// and test fakes.
package mindtouch
