// Package auth obtains, caches and renews OAuth 2.0 tokens so that callers never
// think about them.
//
// A [Grant] knows how to get one token from a token endpoint (client credentials,
// password, refresh token, or any API-specific login). A [Source] wraps a Grant
// and is what the rest of a program uses: it is an [oauth2.TokenSource], it
// caches the token, renews it in the background before it expires, lets only one
// renewal run at a time however many goroutines ask, and persists every new token
// to a [Store] before handing it out, so a rotated refresh token is never lost.
//
//	src := auth.NewSource(auth.ClientCredentials{
//		TokenURL:     "https://auth.mindpeeker.com/oauth2/token",
//		ClientID:     id,
//		ClientSecret: secret,
//	})
//	tok, err := src.TokenContext(ctx)
//
// Secrets held by the types of this package (client secrets, passwords, refresh
// tokens) are redacted from their fmt and slog output.
package auth
