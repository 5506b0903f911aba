package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
)

func (a *app) authCommand() *cobra.Command {
	cmd := groupCommand("auth", "Log in with a browser, print an access token, log out",
		`Log in as a user with a browser, print an access token, log out.

'auth login' stores the login (an access and a refresh token) in a private file
(mode 0600, directory 0700) under $MINDPEEKER_CONFIG_DIR, default the user config
directory + /mindpeeker. Every command then uses it when the environment sets no
credential (MINDPEEKER_API_KEY, or MINDPEEKER_CLIENT_ID with
MINDPEEKER_CLIENT_SECRET), and renews it as needed.`)
	cmd.AddCommand(a.authLogin(), a.authToken(), a.authLogout())
	return cmd
}

func (a *app) authLogin() *cobra.Command {
	var (
		authorizeURL string
		noBrowser    bool
		scopes       []string
		timeout      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in with a browser and store the login",
		Long: `Log in with the OAuth 2.0 authorization code flow and PKCE: a temporary server
on 127.0.0.1 receives the browser's redirect (RFC 8252), the code is exchanged
for tokens, and they are stored for the other commands.

The client is $MINDPEEKER_CLIENT_ID, default "` + DefaultClientID + `" (a public
client; $MINDPEEKER_CLIENT_SECRET is sent when set). The authorization page is
--authorize-url, else $MINDPEEKER_AUTHORIZE_URL, else
` + client.DefaultAuthorizeURL + `. The browser is opened with
xdg-open, open or rundll32; with --no-browser the page's URL is printed on
stderr for you to open.`,
		Example: `  mindpeeker auth login
  mindpeeker auth login --no-browser --scope remote-viewing:read --scope profile`,
		Args: exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			return a.login(cmd.Context(), authorizeURL, scopes, noBrowser, timeout)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&authorizeURL, "authorize-url", "", "authorization endpoint (default $MINDPEEKER_AUTHORIZE_URL, else "+client.DefaultAuthorizeURL+")")
	f.BoolVar(&noBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	f.StringSliceVar(&scopes, "scope", nil, "scope to ask for; repeat or separate with commas (default $MINDPEEKER_SCOPES)")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the browser")
	_ = cmd.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions(allScopes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) login(ctx context.Context, authorizeURL string, scopes []string, noBrowser bool, timeout time.Duration) error {
	if timeout <= 0 {
		return usageErrorf("invalid --timeout %s: must be positive", timeout)
	}
	id, secret := first(a.env(client.EnvClientID), DefaultClientID), a.env(client.EnvClientSecret)
	tokenURL := first(a.tokenURL, a.env(client.EnvTokenURL), client.DefaultTokenURL)
	if len(scopes) == 0 {
		scopes = strings.Fields(a.env(client.EnvScopes))
	}
	cfg := &oauth2.Config{
		ClientID: id, ClientSecret: secret, Scopes: scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   first(authorizeURL, a.env(EnvAuthorizeURL), client.DefaultAuthorizeURL),
			TokenURL:  tokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	store, dir, err := a.loginStore()
	if err != nil {
		return err
	}
	opts := auth.LoopbackOptions{Prompt: a.stderr, Timeout: timeout}
	if !noBrowser {
		opts.OpenBrowser = func(u string) error { return openBrowser(a.stderr, u) }
	}
	tok, err := auth.LoginLoopback(ctx, cfg, opts)
	if err != nil {
		return fmt.Errorf("logging in: %w", err)
	}
	if err := store.Save(ctx, tok); err != nil {
		return fmt.Errorf("storing the login: %w", err)
	}
	info := loginInfo{ClientID: id, TokenURL: tokenURL, BaseURL: first(a.baseURL, a.env(client.EnvBaseURL))}
	if err := writeLoginInfo(dir, info); err != nil {
		return fmt.Errorf("storing the login: %w", err)
	}
	fmt.Fprintf(a.stderr, "Logged in. The login is stored in %s.\n", store.Path())
	if a.env(client.EnvAPIKey) != "" || secret != "" {
		fmt.Fprintln(a.stderr, "Note: MINDPEEKER_API_KEY or MINDPEEKER_CLIENT_SECRET is set; other commands use it, not this login, until you unset it.")
	}
	return nil
}

func (a *app) authToken() *cobra.Command {
	return &cobra.Command{
		Use:   "token",
		Short: "Print a valid access token",
		Long: `Print a valid access token on stdout, and nothing else.

With MINDPEEKER_CLIENT_ID and MINDPEEKER_CLIENT_SECRET set, each run asks the
token endpoint for a new token (client credentials tokens are not stored).
Otherwise it prints the stored login's token, renewed first (and stored) when
it is about to expire, so repeated runs reuse one token while it lasts.
The output is the same with -o json. Handle it as the secret it is.`,
		Example: `  curl -H "Authorization: Bearer $(mindpeeker auth token)" https://api.mindpeeker.com/v1/sessions`,
		Args:    exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			c, err := a.resolve(cmd.Context())
			if err != nil {
				return err
			}
			if c.kind == credAPIKey {
				return usageErrorf("MINDPEEKER_API_KEY is set: an API key is sent as is (X-API-Key) and has no access token; unset it to use the login or client credentials")
			}
			cl, err := client.New(c.cfg)
			if err != nil {
				return &usageError{err}
			}
			tok, err := tokenFrom(cmd.Context(), cl.TokenSource())
			if err != nil {
				return fmt.Errorf("getting a token: %w", err)
			}
			_, err = io.WriteString(a.stdout, tok.AccessToken+"\n")
			return err
		}),
	}
}

// tokenFrom asks ts for a token, with ctx when ts supports it.
func tokenFrom(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	if ts == nil {
		return nil, errors.New("this credential has no token source")
	}
	if src, ok := ts.(interface {
		TokenContext(context.Context) (*oauth2.Token, error)
	}); ok {
		return src.TokenContext(ctx)
	}
	return ts.Token()
}

func (a *app) authLogout() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Delete the stored login",
		Long: `Delete the stored login (its tokens). Environment credentials are not
affected. It is not an error when there is no stored login.`,
		Example: `  mindpeeker auth logout`,
		Args:    exactArgs(),
		RunE: a.action(func(cmd *cobra.Command, _ []string) error {
			store, dir, err := a.loginStore()
			if err != nil {
				return err
			}
			tok, loadErr := store.Load(cmd.Context())
			if err := store.Delete(cmd.Context()); err != nil {
				return fmt.Errorf("deleting the stored login: %w", err)
			}
			if err := removeLoginInfo(dir); err != nil {
				return fmt.Errorf("deleting the stored login: %w", err)
			}
			if tok == nil && loadErr == nil {
				fmt.Fprintln(a.stderr, "Not logged in; nothing to delete.")
			} else {
				fmt.Fprintf(a.stderr, "Logged out: deleted %s.\n", store.Path())
			}
			return nil
		}),
	}
}
