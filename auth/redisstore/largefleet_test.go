package redisstore_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// Each size of TestLargeFleetRenewals lives through largeFleetRounds renewals;
// each replica asks its Source for a token every callEvery (jittered by half).
const (
	largeFleetRounds = 3
	callEvery        = 10 * time.Millisecond
)

// Toward a large fleet: 10, 100 and 1,000 replicas in one process, each a
// Source with its own Redis connection pool (2 connections at most), sharing
// one token through Redis against the strict fake's password and refresh
// grants, on one clock the test moves. Each renewal must cost one token request
// and spend no refresh token twice, and no replica may wait while its token is
// valid: every replica calls Token in a loop through the renewal, until it has
// the new token, and its first call must get the old, cached token (a call
// that waited would get the new one); the longest call is measured too. The Redis commands of each
// renewal are counted twice: the round trips the clients sent (a go-redis hook)
// and the commands the server ran (INFO commandstats, scripts' inner commands
// included). BENCHMARKS.md has the numbers; -short leaves out 1,000.
func TestLargeFleetRenewals(t *testing.T) {
	sizes := []int{10, 100, 1000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	srv := startRedis(t)
	for _, n := range sizes {
		t.Run(fmt.Sprintf("replicas=%d", n), func(t *testing.T) { runLargeFleet(t, srv, n) })
	}
}

type fleetRound struct {
	tokenRequests, reuse int
	roundTrips           int64
	serverCommands       map[string]int64
	maxWait              time.Duration // the longest Token call: scheduling, on a loaded machine
	took                 time.Duration
}

func runLargeFleet(t *testing.T, srv redisServer, replicas int) {
	clk := &fakeClock{t: time.Now()}
	api := mindpeekertest.NewServer(mindpeekertest.WithClock(clk.Now), mindpeekertest.WithTokenLifetime(time.Hour))
	t.Cleanup(api.Close)
	grant := auth.Password{TokenURL: api.TokenURL(), ClientID: mindpeekertest.PublicClientID,
		Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword}
	key := fmt.Sprintf("large-%d", replicas)
	var roundTrips commandCounter
	srcs := make([]*auth.Source, replicas)
	for i := range srcs {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 2})
		rdb.AddHook(&roundTrips)
		t.Cleanup(func() { _ = rdb.Close() })
		srcs[i] = auth.NewSource(grant, auth.WithStore(newStore(t, rdb, key)), auth.WithClock(clk.Now))
	}
	admin := srv.Client(t)
	ctx := t.Context()

	// The fleet starts: one login, the others adopt its token.
	_, err := srcs[0].TokenContext(ctx)
	require.NoError(t, err)
	_, _, err = everyReplicaGets(ctx, srcs, "")
	require.NoError(t, err)
	require.Equal(t, 1, api.Stats().TokenRequests, "the fleet logged in more than once")

	var rounds []fleetRound
	for range largeFleetRounds {
		old, err := srcs[0].TokenContext(ctx)
		require.NoError(t, err)
		clk.Add(56 * time.Minute) // renewal time: 4 of 60 minutes left, still valid
		before, beforeRT, beforeCmds := api.Stats(), roundTrips.n.Load(), commandStats(t, admin)
		start := time.Now()
		maxWait, waited, err := everyReplicaGets(ctx, srcs, old.AccessToken)
		require.NoError(t, err, "a call failed during the renewal")
		after := api.Stats()
		r := fleetRound{
			tokenRequests: after.TokenRequests - before.TokenRequests, reuse: after.SpentRefreshReuse - before.SpentRefreshReuse,
			roundTrips: roundTrips.n.Load() - beforeRT, serverCommands: diffStats(commandStats(t, admin), beforeCmds),
			maxWait: maxWait, took: time.Since(start),
		}
		rounds = append(rounds, r)
		assert.Equal(t, 1, r.tokenRequests, "token requests in one renewal")
		assert.Zero(t, r.reuse, "a refresh token was spent twice")
		assert.Zero(t, waited, "replicas waited for the renewal while their token was valid")
	}
	for i, r := range rounds {
		total := int64(0)
		for _, n := range r.serverCommands {
			total += n
		}
		t.Logf("%d replicas, renewal %d: %d token request(s), %d round trips (%.1f per replica), %d server commands %s; longest Token call %s; all replicas on the new token after %s",
			replicas, i+1, r.tokenRequests, r.roundTrips, float64(r.roundTrips)/float64(replicas), total,
			formatStats(r.serverCommands), r.maxWait.Round(time.Microsecond), r.took.Round(time.Millisecond))
	}
}

// everyReplicaGets has every Source call Token in a loop until it hands out a
// token other than old. It returns the longest call, and how many replicas got
// a new token on their first call: a call that waited for a renewal, since one
// that does not wait gets the cached, old token.
func everyReplicaGets(ctx context.Context, srcs []*auth.Source, old string) (longest time.Duration, waited int, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var (
		wg        sync.WaitGroup
		maxNanos  atomic.Int64
		newAtOnce atomic.Int32
		firstErr  error
		once      sync.Once
	)
	for _, src := range srcs {
		wg.Go(func() {
			for first := true; ctx.Err() == nil; first = false {
				start := time.Now()
				tok, err := src.TokenContext(ctx)
				if d := int64(time.Since(start)); d > maxNanos.Load() {
					maxNanos.Store(d) // racy maximum, close enough for a measurement
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				if tok.AccessToken != old {
					if first {
						newAtOnce.Add(1)
					}
					return
				}
				time.Sleep(callEvery/2 + rand.N(callEvery)) // each replica's own traffic
			}
			once.Do(func() { firstErr = ctx.Err() })
		})
	}
	wg.Wait()
	return time.Duration(maxNanos.Load()), int(newAtOnce.Load()), firstErr
}

// commandStats returns the calls of each command the server has run, from
// INFO commandstats, without INFO itself.
func commandStats(t *testing.T, rdb *redis.Client) map[string]int64 {
	info, err := rdb.Info(t.Context(), "commandstats").Result()
	require.NoError(t, err)
	stats := map[string]int64{}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "cmdstat_"), ":calls=")
		if !ok || name == "info" {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		require.NoError(t, err, line)
		stats[name] = n
	}
	return stats
}

func diffStats(after, before map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for name, n := range after {
		if n -= before[name]; n != 0 {
			d[name] = n
		}
	}
	return d
}

func formatStats(m map[string]int64) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", name, m[name]))
	}
	return "(" + strings.Join(parts, " ") + ")"
}
