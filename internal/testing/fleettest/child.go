package fleettest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// Mode is the redistest helper mode of a replica: a helper test that sees it
// decodes its [Args] and calls [RunChild].
const Mode = "fleet"

// Args is everything a replica needs to know. It travels to the helper process
// as JSON in its environment (see redistest.StartChild).
type Args struct {
	RedisAddr     string
	Namespace     string // redisstore.Options.Namespace
	Key           string // redisstore.Options.Key
	EncryptionKey []byte // redisstore.Options.EncryptionKeys[0]
	LockTTL       time.Duration

	TokenURL string // the token endpoint
	APIURL   string // an authenticated GET URL
	ClientID string // a public client allowed the password grant
	Username string
	Password string
	Duration time.Duration // how long the replica calls the API

	// BlockRefresh makes the replica's grant hang instead of refreshing, after
	// printing IN-GRANT (it holds the lock by then), as a renewer stuck on a dead
	// connection does, until the process is killed.
	BlockRefresh bool
}

// String describes a without its password.
func (a Args) String() string {
	return fmt.Sprintf("fleettest.Args{Redis: %s, Key: %s/%s, TokenURL: %s, APIURL: %s, ClientID: %s, Username: %s, Password: [redacted]}",
		a.RedisAddr, a.Namespace, a.Key, a.TokenURL, a.APIURL, a.ClientID, a.Username)
}

// GoString is String, so that %#v does not print the password either.
func (a Args) GoString() string { return a.String() }

// LogValue logs a without its password.
func (a Args) LogValue() slog.Value { return slog.StringValue(a.String()) }

// Result is what a replica reports on its RESULT line.
type Result struct {
	Calls, Failures int
	FirstError      string
	Rejected        int      // 401 answers, each retried once by auth.Transport with a renewed token
	Tokens          []string // fingerprints of the access tokens used, in order
	MinExpiresIn    int64    // shortest expires_in seen, in seconds
	FirstTokenAt    time.Time
	EndAt           time.Time
}

// Fingerprint identifies a token in a Result without revealing it: the first
// 8 bytes of its SHA-256, in hex.
func Fingerprint(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// RunChild is one replica: a Source over a redisstore, calling a.APIURL
// through auth.Transport in a loop for a.Duration, then printing its [Result]
// with redistest.PrintResult. It prints STARTED once it is ready to call.
// Call it from the helper test of the test binary, in the helper process.
func RunChild(a Args) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rdb := redis.NewClient(&redis.Options{Addr: a.RedisAddr})
	defer rdb.Close()
	st, err := redisstore.New(rdb, redisstore.Options{Namespace: a.Namespace, Key: a.Key,
		EncryptionKeys: [][]byte{a.EncryptionKey}, LockTTL: a.LockTTL, Logger: logger})
	if err != nil {
		return err
	}
	var grant auth.Grant = auth.Password{TokenURL: a.TokenURL, ClientID: a.ClientID, Username: a.Username, Password: a.Password}
	if a.BlockRefresh {
		grant = hangOnRefresh{grant}
	}
	src := auth.NewSource(grant, auth.WithStore(st), auth.WithLogger(logger))
	counter := &rejectCounter{base: http.DefaultTransport}
	tr, err := auth.NewTransport(counter, a.APIURL, src)
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	fmt.Println("STARTED")

	var res Result
	end := time.Now().Add(a.Duration)
	for time.Now().Before(end) {
		res.Calls++
		if err := Get(hc, a.APIURL); err != nil {
			res.Failures++
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
		} else if res.FirstTokenAt.IsZero() {
			res.FirstTokenAt = time.Now()
		}
		if tok, err := src.TokenContext(context.Background()); err == nil {
			if fp := Fingerprint(tok.AccessToken); !slices.Contains(res.Tokens, fp) {
				res.Tokens = append(res.Tokens, fp)
			}
			if res.MinExpiresIn == 0 || tok.ExpiresIn < res.MinExpiresIn {
				res.MinExpiresIn = tok.ExpiresIn
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	res.EndAt, res.Rejected = time.Now(), int(counter.rejected.Load())
	return redistest.PrintResult(res)
}

// Get makes one GET of url with hc, reading at most 1 MiB of the answer;
// anything but a 200 is an error.
func Get(hc *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET answered %s", resp.Status)
	}
	return nil
}

// rejectCounter counts the 401 answers that pass through it.
type rejectCounter struct {
	base     http.RoundTripper
	rejected atomic.Int64
}

func (c *rejectCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		c.rejected.Add(1)
	}
	return resp, err
}

// hangOnRefresh is a grant whose refreshes hang, as a renewer stuck on a dead
// connection does, until the process is killed.
type hangOnRefresh struct{ auth.Grant }

func (g hangOnRefresh) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	if prev == nil || prev.RefreshToken == "" {
		return g.Grant.Token(ctx, prev)
	}
	fmt.Println("IN-GRANT")
	<-ctx.Done()
	return nil, ctx.Err()
}
