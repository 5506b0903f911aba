// Package oauthtest runs real OAuth 2.0 authorization servers on loopback for
// tests: [NewFosite] wraps ory/fosite, a strict server that revokes a whole
// token family when a spent refresh token comes back, and [NewGoOAuth2] wraps
// go-oauth2/oauth2, a lenient one. Both serve a token endpoint and a protected
// resource, keep everything in memory, and record what the client sent, so a
// test can assert how many token requests each grant caused and that no refresh
// token was ever presented twice, even to a server that would not notice.
//
// Use it to prove that the SDK's grants interoperate with independent server
// implementations, rather than only with a fake written next to the client.
//
//	srv := oauthtest.NewFosite(t, oauthtest.Options{AccessTokenLifespan: 2 * time.Second})
//	src := auth.NewSource(auth.Password{TokenURL: srv.TokenURL, ClientID: oauthtest.PublicClientID,
//		Username: oauthtest.Username, Password: oauthtest.Password})
//	// ... use src ...
//	require.Zero(t, srv.Stats().RefreshReuse)
//
// The package is for tests only: its secrets are constants and its servers keep
// no state beyond the test.
package oauthtest
