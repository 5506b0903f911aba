package oauthtest_test

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
)

// cleanups stands in for a *testing.T outside a test: it collects the server's
// cleanup and runs it at the end.
type cleanups []func()

func (c *cleanups) Helper()          {}
func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }
func (c *cleanups) run() {
	for i := len(*c) - 1; i >= 0; i-- {
		(*c)[i]()
	}
}

// A client that spends a refresh token twice is caught by fosite, which
// revokes the whole token family, and by the harness's own count.
func Example() {
	var t cleanups // in a test: the *testing.T
	defer t.run()
	srv := oauthtest.NewFosite(&t, oauthtest.Options{})

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	cfg := &oauth2.Config{ClientID: oauthtest.PublicClientID,
		Endpoint: oauth2.Endpoint{TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := cfg.PasswordCredentialsToken(ctx, oauthtest.Username, oauthtest.Password)
	if err != nil {
		fmt.Println(err)
		return
	}
	spent := &oauth2.Token{RefreshToken: tok.RefreshToken}
	_, err = cfg.TokenSource(ctx, spent).Token()
	fmt.Println("first refresh:", err == nil)
	_, err = cfg.TokenSource(ctx, spent).Token()
	fmt.Println("second refresh refused:", err != nil)

	st := srv.Stats()
	fmt.Println("token requests:", st.ByGrant)
	fmt.Println("reuse seen by the harness:", st.RefreshReuse, "by fosite:", st.ReuseDetections)
	// Output:
	// first refresh: true
	// second refresh refused: true
	// token requests: map[password:1 refresh_token:2]
	// reuse seen by the harness: 1 by fosite: 1
}
