package auth_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// policyGrant is a fakeGrant that states a RenewalPolicy.
type policyGrant struct {
	*fakeGrant
	before time.Duration
}

func (g policyGrant) RenewBefore() time.Duration { return g.before }

// renewalPoint returns how long after the first token the Source started its
// first renewal, stepping a fake clock one second at a time.
func renewalPoint(t *testing.T, life time.Duration, grant func(*fakeGrant) auth.Grant, opts ...auth.Option) time.Duration {
	var at time.Duration
	synctest.Test(t, func(t *testing.T) {
		g := &fakeGrant{life: life}
		src := auth.NewSource(grant(g), opts...)
		_, err := src.Token()
		require.NoError(t, err)
		start := time.Now()
		for g.count() == 1 && time.Since(start) < life {
			time.Sleep(time.Second)
			_, err := src.Token()
			require.NoError(t, err)
			synctest.Wait()
		}
		at = time.Since(start)
	})
	return at
}

func TestRenewalPointIsPerSource(t *testing.T) {
	plain := func(g *fakeGrant) auth.Grant { return auth.GrantFunc(g.Token) }
	withPolicy := func(d time.Duration) func(*fakeGrant) auth.Grant {
		return func(g *fakeGrant) auth.Grant { return policyGrant{g, d} }
	}
	tests := []struct {
		name  string
		life  time.Duration
		grant func(*fakeGrant) auth.Grant
		opts  []auth.Option
		want  time.Duration
	}{
		{"default: 3/4 of a short life", 40 * time.Second, plain, nil, 30 * time.Second},
		{"default: 5 min before a long one", time.Hour, plain, nil, 55 * time.Minute},
		{"option", time.Hour, plain, []auth.Option{auth.WithRenewBefore(30 * time.Second)}, time.Hour - 30*time.Second},
		{"grant policy", 1199 * time.Second, withPolicy(20 * time.Second), nil, 1179 * time.Second},
		{"option beats the grant", time.Hour, withPolicy(20 * time.Second), []auth.Option{auth.WithRenewBefore(time.Minute)}, 59 * time.Minute},
		{"option 0 restores the default", time.Hour, withPolicy(20 * time.Second), []auth.Option{auth.WithRenewBefore(0)}, 55 * time.Minute},
		{"capped at half the life", 60 * time.Second, plain, []auth.Option{auth.WithRenewBefore(time.Hour)}, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, renewalPoint(t, tt.life, tt.grant, tt.opts...))
		})
	}
}
