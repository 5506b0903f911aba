package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/fleettest"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// The fleet tests run replicas (internal/testing/fleettest) in child processes. The
// same fleet against ory/fosite is in the conformance module
// (conformance/redisfleet_test.go).

func TestFleetSharesOneTokenMindPeekerTest(t *testing.T) {
	t.Parallel()
	srv := mindpeekertest.NewServer(mindpeekertest.WithTokenLifetime(2 * time.Second)) // strict refresh
	t.Cleanup(srv.Close)
	fleettest.Run(t, mindpeekertestFleet(srv))
}

// mindpeekertestFleet is the fleettest configuration of srv.
func mindpeekertestFleet(srv *mindpeekertest.Server) fleettest.Config {
	return fleettest.Config{
		Helper: helperTest, TokenURL: srv.TokenURL(), APIURL: srv.APIURL() + "/sessions",
		ClientID: mindpeekertest.PublicClientID, Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword,
		Counts: func() fleettest.Counts {
			s := srv.Stats()
			return fleettest.Counts{
				Password: s.TokenRequestsByGrant["password"], Refresh: s.TokenRequestsByGrant["refresh_token"],
				Other:  s.TokenRequests - s.TokenRequestsByGrant["password"] - s.TokenRequestsByGrant["refresh_token"],
				Failed: s.TokenRequests - s.TokensIssued, Reuse: s.SpentRefreshReuse,
			}
		},
	}
}

// A renewer paused with the lock held, past the lock's expiry, while another
// replica renews: it must not spend the refresh token the other one spent.
func TestPausedRenewerDoesNotSpendTheSpentRefreshToken(t *testing.T) {
	srv := mindpeekertest.NewServer(mindpeekertest.WithTokenLifetime(time.Hour)) // strict refresh
	t.Cleanup(srv.Close)
	fleettest.RunPausedRenewer(t, mindpeekertestFleet(srv))
}

func TestFleetSurvivesRenewerKilledMidRenewal(t *testing.T) {
	srv := startRedis(t)
	api := mindpeekertest.NewServer(mindpeekertest.WithTokenLifetime(2 * time.Second))
	t.Cleanup(api.Close)
	const lockTTL = time.Second
	args := fleettest.Args{RedisAddr: srv.Addr, Namespace: "test", Key: "killed", EncryptionKey: testKey(1), LockTTL: lockTTL,
		TokenURL: api.TokenURL(), APIURL: api.APIURL() + "/sessions", ClientID: mindpeekertest.PublicClientID,
		Username: mindpeekertest.DefaultUsername, Password: mindpeekertest.DefaultPassword, Duration: 3 * time.Second}

	// The fleet's token, stored by a first replica.
	st := newStore(t, srv.Client(t), "killed", withLockTTL(lockTTL))
	seed := auth.NewSource(auth.Password{TokenURL: args.TokenURL, ClientID: args.ClientID,
		Username: args.Username, Password: args.Password}, auth.WithStore(st))
	_, err := seed.TokenContext(t.Context())
	require.NoError(t, err)

	blockerArgs := args
	blockerArgs.BlockRefresh, blockerArgs.Duration = true, time.Minute
	blocker := startChild(t, fleettest.Mode, blockerArgs)
	blocker.Expect(t, "IN-GRANT", 30*time.Second) // it holds the lock and is renewing

	others := []*redistest.Child{startChild(t, fleettest.Mode, args), startChild(t, fleettest.Mode, args)}
	for _, c := range others {
		c.Expect(t, "STARTED", 30*time.Second)
	}
	time.Sleep(100 * time.Millisecond) // they are waiting for the lock
	blocker.Kill()
	killed := time.Now()
	left, err := srv.Client(t).PTTL(t.Context(), st.LockKey()).Result()
	require.NoError(t, err)
	require.Positive(t, left, "the dead renewer's lock is still held")

	for i, c := range others {
		var r fleettest.Result
		c.Result(t, &r, time.Minute)
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
