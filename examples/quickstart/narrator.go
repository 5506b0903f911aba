package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// narrator is a slog.Handler that turns the SDK's debug log into plain sentences.
type narrator struct {
	out    io.Writer
	mu     sync.Mutex
	tokens int
}

func (n *narrator) Enabled(context.Context, slog.Level) bool { return true }
func (n *narrator) WithAttrs([]slog.Attr) slog.Handler       { return n }
func (n *narrator) WithGroup(string) slog.Handler            { return n }

func (n *narrator) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
	n.mu.Lock()
	defer n.mu.Unlock()
	switch r.Message {
	case "auth: token obtained":
		n.tokens++
		verb := "fetched"
		if n.tokens > 1 {
			verb = "renewed"
		}
		fmt.Fprintf(n.out, "    sdk: access token %s (valid %s)\n", verb, attrs["expires_in"])
	case "mindpeeker: request attempt":
		line := fmt.Sprintf("    sdk: %s %s -> %s", attrs["method"], attrs["path"], attrs["status"])
		if w, ok := attrs["wait"]; ok {
			line += fmt.Sprintf(", retrying in %s", w.Duration().Round(10*time.Millisecond))
		}
		fmt.Fprintln(n.out, line)
	default:
		if r.Level >= slog.LevelWarn {
			fmt.Fprintf(n.out, "    sdk: %s\n", r.Message)
		}
	}
	return nil
}
