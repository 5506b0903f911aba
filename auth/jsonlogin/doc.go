// Package jsonlogin logs in to services that take JSON credentials instead of
// an OAuth 2.0 token endpoint:
//
//	POST {base}/register      {"user_id","user_secret"}    -> {"user_key"}
//	POST {base}/authenticate  {"user_key","user_secret"}   -> {"access_token","refresh_token"}
//	POST {base}/refresh       {"refresh_token"}            -> {"access_token"}
//
// [Grant] is an [auth.Grant]: wrap it in an [auth.Source] to get the token
// cached and renewed through /refresh before it expires, falling back to
// /authenticate when a refresh is refused.
//
//	src := auth.NewSource(jsonlogin.Grant{BaseURL: base, UserKey: key, UserSecret: secret})
//	api, err := client.New(client.Config{BaseURL: apiURL, TokenSource: src})
//	resp, err := api.Do(ctx, "GET", "/me", nil, &me)
//
// The requests go through the module's request engine, with the rule a
// request carrying secrets in its body needs: a redirect to another origin is
// refused, and a request is repeated only when the server cannot have acted
// on it (it never left this machine, or a 429 with Retry-After, waited out up
// to 10 seconds). Never after a 5xx or a lost answer: a /refresh is not
// idempotent on a server that rotates refresh tokens, so a repeat could spend
// the refresh token twice; the Source's next call, or the fallback to
// /authenticate, recovers instead. Error answers keep the secret and the
// refresh token out of the error.
//
// These services send no expires_in. The access token's lifetime is read from
// its JWT "exp" claim when it is a JWT (read, not verified: the client cannot
// check the signature and uses exp only to decide when to renew); otherwise the
// Source applies its default lifetime of one hour ([auth.WithDefaultLifetime]),
// which is what such services document.
package jsonlogin
