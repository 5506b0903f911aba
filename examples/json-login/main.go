// Command json-login logs in to a service with JSON login (POST /authenticate,
// POST /refresh) through package auth/jsonlogin, calls the service's API with
// a client.Client (Do), and shows the token being renewed.
//
// With no credentials it starts the in-process fake service (package
// jsonlogintest), registers a user, and runs on a simulated clock so that two
// hours pass in an instant:
//
//	go run ./examples/json-login
//
// Against a real service, set all of:
//
//	JSONLOGIN_BASE_URL     e.g. https://auth.example.com (https, or http to localhost)
//	JSONLOGIN_USER_KEY     the user_key that /register returned
//	JSONLOGIN_USER_SECRET  the user_secret (never printed)
//
// It then authenticates once and refreshes once. No token is ever printed.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin"
	"github.com/mindpeeker/mindpeeker-go/auth/jsonlogin/jsonlogintest"
	"github.com/mindpeeker/mindpeeker-go/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	base, key, secret := getenv("JSONLOGIN_BASE_URL"), getenv("JSONLOGIN_USER_KEY"), getenv("JSONLOGIN_USER_SECRET")
	switch {
	case base == "" && key == "" && secret == "":
		return runFake(ctx, out)
	case base == "" || key == "" || secret == "":
		return errors.New("set all of JSONLOGIN_BASE_URL, JSONLOGIN_USER_KEY and JSONLOGIN_USER_SECRET, or none to use the fake service")
	}
	return runReal(ctx, out, jsonlogin.Grant{BaseURL: base, UserKey: key, UserSecret: secret})
}

// runReal authenticates, then refreshes once, calling the grant directly.
func runReal(ctx context.Context, out io.Writer, g jsonlogin.Grant) error {
	g.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	fmt.Fprintf(out, "Logging in to %s as %s\n", g.BaseURL, g.UserKey)
	tok, err := g.Token(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "POST /authenticate -> access token %s, refresh token: %t\n", lifetime(tok.Expiry), tok.RefreshToken != "")
	if tok.RefreshToken == "" {
		return nil
	}
	next, err := g.Token(ctx, tok)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "POST /refresh -> new access token %s; refresh token %s\n", lifetime(next.Expiry),
		map[bool]string{true: "kept", false: "replaced"}[next.RefreshToken == tok.RefreshToken])
	return nil
}

func lifetime(exp time.Time) string {
	if exp.IsZero() {
		return "without an expiry (not a JWT): an auth.Source assumes 1h"
	}
	return "expiring at " + exp.Format(time.RFC3339) + " (JWT exp claim)"
}

// runFake shows registration, renewal through /refresh and the fallback to
// /authenticate against the fake service, on a simulated clock.
func runFake(ctx context.Context, out io.Writer) error {
	clock := &simClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := jsonlogintest.NewServer(jsonlogintest.WithClock(clock.Now))
	defer srv.Close()
	fmt.Fprintf(out, "No JSONLOGIN_* credentials set: using the in-process fake service at %s\n", srv.URL)
	fmt.Fprintf(out, "(tokens live 1 hour; a simulated clock starts at %s)\n\n", clock.Now().Format(time.TimeOnly))

	secret := rand.Text()
	key, err := jsonlogin.Register(ctx, srv.URL, "demo-user", secret)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "POST /register -> user_key %s\n", key)

	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))
	src := auth.NewSource(jsonlogin.Grant{BaseURL: srv.URL, UserKey: key, UserSecret: secret},
		auth.WithClock(clock.Now), auth.WithLogger(logger))
	// The API is called through a client.Client: the token on srv.URL's
	// origin only, a 401 renewed and retried once, 429 and 5xx retried, a
	// failure answer a *client.APIError.
	api, err := client.New(client.Config{BaseURL: srv.URL, TokenSource: src})
	if err != nil {
		return err
	}

	step := func(what string) error {
		me, err := getMe(ctx, api)
		if err != nil {
			return err
		}
		st := srv.Stats()
		fmt.Fprintf(out, "%s %s: GET /me -> user %s, token valid until %s  [/authenticate %d, /refresh %d, refused refreshes %d]\n",
			clock.Now().Format(time.TimeOnly), what, me.UserID, me.ExpiresAt.Format(time.TimeOnly),
			st.Authenticates, st.Refreshes, st.RefusedRefreshes)
		return nil
	}
	if err := step("first call"); err != nil {
		return err
	}
	clock.Advance(30 * time.Minute)
	if err := step("30 min later, cached token"); err != nil {
		return err
	}
	clock.Advance(30 * time.Minute)
	if err := step("token expired, renewed via /refresh"); err != nil {
		return err
	}
	srv.RefuseRefresh(true)
	clock.Advance(time.Hour)
	return step("refresh refused, logged in again")
}

type me struct {
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func getMe(ctx context.Context, api *client.Client) (*me, error) {
	var m me
	if _, err := api.Do(ctx, http.MethodGet, "/me", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// simClock is a clock the program advances by hand.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
