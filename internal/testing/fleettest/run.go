package fleettest

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// The fleet that Run starts.
const (
	replicas = 4
	runFor   = 4 * time.Second
	lockTTL  = 2 * time.Second
)

// Counts is what the authorization server saw during a [Run].
type Counts struct {
	Password int // password-grant token requests
	Refresh  int // refresh_token-grant token requests
	Other    int // token requests of any other grant
	Failed   int // token requests the server refused
	Reuse    int // refresh tokens presented after they were spent
}

// Config is the authorization server a [Run] fleet uses.
type Config struct {
	// Helper is the name of the test, in the calling test binary, that runs
	// [RunChild] in helper processes of [Mode].
	Helper string
	// TokenURL and APIURL are the token endpoint and an authenticated GET URL
	// answering 200 to a valid access token.
	TokenURL, APIURL string
	// ClientID is a public client allowed the password grant, and Username and
	// Password the credentials of a resource owner. The server should issue
	// access tokens living about 2 seconds, so that the fleet renews several
	// times during the run.
	ClientID, Username, Password string
	// Counts reports what the server has seen so far.
	Counts func() Counts
}

// Run starts a redis-server and 4 replicas of [RunChild] for 4 seconds against
// the server of cfg, and checks that the fleet behaved as one client: every
// call answered 200, every replica lived through a renewal, the server saw one
// login, then one refresh per renewal and never more than the renewals the
// tokens' lifetime allows, no refresh token spent twice, no failed token
// request, and every refreshed token used. Use it to prove that the Redis store
// and lock coordinate a fleet against a given authorization server.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	srv := redistest.Start(t)
	args := Args{RedisAddr: srv.Addr, Namespace: "test", Key: "fleet", EncryptionKey: bytes.Repeat([]byte{1}, redisstore.KeySize),
		LockTTL: lockTTL, TokenURL: cfg.TokenURL, APIURL: cfg.APIURL, ClientID: cfg.ClientID,
		Username: cfg.Username, Password: cfg.Password, Duration: runFor}
	var cs []*redistest.Child
	for range replicas {
		cs = append(cs, redistest.StartChild(t, cfg.Helper, Mode, args))
	}
	results := make([]Result, replicas)
	for i, c := range cs {
		c.Result(t, &results[i], time.Minute)
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
	got := cfg.Counts()
	window := last.Sub(first)
	maxRenewals := MaxRenewals(window, time.Duration(minLife)*time.Second)
	t.Logf("%d children, %s: %d calls, %d answered 401 and retried; server saw %+v; %d distinct tokens used; at most %d renewals possible",
		replicas, window.Round(time.Millisecond), sumCalls(results), sumRejected(results), got, len(seen), maxRenewals)

	assert.Equal(t, 1, got.Password, "the fleet logged in more than once")
	assert.Zero(t, got.Reuse, "a refresh token was spent twice")
	assert.Zero(t, got.Failed, "the server refused token requests")
	assert.Zero(t, got.Other, "unexpected grants")
	assert.Positive(t, got.Refresh)
	assert.LessOrEqual(t, got.Refresh, maxRenewals, "more refreshes than renewals: replicas renewed on their own")
	assert.GreaterOrEqual(t, len(seen), got.Refresh, "a refreshed token that no replica used")
	assert.LessOrEqual(t, len(seen), got.Refresh+1, "tokens from outside the refresh chain")
}

// MaxRenewals is the most renewals one client may make during window with
// tokens living life: a Source renews once three quarters of a token's life
// have passed, so one renewal per 3/4 life, plus one for the window's edges.
func MaxRenewals(window, life time.Duration) int {
	return int(window/(life*3/4)) + 1
}

func sumCalls(rs []Result) (n int) {
	for _, r := range rs {
		n += r.Calls
	}
	return n
}

func sumRejected(rs []Result) (n int) {
	for _, r := range rs {
		n += r.Rejected
	}
	return n
}
