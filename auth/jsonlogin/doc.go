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
//	rt, err := auth.NewTransport(nil, apiURL, src)
//
// These services send no expires_in. The access token's lifetime is read from
// its JWT "exp" claim when it is a JWT (read, not verified: the client cannot
// check the signature and uses exp only to decide when to renew); otherwise the
// Source applies its default lifetime of one hour ([auth.WithDefaultLifetime]),
// which is what such services document.
package jsonlogin
