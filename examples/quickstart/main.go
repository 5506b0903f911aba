// Command quickstart shows the MindPeeker SDK at work: it lists sessions,
// creates one, and creates and rotates an API key, narrating what the SDK does
// on the way (token fetched and renewed, a 429 waited out).
//
// With no MINDPEEKER_* credentials set it starts the in-process fake API
// (mindpeekertest) and says so. With MINDPEEKER_CLIENT_ID and
// MINDPEEKER_CLIENT_SECRET (or MINDPEEKER_API_KEY) set it talks to the real
// API (or MINDPEEKER_BASE_URL): it says where, lists at most the first
// sessions and API keys, and writes nothing unless run with -write; then it
// creates one session and one API key, rotates that key, and revokes and
// deletes what it created, and nothing else.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -write   # against a real API: also create, rotate, clean up
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// realListMax bounds what is listed from a real account.
const realListMax = 10

func main() {
	write := flag.Bool("write", false, "against a real API: also create a session and an API key, rotate the key, then delete both")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *write); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, write bool) (err error) {
	cfg := client.ConfigFromEnv()
	var fake *mindpeekertest.Server
	listMax := -1 // everything, two at a time, on the fake
	if cfg.ClientID == "" && cfg.APIKey == "" {
		fake = mindpeekertest.NewServer(mindpeekertest.WithSeedData(), mindpeekertest.WithTokenLifetime(2*time.Second))
		defer fake.Close()
		cfg.BaseURL, cfg.TokenURL = fake.APIURL(), fake.TokenURL()
		cfg.ClientID, cfg.ClientSecret = mindpeekertest.DefaultClientID, mindpeekertest.DefaultClientSecret
		fmt.Fprintf(out, "No MINDPEEKER_* credentials set: using the in-process fake API (mindpeekertest) at %s\n", fake.URL)
		fmt.Fprintln(out, "(tokens live 2s here, so you can watch them being renewed)")
		write = true
	} else {
		listMax = realListMax
		describeReal(out, cfg, write)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{client.ScopeRemoteViewingRead}
		if write {
			cfg.Scopes = append(cfg.Scopes, client.ScopeRemoteViewingWrite)
		}
		if write && fake == nil {
			cfg.Scopes = append(cfg.Scopes, client.ScopeRemoteViewingDelete) // for the clean-up
		}
	}
	cfg.Logger = slog.New(&narrator{out: out})
	c, err := client.New(cfg)
	if err != nil {
		return err
	}

	if fake != nil {
		step(out, "Listing sessions (pages of two, fetched lazily)")
	} else {
		step(out, fmt.Sprintf("Listing the first %d sessions", listMax))
	}
	if err := listSessions(ctx, out, c, listMax); err != nil {
		return err
	}
	if !write {
		return nil
	}

	// Against a real API, undo what this run created, whatever happens next.
	var undo []func() error
	if fake == nil {
		defer func() {
			for i := len(undo) - 1; i >= 0; i-- {
				err = errors.Join(err, undo[i]())
			}
		}()
	}

	step(out, "Creating a session")
	if fake != nil {
		fake.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 429, RetryAfter: "1", Target: "POST /v1/sessions"})
		fmt.Fprintln(out, "    (the fake will answer 429 once, with Retry-After: 1)")
	}
	s, err := c.Sessions.Create(ctx, &sessions.CreateParams{Title: "Quickstart target", Notes: "created by the quickstart"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    created %s (%s)\n", s.ID, s.Status)
	undo = append(undo, func() error {
		fmt.Fprintf(out, "    deleting the session %s it created\n", s.ID)
		return c.Sessions.Delete(ctx, s.ID)
	})

	step(out, "Creating and rotating an API key")
	k, err := c.APIKeys.Create(ctx, &apikeys.CreateParams{Name: "quickstart", Scopes: []string{client.ScopeRemoteViewingRead}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "    created %s, key %s (shown once by the API; masked here)\n", k.ID, k.MaskedKey())
	live := k.ID // the key to revoke at the end
	undo = append(undo, func() error {
		fmt.Fprintf(out, "    revoking the API key %s it created\n", live)
		return c.APIKeys.Revoke(ctx, live)
	})
	rotated, err := c.APIKeys.Rotate(ctx, k.ID)
	if err != nil {
		return err
	}
	live = rotated.ID
	fmt.Fprintf(out, "    rotated to %s, key %s; %s is revoked\n", rotated.ID, rotated.MaskedKey(), k.ID)
	if err := countKeys(ctx, out, c, listMax); err != nil {
		return err
	}

	if fake != nil {
		step(out, "Waiting 1.6s: the token is renewed in the background before it expires")
		time.Sleep(1600 * time.Millisecond)
		if _, err := c.Sessions.Get(ctx, s.ID); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond) // let the background renewal report
		st := fake.Stats()
		fmt.Fprintf(out, "\nThe fake saw %d API requests and %d token requests.\n", st.APIRequests, st.TokenRequests)
	} else {
		step(out, "Cleaning up: only what this run created")
	}
	return nil
}

// describeReal says where the quickstart talks and what it will do there.
func describeReal(out io.Writer, cfg client.Config, write bool) {
	base := cfg.BaseURL
	if base == "" {
		base = client.DefaultBaseURL
	}
	cred := "the client credentials in MINDPEEKER_CLIENT_ID"
	if cfg.APIKey != "" {
		cred = "the API key in MINDPEEKER_API_KEY"
	}
	fmt.Fprintf(out, "Talking to the MindPeeker API at %s with %s.\n", base, cred)
	if cfg.APIKey == "" {
		tokenURL := cfg.TokenURL
		if tokenURL == "" {
			tokenURL = client.DefaultTokenURL
		}
		fmt.Fprintf(out, "Tokens come from %s.\n", tokenURL)
	}
	if write {
		fmt.Fprintln(out, "-write: it creates one session and one API key, rotates that key, then deletes and revokes both.")
	} else {
		fmt.Fprintln(out, "It only reads. Run it with -write to also create a session and an API key, rotate the key,")
		fmt.Fprintln(out, "and delete both at the end (nothing else in the account is touched).")
	}
}

// listSessions prints the sessions, at most max of them (max < 0: all).
func listSessions(ctx context.Context, out io.Writer, c *client.Client, max int) error {
	params := &sessions.ListParams{Limit: 2}
	if max >= 0 {
		params.Limit = max + 1 // one page, which also tells whether there are more
	}
	n := 0
	for s, err := range c.Sessions.List(ctx, params) {
		if err != nil {
			return err
		}
		if n == max {
			fmt.Fprintf(out, "    (more not shown)\n")
			break
		}
		n++
		fmt.Fprintf(out, "    %s  %-10s %s\n", s.ID, s.Status, s.Title)
	}
	return nil
}

// countKeys prints how many API keys there are, counting at most max (max < 0: all).
func countKeys(ctx context.Context, out io.Writer, c *client.Client, max int) error {
	var params *apikeys.ListParams
	if max >= 0 {
		params = &apikeys.ListParams{Limit: max + 1}
	}
	n := 0
	for _, err := range c.APIKeys.List(ctx, params) {
		if err != nil {
			return err
		}
		if n == max {
			fmt.Fprintf(out, "    more than %d API keys\n", max)
			return nil
		}
		n++
	}
	fmt.Fprintf(out, "    %d API keys listed\n", n)
	return nil
}

func step(out io.Writer, title string) { fmt.Fprintf(out, "\n%s\n", title) }
