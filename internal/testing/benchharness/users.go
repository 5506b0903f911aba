package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// printUsers measures n per-user clients making one call each, 64 at a time:
// the connections the server accepted meanwhile, and the heap each client
// holds (made with Client.WithTokenSource from one application client, and
// made with client.New each, for comparison).
func printUsers(ctx context.Context, base string, n int) error {
	fmt.Printf("%d per-user clients, one Sessions.Get each, 64 at a time:\n\n", n)
	fmt.Println("| made with | new connections | heap per client, built | heap per client, after its call |")
	fmt.Println("|---|---:|---:|---:|")
	app, err := client.New(client.Config{BaseURL: base + "/v1", TokenURL: base + "/token", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		return err
	}
	sources := make([]oauth2.TokenSource, n) // the users' own data, not counted
	for i := range sources {
		sources[i] = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "user-" + strconv.Itoa(i)})
	}
	makers := []struct {
		name string
		make func(ts oauth2.TokenSource) (*client.Client, error)
	}{
		{"app.WithTokenSource(ts)", func(ts oauth2.TokenSource) (*client.Client, error) { return app.WithTokenSource(ts), nil }},
		{"client.New(Config{TokenSource: ts})", func(ts oauth2.TokenSource) (*client.Client, error) {
			return client.New(client.Config{BaseURL: base + "/v1", TokenSource: ts})
		}},
	}
	for _, m := range makers {
		before, err := connections(base)
		if err != nil {
			return err
		}
		heap0 := heapInUse()
		clients := make([]*client.Client, n)
		for i, ts := range sources {
			if clients[i], err = m.make(ts); err != nil {
				return err
			}
		}
		heap1 := heapInUse()
		next := make(chan *client.Client)
		go func() {
			for _, c := range clients {
				next <- c
			}
			close(next)
		}()
		if err := parallel(64, 1, func(int) error {
			for c := range next {
				if _, err := c.Sessions.Get(ctx, "ses_123"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		heap2 := heapInUse()
		after, err := connections(base)
		if err != nil {
			return err
		}
		fmt.Printf("| `%s` | %d | %.0f B | %.0f B |\n", m.name, after-before-1, float64(heap1-heap0)/float64(n), float64(heap2-heap0)/float64(n))
		runtime.KeepAlive(clients)
	}
	fmt.Println()
	fmt.Println("New connections: accepted by the server during the run (the /stats request's own excluded), starting from a cold pool;")
	fmt.Println("the second row reuses the pool the first one opened. Heap: runtime.MemStats.HeapAlloc after a GC, per client.")
	fmt.Println()
	return nil
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// connections asks the server how many connections it has accepted, over a
// connection of its own.
func connections(base string) (int64, error) {
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(base + "/stats")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
