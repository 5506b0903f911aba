package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// RateGate shares an API's rate limit among clients: when one of them is told
// to wait (a 429, or a 503, with Retry-After), the gate for that API origin is
// closed until then, and every client using the gate waits for it instead of
// sending requests that would only collect 429s of their own. Give one to
// client.Config.RateGate: a [LocalRateGate] for the clients of one process, a
// redisstore.RateGate for the replicas of a fleet sharing a Redis.
//
// An origin is "scheme://host:port" ([Origin.String]); a gate keeps an origin
// and a time, nothing secret.
type RateGate interface {
	// OpenAt returns when the gate for origin opens again: a zero or past time
	// means it is open. It is asked before every attempt sent to origin, so it
	// must answer from memory, without a network round trip or a lock shared
	// by every caller.
	OpenAt(origin string) time.Time
	// CloseUntil records that origin asked the clients to wait until until. A
	// gate never opens earlier than a close already recorded: the later time
	// wins. It is called on the goroutine of the call that got the answer,
	// which goes on regardless: a gate that talks to a server does so in the
	// background, and handles its failures itself (a shared gate falls back to
	// its own view, with a warning).
	CloseUntil(ctx context.Context, origin string, until time.Time)
}

// LocalRateGate is a [RateGate] kept in memory, shared by the clients of one
// process that share a rate limit (one client id, several clients). Its zero
// value is open and ready to use; it must not be copied after first use.
//
// OpenAt is one atomic load and a map lookup: the map is replaced, not
// changed, on each CloseUntil, which happens once per rate-limit window.
type LocalRateGate struct {
	mu    sync.Mutex // serialises writers
	until atomic.Pointer[map[string]time.Time]
}

// OpenAt returns when the gate for origin opens; zero when it was never closed.
func (g *LocalRateGate) OpenAt(origin string) time.Time {
	if m := g.until.Load(); m != nil {
		return (*m)[origin]
	}
	return time.Time{}
}

// CloseUntil closes the gate for origin until until, unless it is already
// closed until then or later.
func (g *LocalRateGate) CloseUntil(_ context.Context, origin string, until time.Time) {
	g.Extend(origin, until)
}

// Extend is CloseUntil without a context, reporting whether until is later
// than the gate's time for origin so far (and so was recorded). Shared gates
// keep their local view in a LocalRateGate, and use it to tell news from echoes.
func (g *LocalRateGate) Extend(origin string, until time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.until.Load()
	if old != nil && !until.After((*old)[origin]) {
		return false
	}
	next := make(map[string]time.Time, 1)
	if old != nil {
		now := time.Now()
		for o, t := range *old { // drop the windows that are over
			if t.After(now) {
				next[o] = t
			}
		}
	}
	next[origin] = until
	g.until.Store(&next)
	return true
}
