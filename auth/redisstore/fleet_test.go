package redisstore_test

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
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/internal/oauthtest"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// fleetResult is what a fleet child reports.
type fleetResult struct {
	Calls, Failures int
	FirstError      string
	Rejected        int      // 401 answers, each retried once by auth.Transport with a renewed token
	Tokens          []string // fingerprints of the access tokens used, in order
	MinExpiresIn    int64    // shortest expires_in seen, in seconds
	FirstTokenAt    time.Time
	EndAt           time.Time
}

func fingerprint(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// childFleet is one replica: a Source over a redisstore, calling the API
// through auth.Transport in a loop for a.Duration. With a.BlockRefresh its
// grant hangs instead of refreshing, after printing IN-GRANT (it holds the lock
// by then).
func childFleet(a helperArgs) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rdb := redis.NewClient(&redis.Options{Addr: a.RedisAddr})
	defer rdb.Close()
	st, err := redisstore.New(rdb, redisstore.Options{Namespace: "test", Key: a.Key,
		EncryptionKeys: [][]byte{testKey(1)}, LockTTL: a.LockTTL, Logger: logger})
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

	var res fleetResult
	end := time.Now().Add(a.Duration)
	for time.Now().Before(end) {
		res.Calls++
		if err := get(hc, a.APIURL); err != nil {
			res.Failures++
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
		} else if res.FirstTokenAt.IsZero() {
			res.FirstTokenAt = time.Now()
		}
		if tok, err := src.TokenContext(context.Background()); err == nil {
			if fp := fingerprint(tok.AccessToken); !slices.Contains(res.Tokens, fp) {
				res.Tokens = append(res.Tokens, fp)
			}
			if res.MinExpiresIn == 0 || tok.ExpiresIn < res.MinExpiresIn {
				res.MinExpiresIn = tok.ExpiresIn
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	res.EndAt, res.Rejected = time.Now(), int(counter.rejected.Load())
	return printResult(res)
}

// get makes one GET; anything but a 200 is an error.
func get(hc *http.Client, url string) error {
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

// fleetCounts is what the authorization server saw.
type fleetCounts struct {
	Password, Refresh, Other, Failed, Reuse int
}

// runFleet runs children replicas for d against one Redis and one server, and
// checks that the fleet behaved as one client: one login, then one refresh per
// renewal, no refresh token spent twice, no failed call.
func runFleet(t *testing.T, tokenURL, apiURL, clientID string, counts func() fleetCounts) {
	const children, d = 4, 4 * time.Second
	srv := startRedis(t)
	args := helperArgs{RedisAddr: srv.Addr, Key: "fleet", LockTTL: 2 * time.Second, TokenURL: tokenURL, APIURL: apiURL,
		ClientID: clientID, Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword, Duration: d}
	var cs []*child
	for range children {
		cs = append(cs, startChild(t, "fleet", args))
	}
	results := make([]fleetResult, children)
	for i, c := range cs {
		c.result(t, &results[i], time.Minute)
	}

	seen := map[string]bool{}
	var first, last time.Time
	minLife := int64(1 << 62)
	for i, r := range results {
		assert.Zero(t, r.Failures, "child %d: %d of %d calls failed; first: %s", i, r.Failures, r.Calls, r.FirstError)
		assert.GreaterOrEqual(t, len(r.Tokens), 2, "child %d did not live through a renewal", i)
		for _, fp := range r.Tokens {
			seen[fp] = true
		}
		if first.IsZero() || r.FirstTokenAt.Before(first) {
			first = r.FirstTokenAt
		}
		if r.EndAt.After(last) {
			last = r.EndAt
		}
		minLife = min(minLife, r.MinExpiresIn)
	}
	require.Positive(t, minLife)
	got := counts()
	window := last.Sub(first)
	// A Source renews once three quarters of the token's life have passed.
	maxRenewals := int(window/(time.Duration(minLife)*time.Second*3/4)) + 1
	t.Logf("%d children, %s: %d calls, %d answered 401 and retried; server saw %+v; %d distinct tokens used; at most %d renewals possible",
		children, window.Round(time.Millisecond), sumCalls(results), sumRejected(results), got, len(seen), maxRenewals)

	assert.Equal(t, 1, got.Password, "the fleet logged in more than once")
	assert.Zero(t, got.Reuse, "a refresh token was spent twice")
	assert.Zero(t, got.Failed, "the server refused token requests")
	assert.Zero(t, got.Other, "unexpected grants")
	assert.Positive(t, got.Refresh)
	assert.LessOrEqual(t, got.Refresh, maxRenewals, "more refreshes than renewals: replicas renewed on their own")
	assert.GreaterOrEqual(t, len(seen), got.Refresh, "a refreshed token that no replica used")
	assert.LessOrEqual(t, len(seen), got.Refresh+1, "tokens from outside the refresh chain")
}

func sumCalls(rs []fleetResult) (n int) {
	for _, r := range rs {
		n += r.Calls
	}
	return n
}

func sumRejected(rs []fleetResult) (n int) {
	for _, r := range rs {
		n += r.Rejected
	}
	return n
}

func TestFleetSharesOneTokenMindPeekerTest(t *testing.T) {
	t.Parallel()
	srv := mindpeekertest.NewServer(mindpeekertest.WithTokenLifetime(2 * time.Second)) // strict refresh
	t.Cleanup(srv.Close)
	runFleet(t, srv.TokenURL(), srv.APIURL()+"/sessions", mindpeekertest.PublicClientID, func() fleetCounts {
		s := srv.Stats()
		return fleetCounts{
			Password: s.TokenRequestsByGrant["password"], Refresh: s.TokenRequestsByGrant["refresh_token"],
			Other:  s.TokenRequests - s.TokenRequestsByGrant["password"] - s.TokenRequestsByGrant["refresh_token"],
			Failed: s.TokenRequests - s.TokensIssued, Reuse: s.SpentRefreshReuse,
		}
	})
}

func TestFleetSharesOneTokenFosite(t *testing.T) {
	t.Parallel()
	srv := oauthtest.NewFosite(t, oauthtest.Options{AccessTokenLifespan: 2 * time.Second})
	runFleet(t, srv.TokenURL, srv.ResourceURL, oauthtest.PublicClientID, func() fleetCounts {
		s := srv.Stats()
		failed := 0
		for _, n := range s.Errors {
			failed += n
		}
		return fleetCounts{
			Password: s.ByGrant["password"], Refresh: s.ByGrant["refresh_token"],
			Other:  s.TokenRequests - s.ByGrant["password"] - s.ByGrant["refresh_token"],
			Failed: failed, Reuse: s.RefreshReuse + s.ReuseDetections,
		}
	})
}

func TestFleetSurvivesRenewerKilledMidRenewal(t *testing.T) {
	srv := startRedis(t)
	api := mindpeekertest.NewServer(mindpeekertest.WithTokenLifetime(2 * time.Second))
	t.Cleanup(api.Close)
	const lockTTL = time.Second
	args := helperArgs{RedisAddr: srv.Addr, Key: "killed", LockTTL: lockTTL, TokenURL: api.TokenURL(),
		APIURL: api.APIURL() + "/sessions", ClientID: mindpeekertest.PublicClientID,
		Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword, Duration: 3 * time.Second}

	// The fleet's token, stored by a first replica.
	st := newStore(t, srv.Client(t), "killed", withLockTTL(lockTTL))
	seed := auth.NewSource(auth.Password{TokenURL: args.TokenURL, ClientID: args.ClientID,
		Username: args.Username, Password: args.Password}, auth.WithStore(st))
	_, err := seed.TokenContext(t.Context())
	require.NoError(t, err)

	blockerArgs := args
	blockerArgs.BlockRefresh, blockerArgs.Duration = true, time.Minute
	blocker := startChild(t, "fleet", blockerArgs)
	blocker.expect(t, "IN-GRANT", 30*time.Second) // it holds the lock and is renewing

	others := []*child{startChild(t, "fleet", args), startChild(t, "fleet", args)}
	for _, c := range others {
		c.expect(t, "STARTED", 30*time.Second)
	}
	time.Sleep(100 * time.Millisecond) // they are waiting for the lock
	blocker.kill()
	killed := time.Now()
	left, err := srv.Client(t).PTTL(t.Context(), st.LockKey()).Result()
	require.NoError(t, err)
	require.Positive(t, left, "the dead renewer's lock is still held")

	for i, c := range others {
		var r fleetResult
		c.result(t, &r, time.Minute)
		resumed := r.FirstTokenAt.Sub(killed)
		t.Logf("child %d: first token %s after the kill (lock had %s left); %d calls", i, resumed.Round(time.Millisecond), left, r.Calls)
		assert.Zero(t, r.Failures, "child %d: first failure: %s", i, r.FirstError)
		assert.GreaterOrEqual(t, resumed, left-20*time.Millisecond, "got a token while the dead renewer's lock was held")
		assert.LessOrEqual(t, resumed, left+pollMax+500*time.Millisecond, "waited longer than the lock's expiry")
	}
	s := api.Stats()
	assert.Equal(t, 1, s.TokenRequestsByGrant["password"], "only the first replica logged in")
	assert.Positive(t, s.TokenRequestsByGrant["refresh_token"], "the survivors refreshed with the unspent refresh token")
	assert.Zero(t, s.SpentRefreshReuse)
	assert.Equal(t, s.TokenRequests, s.TokensIssued, "a token request was refused")
}
