package conformance_test

// The harness of the tests against real OAuth 2.0 server libraries running on
// loopback (internal/oauthtest): ory/fosite, strict, which revokes a whole token
// family when a spent refresh token comes back, and go-oauth2/oauth2, lenient.
// Tests named TestRealServer_* run against both (realServers); TestFosite* need
// fosite's strictness, TestGoOAuth2* show go-oauth2's lenience.
//
//	grants_test.go       client credentials, password refresh at expiry, the 401 path
//	fosite_test.go       restart from a stored refresh token; fosite's reuse detection
//	gooauth2_test.go     the refresh chain against a server that would not notice reuse
//	authcode_test.go     authorization code with PKCE and state; LoginLoopback
//	browser_test.go      LoginLoopback driven by a real headless Chromium (chromedp)
//	filestore_test.go    processes sharing one token file (helper processes)
//	redisfleet_test.go   a fleet sharing one token through Redis (helper processes)

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

// realServers are the server libraries every table test runs against.
var realServers = []struct {
	name  string
	start func(oauthtest.TB, oauthtest.Options) *oauthtest.Server
}{
	{"fosite", oauthtest.NewFosite},
	{"go-oauth2", oauthtest.NewGoOAuth2},
}

// realLifespan is the access-token lifespan of the tests that wait for real
// expiry: the shortest for which fosite never announces expires_in 0.
const realLifespan = 2 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// grantCtx is the context for calling a Grant directly: it carries the
// server's HTTP client, as a Source's does.
func grantCtx(t *testing.T, srv *oauthtest.Server) context.Context {
	return context.WithValue(testCtx(t), oauth2.HTTPClient, srv.Client())
}

func passwordGrant(srv *oauthtest.Server) auth.Password {
	return auth.Password{TokenURL: srv.TokenURL, ClientID: oauthtest.PublicClientID,
		Username: oauthtest.Username, Password: oauthtest.Password, Scopes: []string{"read"}}
}

// requireActive asserts that the server accepts tok's access token.
func requireActive(t *testing.T, srv *oauthtest.Server, tok *oauth2.Token) *oauthtest.TokenInfo {
	t.Helper()
	require.NotNil(t, tok)
	info, err := srv.Introspect(context.Background(), tok.AccessToken)
	require.NoError(t, err, "the server must accept the access token")
	return info
}

// waitServerExpiry sleeps until tok has expired for the Source and then until
// the server itself no longer accepts it.
func waitServerExpiry(t *testing.T, srv *oauthtest.Server, tok *oauth2.Token) {
	t.Helper()
	time.Sleep(time.Until(tok.Expiry))
	require.Eventually(t, func() bool {
		_, err := srv.Introspect(context.Background(), tok.AccessToken)
		return errors.Is(err, oauthtest.ErrExpiredToken)
	}, 6*time.Second, 10*time.Millisecond, "the server should expire the access token") // slack for a loaded CI machine
}
