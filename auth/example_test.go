package auth_test

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// A Source calls its grant once and serves the cached token until it is
// about to expire. Real programs use auth.ClientCredentials, auth.Password or
// auth.RefreshToken as the grant; this one counts its calls.
func ExampleNewSource() {
	calls := 0
	grant := auth.GrantFunc(func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
		calls++
		return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", calls), TokenType: "bearer", ExpiresIn: 3600}, nil
	})
	src := auth.NewSource(grant)

	for range 3 {
		tok, err := src.TokenContext(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tok.Type(), tok.AccessToken)
	}
	fmt.Println("grant calls:", calls)
	fmt.Println(src)
	// Output:
	// Bearer token-1
	// Bearer token-1
	// Bearer token-1
	// grant calls: 1
	// auth.Source{grant: auth.GrantFunc}
}

// A FileStore keeps the token across restarts, in a private file that is
// replaced atomically. Give it to a Source with auth.WithStore; several
// processes may share it.
func ExampleFileStore() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	st := auth.NewFileStore(filepath.Join(dir, "myapp", "token.json"))
	err = st.Save(ctx, &oauth2.Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := st.Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("refresh token restored:", tok.RefreshToken == "rt")

	// A Source using it loads the stored token instead of calling its grant.
	src := auth.NewSource(auth.RefreshToken{TokenURL: "https://auth.mindpeeker.com/oauth2/token", ClientID: "my-app"},
		auth.WithStore(st))
	tok, err = src.Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("access token:", tok.AccessToken)
	// Output:
	// refresh token restored: true
	// access token: at
}

// A web application starts the flow in one request and completes it in the
// callback request; the Pending is kept in the user's server-side session.
func ExampleAuthCodeFlow_Start() {
	flow := auth.NewAuthCodeFlow(&oauth2.Config{
		ClientID:    "my-web-app",
		RedirectURL: "https://app.example.com/callback",
		Scopes:      []string{"remote-viewing:read", "profile"},
		Endpoint: oauth2.Endpoint{
			AuthURL:  "https://auth.mindpeeker.com/oauth2/authorize",
			TokenURL: "https://auth.mindpeeker.com/oauth2/token",
		},
	})
	authURL, pending, err := flow.Start()
	if err != nil {
		log.Fatal(err)
	}
	// Store pending in the session, then redirect the browser to authURL.
	u, _ := url.Parse(authURL)
	var params []string
	for k := range u.Query() {
		params = append(params, k)
	}
	sort.Strings(params)
	fmt.Println(u.Host + u.Path)
	fmt.Println(params)
	fmt.Println("method:", u.Query().Get("code_challenge_method"))
	fmt.Println("state matches:", u.Query().Get("state") == pending.State)

	// In the callback handler (r is the *http.Request):
	//	tok, err := flow.Exchange(r.Context(), pending, r.URL.Query())
	// Output:
	// auth.mindpeeker.com/oauth2/authorize
	// [client_id code_challenge code_challenge_method redirect_uri response_type scope state]
	// method: S256
	// state matches: true
}

// A command-line program logs its user in with the browser and keeps the
// token for next time.
func ExampleLoginLoopback() {
	cfg := &oauth2.Config{
		ClientID: "my-cli", // a public client: no secret, PKCE protects the code
		Scopes:   []string{"profile"},
		Endpoint: oauth2.Endpoint{
			AuthURL:  "https://auth.mindpeeker.com/oauth2/authorize",
			TokenURL: "https://auth.mindpeeker.com/oauth2/token",
		},
	}
	tok, err := auth.LoginLoopback(context.Background(), cfg, auth.LoopbackOptions{
		OpenBrowser: func(u string) error {
			switch runtime.GOOS {
			case "darwin":
				return exec.Command("open", u).Start()
			case "windows":
				return exec.Command("rundll32", "url.dll,FileProtocolHandler", u).Start()
			default:
				return exec.Command("xdg-open", u).Start()
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.UserConfigDir()
	if err := auth.NewFileStore(filepath.Join(dir, "my-cli", "token.json")).Save(context.Background(), tok); err != nil {
		log.Fatal(err)
	}
}
