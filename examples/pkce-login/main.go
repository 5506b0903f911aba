// Command pkce-login logs a user in from the command line with the OAuth 2.0
// authorization code flow, PKCE (S256) and a loopback redirect (RFC 8252):
// auth.LoginLoopback listens on a free port of 127.0.0.1, sends the browser to
// the authorization page and exchanges the code that comes back. The token then
// feeds a Source (a RefreshToken grant over a Store), which the SDK client uses.
//
// With MINDPEEKER_CLIENT_ID set it logs in to MindPeeker and opens the system
// browser (or prints the URL to open); MINDPEEKER_CLIENT_SECRET (for a
// confidential client), MINDPEEKER_SCOPES, MINDPEEKER_AUTHORIZE_URL,
// MINDPEEKER_TOKEN_URL and MINDPEEKER_BASE_URL are optional. With it unset it
// starts the in-process fake API (mindpeekertest), says so, and plays the
// browser itself, so the login completes unattended.
//
//	go run ./examples/pkce-login
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv, auth.SystemBrowser); err != nil {
		fmt.Fprintln(os.Stderr, "pkce-login:", err)
		os.Exit(1)
	}
}

// run logs in and lists sessions. openBrowser opens the user's browser when
// talking to the real service; the fake always gets the in-process browser.
func run(ctx context.Context, out io.Writer, getenv func(string) string, openBrowser func(string) error) error {
	cfg := &oauth2.Config{
		ClientID:     getenv(client.EnvClientID),
		ClientSecret: getenv(client.EnvClientSecret),
		Scopes:       strings.Fields(getenv(client.EnvScopes)),
		Endpoint: oauth2.Endpoint{
			AuthURL:  or(getenv("MINDPEEKER_AUTHORIZE_URL"), client.DefaultAuthorizeURL),
			TokenURL: or(getenv(client.EnvTokenURL), client.DefaultTokenURL),
		},
	}
	baseURL := or(getenv(client.EnvBaseURL), client.DefaultBaseURL)
	var fake *mindpeekertest.Server
	if cfg.ClientID == "" {
		fake = mindpeekertest.NewServer(mindpeekertest.WithSeedData())
		defer fake.Close()
		cfg.ClientID, cfg.ClientSecret = mindpeekertest.PublicClientID, ""
		cfg.Endpoint = oauth2.Endpoint{AuthURL: fake.AuthorizeURL(), TokenURL: fake.TokenURL()}
		baseURL = fake.APIURL()
		openBrowser = inProcessBrowser(out)
		fmt.Fprintf(out, "No %s set: using the in-process fake API (mindpeekertest) at %s,\n", client.EnvClientID, fake.URL)
		fmt.Fprintln(out, "and an in-process browser that consents as the fake's user, so the login completes unattended.")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{client.ScopeRemoteViewingRead}
	}

	fmt.Fprintf(out, "\nLogging in as client %s with the authorization code flow (PKCE S256, state, loopback redirect)\n", cfg.ClientID)
	tok, err := auth.LoginLoopback(ctx, cfg, auth.LoopbackOptions{OpenBrowser: openBrowser, Prompt: out, Timeout: 5 * time.Minute})
	var refused *auth.AuthorizationError
	if errors.As(err, &refused) {
		return fmt.Errorf("the authorization server refused the login (%s)", refused.Code)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, "    logged in: %s token valid for %s, refresh token included: %t\n",
		tok.TokenType, time.Until(tok.Expiry).Round(time.Second), tok.RefreshToken != "")

	// Keep the token where a Source finds it; the Source renews it through the
	// refresh token when it expires. A real program would use auth.NewFileStore.
	store := &auth.MemoryStore{}
	if err := store.Save(ctx, tok); err != nil {
		return err
	}
	src := auth.NewSource(auth.RefreshToken{TokenURL: cfg.Endpoint.TokenURL, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, Scopes: cfg.Scopes}, auth.WithStore(store))
	c, err := client.New(client.Config{BaseURL: baseURL, TokenURL: cfg.Endpoint.TokenURL, TokenSource: src})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nListing sessions with the token")
	n := 0
	for s, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 10}) {
		if err != nil {
			return err
		}
		if n++; n <= 3 {
			fmt.Fprintf(out, "    %s  %-10s %s\n", s.ID, s.Status, s.Title)
		}
	}
	fmt.Fprintf(out, "    %d sessions\n", n)
	if fake != nil {
		st := fake.Stats()
		fmt.Fprintf(out, "\nThe fake saw %d token request(s): %d authorization_code, %d refresh_token.\n",
			st.TokenRequests, st.TokenRequestsByGrant["authorization_code"], st.TokenRequestsByGrant["refresh_token"])
	}
	return nil
}

// inProcessBrowser returns a "browser" that opens the authorization page and
// follows its redirect to the loopback callback, as a user who consents would.
func inProcessBrowser(out io.Writer) func(string) error {
	return func(authURL string) error {
		fmt.Fprintln(out, "    browser: opening the authorization page (in-process)")
		hc := &http.Client{Timeout: 30 * time.Second}
		resp, err := hc.Get(authURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)); err != nil {
			return err
		}
		fmt.Fprintf(out, "    browser: redirected back to the program's loopback callback, which answered %s\n", resp.Status)
		return nil
	}
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
