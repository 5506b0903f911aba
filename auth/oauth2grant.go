package auth

import (
	"context"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientCredentialsGrant adapts an x/oauth2 client credentials configuration
// to a [Grant], so that a [Source] (not x/oauth2's ReuseTokenSource) owns the
// token: NewSource(ClientCredentialsGrant(cfg)) renews ahead of expiry, can be
// told of a 401 ([Source.Invalidate]) and can persist its token. Pass it where
// cfg.TokenSource(ctx) would go: that source keeps a refused token until it
// expires, so a client cannot recover from a revoked token with it.
//
// AuthStyleAutoDetect is used as x/oauth2 does (both styles tried): a client
// secret is not single-use.
func ClientCredentialsGrant(cfg *clientcredentials.Config) Grant {
	return GrantFunc(func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		if err := checkTokenURL(cfg.TokenURL); err != nil {
			return nil, err
		}
		tok, err := cfg.Token(ctx)
		return tok, wrapTokenError("client_credentials", err)
	})
}

// RefreshTokenGrant adapts an x/oauth2 configuration and a refresh token (from
// a login done with cfg, say) to a [Grant]: the [RefreshToken] grant for cfg's
// client and token endpoint, which renews with the newest refresh token. Use
// NewSource(RefreshTokenGrant(cfg, rt)) where cfg.TokenSource(ctx, tok) would
// go, for the reasons given at [ClientCredentialsGrant].
func RefreshTokenGrant(cfg *oauth2.Config, refreshToken string) RefreshToken {
	return RefreshToken{
		TokenURL: cfg.Endpoint.TokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RefreshToken: refreshToken, Scopes: cfg.Scopes, AuthStyle: cfg.Endpoint.AuthStyle,
	}
}
