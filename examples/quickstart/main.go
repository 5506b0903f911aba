// Command quickstart shows the MindPeeker SDK at work: it lists sessions,
// creates one, and creates and rotates an API key, narrating what the SDK does
// on the way (token fetched and renewed, a 429 waited out).
//
// With no MINDPEEKER_* variables set it starts the in-process fake API
// (mindpeekertest) and says so; with MINDPEEKER_CLIENT_ID and
// MINDPEEKER_CLIENT_SECRET (or MINDPEEKER_API_KEY) set it talks to the real API.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg := client.ConfigFromEnv()
	var fake *mindpeekertest.Server
	if cfg.ClientID == "" && cfg.APIKey == "" {
		fake = mindpeekertest.NewServer(mindpeekertest.WithSeedData(), mindpeekertest.WithTokenLifetime(2*time.Second))
		defer fake.Close()
		cfg.BaseURL, cfg.TokenURL = fake.APIURL(), fake.TokenURL()
		cfg.ClientID, cfg.ClientSecret = mindpeekertest.DefaultClientID, mindpeekertest.DefaultClientSecret
		fmt.Printf("No MINDPEEKER_* credentials set: using the in-process fake API (mindpeekertest) at %s\n", fake.URL)
		fmt.Println("(tokens live 2s here, so you can watch them being renewed)")
	}
	cfg.Scopes = []string{client.ScopeRemoteViewingRead, client.ScopeRemoteViewingWrite}
	cfg.Logger = slog.New(&narrator{})
	c, err := client.New(cfg)
	if err != nil {
		return err
	}

	step("Listing sessions (pages are fetched lazily)")
	for s, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 2}) {
		if err != nil {
			return err
		}
		fmt.Printf("    %s  %-10s %s\n", s.ID, s.Status, s.Title)
	}

	step("Creating a session")
	if fake != nil {
		fake.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 429, RetryAfter: "1", Target: "POST /v1/sessions"})
		fmt.Println("    (the fake will answer 429 once, with Retry-After: 1)")
	}
	s, err := c.Sessions.Create(ctx, &sessions.CreateParams{Title: "Quickstart target", Notes: "created by the quickstart"})
	if err != nil {
		return err
	}
	fmt.Printf("    created %s (%s)\n", s.ID, s.Status)

	step("Creating and rotating an API key")
	k, err := c.APIKeys.Create(ctx, &apikeys.CreateParams{Name: "quickstart", Scopes: []string{client.ScopeRemoteViewingRead}})
	if err != nil {
		return err
	}
	fmt.Printf("    created %s, key %s (shown once by the API; masked here)\n", k.ID, k.MaskedKey())
	rotated, err := c.APIKeys.Rotate(ctx, k.ID)
	if err != nil {
		return err
	}
	fmt.Printf("    rotated to %s, key %s; %s is revoked\n", rotated.ID, rotated.MaskedKey(), k.ID)
	n := 0
	for _, err := range c.APIKeys.List(ctx, nil) {
		if err != nil {
			return err
		}
		n++
	}
	fmt.Printf("    %d API keys listed\n", n)

	if fake != nil {
		step("Waiting 1.6s: the token is renewed in the background before it expires")
		time.Sleep(1600 * time.Millisecond)
		if _, err := c.Sessions.Get(ctx, s.ID); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond) // let the background renewal report
		st := fake.Stats()
		fmt.Printf("\nThe fake saw %d API requests and %d token requests.\n", st.APIRequests, st.TokenRequests)
	} else { // leave the real account as it was
		if err := c.APIKeys.Revoke(ctx, rotated.ID); err != nil {
			return err
		}
		if err := c.Sessions.Delete(ctx, s.ID); err != nil {
			return err
		}
	}
	return nil
}

func step(title string) { fmt.Printf("\n%s\n", title) }
