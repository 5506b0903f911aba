package conformance_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mindpeeker/mindpeeker-go/conformance/internal/oauthtest"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/fleettest"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// A fleet of replicas sharing one token through auth/redisstore against fosite,
// which would revoke the whole token family on a refresh token spent twice
// (internal/testing/fleettest runs the fleet and says what it checks; the same fleet
// against mindpeekertest is in auth/redisstore). It needs redis-server: it skips
// without it, or fails with MINDPEEKER_REQUIRE_REDIS set.
func TestFleetSharesOneTokenFosite(t *testing.T) {
	t.Parallel()
	srv := oauthtest.NewFosite(t, oauthtest.Options{AccessTokenLifespan: 2 * time.Second})
	fleettest.Run(t, fositeFleet(srv))
}

// A renewer paused with the lock held, past the lock's expiry, while another
// replica renews (internal/testing/fleettest says how): fosite would revoke the token
// family if the paused one presented the refresh token the other spent.
func TestPausedRenewerDoesNotSpendTheSpentRefreshTokenFosite(t *testing.T) {
	t.Parallel()
	srv := oauthtest.NewFosite(t, oauthtest.Options{AccessTokenLifespan: time.Hour})
	fleettest.RunPausedRenewer(t, fositeFleet(srv))
}

// fositeFleet is the fleettest configuration of srv.
func fositeFleet(srv *oauthtest.Server) fleettest.Config {
	return fleettest.Config{
		Helper: "TestHelperProcessFleet", TokenURL: srv.TokenURL, APIURL: srv.ResourceURL,
		ClientID: oauthtest.PublicClientID, Username: oauthtest.Username, Password: oauthtest.Password,
		Counts: func() fleettest.Counts {
			s := srv.Stats()
			failed := 0
			for _, n := range s.Errors {
				failed += n
			}
			return fleettest.Counts{
				Password: s.ByGrant["password"], Refresh: s.ByGrant["refresh_token"],
				Other:  s.TokenRequests - s.ByGrant["password"] - s.ByGrant["refresh_token"],
				Failed: failed, Reuse: s.RefreshReuse + s.ReuseDetections,
			}
		},
	}
}

// TestHelperProcessFleet is not a test: TestFleetSharesOneTokenFosite runs it
// in child processes, each a replica (fleettest.RunChild).
func TestHelperProcessFleet(t *testing.T) {
	if redistest.HelperMode() != fleettest.Mode {
		t.Skip("helper process for TestFleetSharesOneTokenFosite")
	}
	var args fleettest.Args
	err := redistest.HelperArgs(&args)
	if err == nil {
		err = fleettest.RunChild(args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
