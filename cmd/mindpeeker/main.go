// Command mindpeeker calls the MindPeeker API from the shell: sessions,
// API keys, a browser login, and a local fake server for development.
//
//	mindpeeker sessions list [--limit N]
//	mindpeeker sessions get|delete ID
//	mindpeeker sessions create --title T [--target-id X] [--notes N] [--idempotency-key K]
//	mindpeeker apikeys list
//	mindpeeker apikeys get|revoke ID
//	mindpeeker apikeys rotate ID [--idempotency-key K]
//	mindpeeker apikeys create --name N --scope S [--scope S ...] [--expires-in 90d | --expires-at RFC3339] [--idempotency-key K]
//	mindpeeker auth login|token|logout
//	mindpeeker fake-server [--addr 127.0.0.1:8080]
//
// Global flags: -o/--output table|json, --base-url, --token-url, --verbose.
// Credentials come from MINDPEEKER_CLIENT_ID with MINDPEEKER_CLIENT_SECRET, or
// MINDPEEKER_API_KEY, or the stored login of 'mindpeeker auth login', the first
// set winning (the SDK's client.ConfigFromLookup rule).
//
// Exit codes: 0 success, 1 API or network error, 2 usage error,
// 3 authentication or permission failure. Run 'mindpeeker help' for more.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mindpeeker/mindpeeker-go/cmd/mindpeeker/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling, so that a
		// second Ctrl-C kills a command that is slow to stop.
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
