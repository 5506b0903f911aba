// Command mindtouch calls the MindTouch (CXone Expert) API with a server API
// token through a client.Client (Config.Credential), which signs every
// request, every retry included, afresh with package auth/mindtouch. A 401 is
// final for such a credential (a signature has nothing to renew); 429s and
// 5xx are retried, and errors are *client.APIError with MindTouch's message.
//
// With no credentials it starts an in-process fake MindTouch site that checks
// the signatures, and runs against it on a simulated clock:
//
//	go run ./examples/mindtouch
//
// Against a real site, set all of:
//
//	MINDTOUCH_SITE_URL  https://yoursite.mindtouch.us
//	MINDTOUCH_KEY       the server API token's key
//	MINDTOUCH_SECRET    the server API token's secret (never sent, never printed)
//	MINDTOUCH_USER      the user to act as: a numeric user id ("2") or "=username"
//
// It then asks GET /@api/deki/users/current and /@api/deki/pages/home/info.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/mindtouch"
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
	site, key, secret, user := getenv("MINDTOUCH_SITE_URL"), getenv("MINDTOUCH_KEY"), getenv("MINDTOUCH_SECRET"), getenv("MINDTOUCH_USER")
	if site == "" && key == "" && secret == "" && user == "" {
		return runFake(ctx, out)
	}
	if site == "" || key == "" || secret == "" || user == "" {
		return errors.New("set all of MINDTOUCH_SITE_URL, MINDTOUCH_KEY, MINDTOUCH_SECRET and MINDTOUCH_USER, or none to use the fake site")
	}
	return runReal(ctx, out, strings.TrimRight(site, "/"), mindtouch.ServerToken{Key: key, Secret: secret, User: user})
}

// runReal makes two signed requests to a real site.
func runReal(ctx context.Context, out io.Writer, site string, tok mindtouch.ServerToken) error {
	c, err := newClient(site, tok, http.DefaultTransport)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Using the MindTouch site %s as %s (key %s)\n", site, tok.User, tok.Key)
	for _, path := range []string{"/@api/deki/users/current", "/@api/deki/pages/home/info"} {
		status, body, err := get(ctx, c, strings.TrimPrefix(path, apiPath)+"?dream.out.format=json")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "GET %s (freshly signed) -> %s\n  %s\n", path, status, excerpt(body, 300))
	}
	return nil
}

// runFake runs against the in-process fake on a simulated clock.
func runFake(ctx context.Context, out io.Writer) error {
	clock := &simClock{t: time.Now()}
	tok := mindtouch.ServerToken{Key: "demo-key", Secret: rand.Text(), User: "=jane@example.com"}
	fake := newFakeSite(clock.Now, tok.Key, tok.Secret)
	defer fake.Close()
	fmt.Fprintf(out, "No MINDTOUCH_* credentials set: using an in-process fake MindTouch site at %s\n", fake.URL())
	fmt.Fprintf(out, "Signing as %s with key %q on a simulated clock; the secret is never sent.\n\n", tok.User, tok.Key)

	rec := &recorder{next: http.DefaultTransport} // below the signer: sees what goes out
	c, err := newClient(fake.URL(), tok.WithClock(clock.Now), rec)
	if err != nil {
		return err
	}
	var first string
	var firstEpoch int64
	for i := range 3 {
		status, body, err := get(ctx, c, "/pages/home/info")
		if err != nil {
			return err
		}
		sent := rec.Last()
		_, epoch, user, _, err := mindtouch.ParseToken(sent)
		if err != nil {
			return fmt.Errorf("the transport sent no valid token: %w", err)
		}
		if i == 0 {
			first, firstEpoch = sent, epoch
		}
		fmt.Fprintf(out, "request %d at %s: X-Deki-Token signed at epoch %d for user %s -> %s %s\n",
			i+1, clock.Now().Format(time.TimeOnly), epoch, user, status, excerpt(body, 60))
		clock.Advance(2 * time.Minute)
	}

	// Why every request is signed: a header reused later is refused.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fake.URL()+"/@api/deki/users/current", nil)
	if err != nil {
		return err
	}
	req.Header.Set(mindtouch.HeaderName, first)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	refused := fake.Refused()
	if resp.StatusCode != http.StatusUnauthorized || len(refused) != 1 {
		return fmt.Errorf("the fake accepted a stale signature (HTTP %d)", resp.StatusCode)
	}
	fmt.Fprintf(out, "\nreplaying request 1's header %s later -> %s (%s)\n",
		clock.Now().Sub(time.Unix(firstEpoch, 0)).Round(time.Minute), resp.Status, refused[0])

	status, body, err := get(ctx, c, "/users/current")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the same call through the client, signed now -> %s %s\n", status, excerpt(body, 80))
	return nil
}

// apiPath is where a MindTouch site serves its API.
const apiPath = "/@api/deki"

// newClient returns a client for the API of site that signs each request with
// cred, sending it over rt.
func newClient(site string, cred auth.HeaderCredential, rt http.RoundTripper) (*client.Client, error) {
	return client.New(client.Config{BaseURL: site + apiPath, Credential: cred,
		HTTPClient: &http.Client{Transport: rt, Timeout: 30 * time.Second}})
}

// get sends GET path (under the API) and returns the answer's status and
// body; a failure answer is a *client.APIError carrying MindTouch's message.
func get(ctx context.Context, c *client.Client, path string) (status string, body []byte, err error) {
	var raw json.RawMessage
	resp, err := c.Do(ctx, http.MethodGet, path, nil, &raw)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), raw, nil
}

// excerpt is the server's text fit for the terminal: cleaned and cut to n runes.
func excerpt(b []byte, n int) string { return auth.Excerpt(string(b), n) }

// recorder remembers the X-Deki-Token of the last request it carried, to show
// what the signing transport sent.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	last string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.last = req.Header.Get(mindtouch.HeaderName)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// Last returns the X-Deki-Token of the last request ("" when it had none).
func (r *recorder) Last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// simClock is a clock the program advances by hand.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
