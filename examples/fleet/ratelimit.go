package main

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// The rate-limit part: the fake answers one request 429 with Retry-After: 2,
// once the workers have been calling for a while.
const (
	limitAfter  = 500 * time.Millisecond
	limitWindow = 2 * time.Second
	limitRunFor = 3500 * time.Millisecond
)

// rateLimitDemo runs the workers twice against a fake that answers one
// request 429 with Retry-After: 2, first each on its own, then sharing a
// redisstore.RateGate, and prints how many requests the fleet sent into the
// 2-second window each time.
func rateLimitDemo(ctx context.Context, out io.Writer, rdb redis.UniversalClient) error {
	fmt.Fprintf(out, "\nOne call of %d workers (a client.Client each) answered 429 with Retry-After: 2.\n", workers)
	fmt.Fprintf(out, "Requests the fleet sent into that %s window:\n", limitWindow)
	for _, shared := range []bool{false, true} {
		w, err := runLimited(ctx, rdb, shared)
		if err != nil {
			return err
		}
		if w.failed > 0 {
			return fmt.Errorf("%d calls failed", w.failed)
		}
		if shared {
			fmt.Fprintf(out, "  %-31s %4d (calls already on their way when the 429 came)\n", "sharing a redisstore.RateGate:", w.into)
		} else {
			fmt.Fprintf(out, "  %-31s %4d (an API that limits them all would answer each one 429)\n", "each worker on its own:", w.into)
		}
	}
	return nil
}

// window counts the fleet's requests to the API in the first 429's window.
type window struct {
	next  http.RoundTripper
	api   string
	mu    sync.Mutex
	start time.Time // when the 429 arrived
	into  int       // requests sent after it, within limitWindow
	// failed counts calls that returned an error.
	failed int
}

func (w *window) RoundTrip(req *http.Request) (*http.Response, error) {
	isAPI := strings.HasPrefix(req.URL.String(), w.api)
	sent := time.Now()
	resp, err := w.next.RoundTrip(req)
	if !isAPI {
		return resp, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil && resp.StatusCode == http.StatusTooManyRequests && w.start.IsZero():
		w.start = time.Now()
	case !w.start.IsZero() && sent.After(w.start) && sent.Before(w.start.Add(limitWindow)):
		w.into++
	}
	return resp, err
}

// runLimited runs the workers against a fresh fake, sharing a gate or not.
func runLimited(ctx context.Context, rdb redis.UniversalClient, shared bool) (*window, error) {
	fake := mindpeekertest.NewServer()
	defer fake.Close()
	w := &window{next: http.DefaultTransport, api: fake.APIURL()}
	gateOpts := redisstore.RateGateOptions{Namespace: "mindpeeker-examples", Key: "fleet-gate/" + strings.ToLower(crand.Text()[:10])}
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		var gate auth.RateGate
		if shared { // one per worker, as each replica of a fleet has its own
			g, err := redisstore.NewRateGate(rdb, gateOpts)
			if err != nil {
				return nil, err
			}
			defer g.Stop()
			gate = g
		}
		c, err := client.New(client.Config{BaseURL: fake.APIURL(), TokenURL: fake.TokenURL(),
			ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret,
			HTTPClient: &http.Client{Transport: w}, RateGate: gate})
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			for time.Since(start) < limitRunFor {
				if _, err := c.Do(ctx, http.MethodGet, "/sessions", nil, nil); err != nil {
					w.mu.Lock()
					w.failed++
					w.mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(limitAfter)
	fake.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: "2"})
	wg.Wait()
	return w, nil
}
