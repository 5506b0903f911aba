// Command apikey-rotation rotates every API key older than N days and prints
// each new key once, on stdout, for the caller to store: the kind of script a
// scheduler runs.
//
//	go run ./examples/apikey-rotation -older-than 90
//
// With no MINDPEEKER_* credentials set it starts the in-process fake API with a
// few keys of different ages and says so (on stderr); with them set it rotates
// the real account's keys (add -dry-run to only list what it would rotate).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func main() {
	olderThan := flag.Int("older-than", 90, "rotate keys created more than this many days ago")
	dryRun := flag.Bool("dry-run", false, "list the keys that would be rotated, rotate nothing")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, os.Stderr, time.Duration(*olderThan)*24*time.Hour, *dryRun); err != nil {
		fmt.Fprintln(os.Stderr, "apikey-rotation:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stdout, stderr io.Writer, maxAge time.Duration, dryRun bool) error {
	cfg := client.ConfigFromEnv()
	if cfg.ClientID == "" && cfg.APIKey == "" {
		fake := startFake()
		defer fake.Close()
		cfg.BaseURL, cfg.TokenURL = fake.APIURL(), fake.TokenURL()
		cfg.ClientID, cfg.ClientSecret = mindpeekertest.DefaultClientID, mindpeekertest.DefaultClientSecret
		fmt.Fprintf(stderr, "No MINDPEEKER_* credentials set: using the in-process fake API at %s\n", fake.URL)
	}
	c, err := client.New(cfg)
	if err != nil {
		return err
	}

	// Collect first, rotate after: rotating while paging would page through
	// the keys it creates.
	var due []*apikeys.APIKey
	cutoff := time.Now().Add(-maxAge)
	for k, err := range c.APIKeys.List(ctx, &apikeys.ListParams{Limit: 100}) {
		if err != nil {
			return err
		}
		expired := k.ExpiresAt != nil && !k.ExpiresAt.After(time.Now())
		if k.RevokedAt == nil && !expired && k.CreatedAt.Before(cutoff) { // an expired key cannot be rotated (409)
			due = append(due, k)
		}
	}
	fmt.Fprintf(stderr, "%d key(s) older than %d days\n", len(due), int(maxAge.Hours()/24))
	for _, old := range due {
		if dryRun {
			fmt.Fprintf(stderr, "would rotate %s (%s, created %s)\n", old.ID, old.Name, old.CreatedAt.Format(time.DateOnly))
			continue
		}
		k, err := rotate(ctx, c, old.ID)
		if err != nil {
			return fmt.Errorf("rotating %s (%s): %w", old.ID, old.Name, err)
		}
		// The new key, printed once: the API never shows it again.
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", k.ID, k.Name, k.Key)
		fmt.Fprintf(stderr, "rotated %s -> %s (%s); the old key is revoked\n", old.ID, k.ID, k.Name)
	}
	return nil
}

// rotate rotates id; when the answer was lost even after the SDK's retries, it
// asks once more with the same Idempotency-Key, which returns the key the server
// already made instead of rotating again: a lost key would lock the caller out.
func rotate(ctx context.Context, c *client.Client, id string) (*apikeys.APIKey, error) {
	k, err := c.APIKeys.Rotate(ctx, id)
	var unconfirmed *client.UnconfirmedError
	if errors.As(err, &unconfirmed) {
		return c.APIKeys.Rotate(client.WithIdempotencyKey(ctx, unconfirmed.IdempotencyKey), id)
	}
	return k, err
}

// startFake starts mindpeekertest with keys created 200, 120 and 10 days ago.
func startFake() *mindpeekertest.Server {
	var ago atomic.Int64
	fake := mindpeekertest.NewServer(mindpeekertest.WithClock(func() time.Time {
		return time.Now().Add(-time.Duration(ago.Load()))
	}))
	for _, k := range []struct {
		name string
		age  time.Duration
	}{{"deploy-bot", 200 * 24 * time.Hour}, {"nightly-export", 120 * 24 * time.Hour}, {"new-dashboard", 10 * 24 * time.Hour}} {
		ago.Store(int64(k.age))
		fake.CreateAPIKey(k.name, client.ScopeRemoteViewingRead)
	}
	ago.Store(0)
	return fake
}
