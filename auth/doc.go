// Package auth obtains, caches and renews OAuth 2.0 tokens so that callers never
// think about them.
//
// A [Grant] knows how to get one token from a token endpoint: [ClientCredentials],
// [Password] (and its [Mindbaz] preset), [RefreshToken], or an API-specific login
// (the subpackages jsonlogin and mapsindoors). A [Source] wraps a Grant and is
// what the rest of a program uses: it is an [oauth2.TokenSource], it caches the
// token, renews it in the background before it expires (when is a per-Source
// choice: [WithRenewBefore], or the grant's [RenewalPolicy]), lets only one renewal
// run at a time however many goroutines ask, and saves every new token to a
// [Store] before handing it out, so a rotated refresh token is never lost.
//
//	src := auth.NewSource(auth.ClientCredentials{
//		TokenURL:     "https://auth.mindpeeker.com/oauth2/token",
//		ClientID:     id,
//		ClientSecret: secret,
//	}, auth.WithStore(auth.NewFileStore(path)))
//	tok, err := src.TokenContext(ctx)
//
// Stores: [MemoryStore]; [FileStore], written atomically with mode 0600 and locked
// across processes, so two programs on one host never spend one refresh token
// twice; and, for a fleet of machines, the subpackage redisstore. A store shared
// between processes implements [Locker], and the Source holds that lock while it
// renews. A lock that can expire while held (Redis) is a [LeaseLocker], and its
// store a [FencedStore]: a renewer that lost the lock spends nothing more and
// never overwrites the newer token another process saved; it adopts that one.
//
// Users logging in: [AuthCodeFlow] is the authorization code flow with PKCE (S256)
// and a state checked in constant time, for web applications; [LoginLoopback]
// runs it for command-line programs through a loopback redirect (RFC 8252).
//
// Sending the token: [NewTransport] is an [http.RoundTripper] that adds a
// [HeaderCredential] (a Source's bearer token, a MindTouch signature) to requests
// for one origin only, also across redirects, and retries once after a 401 with a
// renewed token.
//
// Where secrets may go: [RedirectPolicy] is the module's one rule for redirects
// (a credential only to its origin; a token request never follows a redirect to
// another origin, see [TokenHTTPClient]), and [WritePrivateFile] and
// [ReadPrivateFile] its one way to keep a secret, or what says where one goes,
// in a file (atomic, 0600, never through a symlink; anything but a private
// regular file of the current user refused without blocking).
//
// Secrets held by the types of this package (client secrets, passwords, refresh
// tokens, PKCE verifiers) are redacted from their fmt and slog output.
package auth
