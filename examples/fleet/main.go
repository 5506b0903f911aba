// Command fleet shows the replicas of a service sharing one token through Redis
// (package auth/redisstore). Four workers, each with its own auth.Source and
// its own redisstore.Store over one Redis, call an in-process fake MindPeeker API
// (mindpeekertest) whose access tokens live 2 seconds and whose refresh tokens
// are single-use, as a strict server's are. The fleet logs in once, then makes
// one refresh request per renewal whichever worker renews; the others adopt the
// new token from Redis.
//
//	go run ./examples/fleet                                                 # starts its own redis-server
//	MINDPEEKER_REDIS_URL=redis://127.0.0.1:6379/0 go run ./examples/fleet   # uses that Redis
//
// Without MINDPEEKER_REDIS_URL it starts redis-server (it must be installed) on
// a free port of 127.0.0.1, keeping nothing on disk, and stops it on exit;
// without either it says how to get one and exits 1.
package main

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

const (
	workers  = 4
	runFor   = 7 * time.Second
	lifetime = 2 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) // so that an own redis-server is stopped
	err := run(ctx, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	redisURL := os.Getenv("MINDPEEKER_REDIS_URL")
	if redisURL == "" {
		own, err := startRedis(ctx)
		if err != nil {
			return err
		}
		defer own.stop()
		redisURL = "redis://" + own.addr + "/0"
		fmt.Fprintf(out, "MINDPEEKER_REDIS_URL is not set: started redis-server on %s for this run.\n", own.addr)
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return errors.New("MINDPEEKER_REDIS_URL is not a redis:// or rediss:// URL") // the URL may hold a password
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		return fmt.Errorf("cannot reach Redis at %s: %w", opts.Addr, err)
	}

	fake := mindpeekertest.NewServer(mindpeekertest.WithTokenLifetime(lifetime)) // strict, single-use refresh tokens
	defer fake.Close()

	// Every replica needs the same encryption key; a real fleet reads it from
	// its secret manager. A fresh key and name keep this run apart from others.
	key := make([]byte, redisstore.KeySize)
	if _, err := crand.Read(key); err != nil {
		return err
	}
	storeOpts := redisstore.Options{
		Namespace:      "mindpeeker-examples",
		Key:            "fleet/" + strings.ToLower(crand.Text()[:10]),
		EncryptionKeys: [][]byte{key},
		LockTTL:        5 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	fmt.Fprintf(out, "%d workers share one token in Redis at %s (key %s); tokens live %s.\n\n",
		workers, opts.Addr, storeOpts.Key, lifetime)

	f := &fleet{out: out, start: time.Now(), generation: map[string]int{}}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		st, err := redisstore.New(rdb, storeOpts)
		if err != nil {
			return err
		}
		wg.Go(func() { errs[w] = f.worker(ctx, w+1, st, fake) })
	}
	wg.Wait()
	cleanup, err := redisstore.New(rdb, storeOpts)
	if err == nil {
		err = cleanup.Delete(ctx)
	}
	if err != nil {
		return fmt.Errorf("deleting the example's token: %w", err)
	}

	s := fake.Stats()
	fmt.Fprintf(out, "\nrenewals:        %d (tokens after the first)\n", len(f.generation)-1)
	fmt.Fprintf(out, "token requests:  %d (password %d, refresh_token %d)\n",
		s.TokenRequests, s.TokenRequestsByGrant["password"], s.TokenRequestsByGrant["refresh_token"])
	fmt.Fprintf(out, "refresh tokens presented twice: %d\n", s.SpentRefreshReuse)
	fmt.Fprintf(out, "API calls:       %d, failed: %d\n", f.calls, f.failed)
	fmt.Fprintf(out, "Without the shared store, each worker would log in and refresh on its own: about %d token requests.\n",
		workers*(1+int(runFor/(lifetime*3/4))))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if f.failed > 0 || s.SpentRefreshReuse > 0 {
		return errors.New("the fleet did not share its token cleanly")
	}
	return rateLimitDemo(ctx, out, rdb)
}

// fleet records what the workers see.
type fleet struct {
	out   io.Writer
	start time.Time

	mu            sync.Mutex
	generation    map[string]int // access token -> its number, in order of first use
	calls, failed int
}

// worker is one replica: its own Source and Store, calling GET /v1/sessions.
func (f *fleet) worker(ctx context.Context, id int, st *redisstore.Store, fake *mindpeekertest.Server) error {
	src := auth.NewSource(auth.Password{
		TokenURL: fake.TokenURL(),
		ClientID: mindpeekertest.PublicClientID,
		Username: mindpeekertest.DefaultUsername,
		Password: mindpeekertest.DefaultPassword,
	}, auth.WithStore(st))
	c, err := client.New(client.Config{BaseURL: fake.APIURL(), TokenSource: src})
	if err != nil {
		return err
	}
	current := ""
	for time.Since(f.start) < runFor {
		err := get(ctx, c)
		tok, tokErr := src.TokenContext(ctx)
		f.mu.Lock()
		f.calls++
		if err != nil {
			f.failed++
			fmt.Fprintf(f.out, "%6.2fs  worker %d: call failed: %v\n", time.Since(f.start).Seconds(), id, err)
		}
		if tokErr == nil && tok.AccessToken != current {
			current = tok.AccessToken
			n, seen := f.generation[current]
			if !seen {
				n = len(f.generation) + 1
				f.generation[current] = n
			}
			verb := "adopted"
			if !seen {
				verb = "first to use"
			}
			fmt.Fprintf(f.out, "%6.2fs  worker %d: %s token #%d\n", time.Since(f.start).Seconds(), id, verb, n)
		}
		f.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// get lists sessions through the client: the engine renews after a 401 and
// waits out a 429, as for any call.
func get(ctx context.Context, c *client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := c.Do(ctx, http.MethodGet, "/sessions", nil, nil)
	return err
}
