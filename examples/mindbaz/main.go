// Command mindbaz shows the auth package handling the Mindbaz API's login: the
// OAuth 2.0 password grant at https://sso.mindbaz.com/oauth2/token with
// client_id 100, and refresh tokens that are single-use and rotate on every
// renewal. It fetches a token, reuses it, renews it through the refresh token,
// persists it in a token file that a restarted program continues from, and
// calls the API with it through a client.Client (Do), with every guarantee. It prints which token requests it makes, never a token.
//
// With MINDBAZ_USERNAME and MINDBAZ_PASSWORD set it logs in to Mindbaz; set
// MINDBAZ_API_URL to an endpoint of the Mindbaz API to call it with the token
// (and MINDBAZ_TOKEN_URL to use another SSO, such as a test instance). With
// neither set it starts the in-process fake API (mindpeekertest), which logs in
// the same way, and says so.
//
//	go run ./examples/mindbaz
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "mindbaz:", err)
		os.Exit(1)
	}
}

// fakeLifetime is how long the fake's tokens live, so the renewal shows quickly.
const fakeLifetime = 2 * time.Second

// target is where the program logs in and what it calls.
type target struct {
	grant  auth.Password
	apiURL string // "" when there is nothing to call
	fake   *mindpeekertest.Server
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	tg, err := pickTarget(out, getenv)
	if err != nil {
		return err
	}
	if tg.fake != nil {
		defer tg.fake.Close()
	}
	dir, err := os.MkdirTemp("", "mindbaz-example-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mindbaz", "token.json")
	tracer := &tokenTracer{out: out, base: http.DefaultTransport}
	hc := &http.Client{Transport: tracer, Timeout: 30 * time.Second}
	newSource := func() *auth.Source {
		return auth.NewSource(tg.grant, auth.WithStore(auth.NewFileStore(path)), auth.WithHTTPClient(hc))
	}
	src := newSource()

	step(out, "1. First token: the password grant")
	tok, err := src.TokenContext(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    %s token valid for %s, refresh token included: %t\n",
		tok.TokenType, time.Until(tok.Expiry).Round(time.Second), tok.RefreshToken != "")

	step(out, "2. Asking again: the token is reused, as Mindbaz asks")
	again, err := src.TokenContext(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    same token: %t, token requests so far: %d\n", again.AccessToken == tok.AccessToken, tracer.count())

	step(out, "3. Renewal through the single-use refresh token")
	if tg.fake != nil {
		wait := time.Until(tok.Expiry)
		fmt.Fprintf(out, "    waiting %s for the token to expire...\n", wait.Round(100*time.Millisecond))
		time.Sleep(wait)
	} else { // a real token lives 20 minutes: do what a 401 Unauthorized does
		fmt.Fprintln(out, "    telling the Source the token was refused, as after a 401 Unauthorized")
		src.Invalidate(tok)
	}
	renewed, err := src.TokenContext(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    new access token: %t, refresh token rotated: %t\n",
		renewed.AccessToken != tok.AccessToken, renewed.RefreshToken != tok.RefreshToken)

	step(out, "4. Persistence: a restarted program continues from the token file")
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	before := tracer.count()
	restarted := newSource()
	loaded, err := restarted.TokenContext(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    token file mode %v; the new Source uses the saved token: %t, with no token request: %t\n",
		fi.Mode().Perm(), loaded.AccessToken == renewed.AccessToken, tracer.count() == before)

	step(out, "5. An authenticated API call")
	if tg.apiURL == "" {
		fmt.Fprintln(out, "    MINDBAZ_API_URL is not set: skipped")
	} else if err := callAPI(ctx, out, tg.apiURL, restarted); err != nil {
		return err
	}

	if tg.fake != nil {
		st := tg.fake.Stats()
		fmt.Fprintf(out, "\nThe fake saw %d password and %d refresh_token requests; spent refresh tokens presented again: %d.\n",
			st.TokenRequestsByGrant["password"], st.TokenRequestsByGrant["refresh_token"], st.SpentRefreshReuse)
	}
	return nil
}

// pickTarget chooses Mindbaz when its credentials are set, else the fake.
func pickTarget(out io.Writer, getenv func(string) string) (target, error) {
	user, pass := getenv("MINDBAZ_USERNAME"), getenv("MINDBAZ_PASSWORD")
	switch {
	case user != "" && pass != "":
		g := auth.Mindbaz(user, pass)
		if u := getenv("MINDBAZ_TOKEN_URL"); u != "" {
			g.TokenURL = u
		}
		fmt.Fprintf(out, "Logging in to Mindbaz as %s at %s\n", user, g.TokenURL)
		return target{grant: g, apiURL: getenv("MINDBAZ_API_URL")}, nil
	case user != "" || pass != "":
		return target{}, errors.New("set both MINDBAZ_USERNAME and MINDBAZ_PASSWORD, or neither to use the in-process fake")
	}
	fake := mindpeekertest.NewServer(mindpeekertest.WithSeedData(), mindpeekertest.WithTokenLifetime(fakeLifetime))
	fmt.Fprintf(out, "No MINDBAZ_USERNAME/MINDBAZ_PASSWORD set: using the in-process fake API (mindpeekertest) at %s.\n", fake.URL)
	fmt.Fprintf(out, "It logs in as Mindbaz does (password grant, public client, single-use rotating refresh tokens); its tokens live %s.\n", fakeLifetime)
	g := auth.Password{TokenURL: fake.TokenURL(), ClientID: mindpeekertest.PublicClientID,
		Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword}
	return target{grant: g, apiURL: fake.APIURL() + "/sessions", fake: fake}, nil
}

// callAPI GETs apiURL with the Source's token through a client.Client: the
// token goes to apiURL's origin only, a 401 renews it and retries once, a 429
// waits out Retry-After, a 5xx is retried, and a failure is a *client.APIError.
func callAPI(ctx context.Context, out io.Writer, apiURL string, src *auth.Source) error {
	u, err := url.Parse(apiURL)
	if err != nil {
		return err
	}
	c, err := client.New(client.Config{BaseURL: u.Scheme + "://" + u.Host, TokenSource: src})
	if err != nil {
		return err
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	resp, err := c.Do(ctx, http.MethodGet, u.RequestURI(), nil, &page)
	if err != nil {
		return err // a *client.APIError for a failure answer: status, code, message
	}
	fmt.Fprintf(out, "    GET %s -> %d %s (%d items), attempts: %d\n",
		apiURL, resp.StatusCode, http.StatusText(resp.StatusCode), len(page.Data), resp.Attempts)
	return nil
}

func step(out io.Writer, title string) { fmt.Fprintf(out, "\n%s\n", title) }

// tokenTracer is the token endpoint's transport: it prints each token request's
// grant type and answer, and nothing of its body otherwise.
type tokenTracer struct {
	out  io.Writer
	base http.RoundTripper
	n    atomic.Int64
}

func (t *tokenTracer) RoundTrip(req *http.Request) (*http.Response, error) {
	grant := "?"
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			grant = grantType(body)
		}
	}
	resp, err := t.base.RoundTrip(req)
	t.n.Add(1)
	status := "error"
	if err == nil {
		status = resp.Status
	}
	fmt.Fprintf(t.out, "    -> POST %s grant_type=%s: %s\n", req.URL.Redacted(), grant, status)
	return resp, err
}

func (t *tokenTracer) count() int64 { return t.n.Load() }

// grantType reads the grant_type of a form-encoded token request body.
func grantType(body io.ReadCloser) string {
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 1<<16))
	if err != nil {
		return "?"
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return "?"
	}
	return form.Get("grant_type")
}
