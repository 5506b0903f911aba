package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// Timings of a [RateGate].
const (
	gateCommandTimeout = 2 * time.Second  // bounds a close sent to Redis, and a state read
	gateHealthEvery    = 15 * time.Second // a silent subscription is pinged this often
	gateRetryMin       = 100 * time.Millisecond
	gateRetryMax       = 5 * time.Second  // between attempts to subscribe again
	gateWarnEvery      = 30 * time.Second // at most one warning this often while Redis is away
	maxGateWait        = 24 * time.Hour   // a longer close from Redis is ignored, as garbage
)

// RateGateOptions configures a [RateGate]. Namespace and Key are required.
type RateGateOptions struct {
	// Namespace separates applications sharing one Redis, as [Options.Namespace].
	Namespace string
	// Key names what shares the rate limit within the namespace: the client id,
	// usually (the same as the token store's Options.Key is fine). The same
	// rules as [Options.Key].
	Key string
	// Logger receives a warning when Redis cannot be reached (at most one every
	// 30 seconds while it lasts) and a note when it can again. nil: silent.
	Logger *slog.Logger
}

// RateGate is an [auth.RateGate] shared through Redis by the replicas of a
// service: a 429 (or 503) with Retry-After that any replica gets closes the
// gate for that API origin, fleet-wide, until then. Give each replica's client
// its own RateGate (client.Config.RateGate) over the same options. Create it
// with [NewRateGate] and end it with [RateGate.Stop]. It is safe for concurrent use.
//
// The state is a hash at "mindpeeker:{namespace:key}:gate" mapping each origin
// to when it opens (Redis's clock, in milliseconds), expiring with the last
// window; it holds no secret. A close is one script on Redis (EVALSHA) that
// keeps the later time, never shortening a window, and publishes the news on
// the channel of the same name. Each RateGate holds one subscription to that
// channel and keeps its own view in memory, so that the check before each
// attempt ([RateGate.OpenAt]) is a map lookup, never a Redis round trip; on
// each (re)subscription it reads the current state once. Times travel as
// durations, so the replicas' clocks need not agree.
//
// Cost: per closed window, one script per replica whose own request got the
// 429 (the one that closed it, and those whose requests were already on their
// way), whatever the fleet's size; Redis delivers one message to each
// subscriber. A replica that is told by the channel sends nothing.
//
// With Redis unavailable, each replica keeps its own view: it waits out the
// Retry-After it gets itself, and those it was told before, and logs a
// warning; it subscribes again, with backoff, and reads the state it missed.
type RateGate struct {
	rdb     redis.UniversalClient
	key     string // the hash; also the channel's name
	local   auth.LocalRateGate
	logger  *slog.Logger
	health  health
	stop    context.CancelFunc
	ctx     context.Context // ends with Stop
	done    chan struct{}   // closed when the listener returns
	closers sync.WaitGroup  // closes still on their way to Redis

	mu sync.Mutex
	ps *redis.PubSub // the listener's subscription, closed by Stop
}

var _ auth.RateGate = (*RateGate)(nil)

// NewRateGate returns a RateGate over rdb (the caller's client, as for [New])
// and starts its subscription in the background: it does not wait for Redis.
func NewRateGate(rdb redis.UniversalClient, opts RateGateOptions) (*RateGate, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	if err := checkName("Namespace", opts.Namespace, ":{}"); err != nil {
		return nil, err
	}
	if err := checkName("Key", opts.Key, "{}"); err != nil {
		return nil, err
	}
	g := &RateGate{rdb: rdb, key: "mindpeeker:{" + opts.Namespace + ":" + opts.Key + "}:gate",
		logger: opts.Logger, done: make(chan struct{})}
	if g.logger == nil {
		g.logger = slog.New(slog.DiscardHandler)
	}
	g.health.logger = g.logger
	g.ctx, g.stop = context.WithCancel(context.Background())
	go g.listen()
	return g, nil
}

// Key returns the Redis key of the gate's state, "mindpeeker:{namespace:key}:gate",
// which is also the name of its channel.
func (g *RateGate) Key() string { return g.key }

// String names the gate.
func (g *RateGate) String() string { return "redisstore.RateGate{" + g.key + "}" }

// OpenAt returns when the gate for origin opens, from this replica's view: the
// closes it made and those Redis told it of. It makes no Redis call.
func (g *RateGate) OpenAt(origin string) time.Time { return g.local.OpenAt(origin) }

// CloseUntil closes the gate for origin until until, in this replica's view at
// once and, in the background, fleet-wide, unless the gate is already closed
// until then or later. A failure to reach Redis is logged.
func (g *RateGate) CloseUntil(_ context.Context, origin string, until time.Time) {
	wait := time.Until(until)
	if wait <= 0 || !g.local.Extend(origin, until) {
		return // known already: told by the fleet, or by an earlier answer
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx.Err() != nil {
		return // stopped: local only
	}
	g.closers.Go(func() {
		ctx, cancel := context.WithTimeout(g.ctx, gateCommandTimeout)
		defer cancel()
		ms := strconv.FormatInt(int64((wait+time.Millisecond-1)/time.Millisecond), 10)
		left, err := closeScript.Run(ctx, g.rdb, []string{g.key}, origin, ms).Int64()
		g.health.report(err)
		if err == nil { // the fleet's window may end later than this answer's
			g.adopt(time.Now(), origin, left)
		}
	})
}

// Stop ends the subscription and waits for closes still being sent. The gate
// keeps answering from its last view, and closes stay local.
func (g *RateGate) Stop() {
	g.mu.Lock()
	g.stop()
	if g.ps != nil {
		_ = g.ps.Close() // ends a Receive blocked on the connection
	}
	g.mu.Unlock()
	<-g.done
	g.closers.Wait()
}

// listen keeps a subscription to the gate's channel until Stop.
func (g *RateGate) listen() {
	defer close(g.done)
	delay := time.Duration(0)
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-time.After(delay):
		}
		if g.subscribe() {
			delay = gateRetryMin
		} else {
			delay = min(max(2*delay, gateRetryMin), gateRetryMax)
		}
	}
}

// subscribe subscribes, reads the state, and applies the channel's messages
// until the subscription fails or Stop. It reports whether it got as far as
// reading the state.
func (g *RateGate) subscribe() (synced bool) {
	g.mu.Lock()
	if g.ctx.Err() != nil {
		g.mu.Unlock()
		return false
	}
	ps := g.rdb.Subscribe(g.ctx, g.key)
	g.ps = ps
	g.mu.Unlock()
	defer ps.Close()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(g.ctx, gateHealthEvery)
		if g.ctx.Err() != nil {
			return synced
		}
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout() && !pinged:
			pinged = true // a half-open connection answers no ping: the next timeout ends it
			if err := ps.Ping(g.ctx); err != nil {
				g.health.report(err)
				return synced
			}
			continue
		case err != nil:
			g.health.report(err)
			return synced
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				if err := g.readState(); err != nil {
					g.health.report(err)
					return synced
				}
				synced = true
				g.health.report(nil)
			}
		case *redis.Message:
			g.apply(m.Payload)
		}
	}
}

// readState adopts the windows that were closed while this gate was not listening.
func (g *RateGate) readState() error {
	ctx, cancel := context.WithTimeout(g.ctx, gateCommandTimeout)
	defer cancel()
	pairs, err := stateScript.Run(ctx, g.rdb, []string{g.key}).Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("redisstore: reading the rate-limit gate: %w", err)
	}
	now := time.Now()
	for i := 0; i+1 < len(pairs); i += 2 {
		origin, _ := pairs[i].(string)
		ms, _ := pairs[i+1].(int64)
		g.adopt(now, origin, ms)
	}
	return nil
}

// apply adopts a close published on the channel: "<milliseconds> <origin>".
func (g *RateGate) apply(payload string) {
	msText, origin, _ := strings.Cut(payload, " ")
	ms, err := strconv.ParseInt(msText, 10, 64)
	if err == nil {
		g.adopt(time.Now(), origin, ms)
	}
}

// adopt closes the local view of origin for ms from now, if that is sane.
func (g *RateGate) adopt(now time.Time, origin string, ms int64) {
	if origin == "" || len(origin) > maxNameLen || ms <= 0 || ms > maxGateWait.Milliseconds() {
		return
	}
	g.local.Extend(origin, now.Add(time.Duration(ms)*time.Millisecond))
}

// health logs Redis becoming unreachable (again at most every gateWarnEvery
// while it lasts) and reachable again.
type health struct {
	logger   *slog.Logger
	mu       sync.Mutex
	down     bool
	lastWarn time.Time
}

func (h *health) report(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil && h.down:
		h.down = false
		h.logger.Info("redisstore: the rate-limit gate reaches Redis again")
	case err != nil && (!h.down || time.Since(h.lastWarn) >= gateWarnEvery):
		h.down, h.lastWarn = true, time.Now()
		h.logger.Warn("redisstore: the rate-limit gate cannot reach Redis: each replica waits out only the Retry-After it sees itself",
			slog.String("error", err.Error()))
	}
}

// closeScript closes the gate for ARGV[1] (an origin) for ARGV[2]
// milliseconds from now on Redis's clock, unless it is closed until later
// already, and then publishes "<milliseconds> <origin>" on the channel of the
// key's name. The hash expires with its last window. It returns the
// milliseconds left in the gate's window: ARGV[2], or more when it was closed
// until later.
var closeScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[2])
local untilms = now + ms
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 0)
if cur >= untilms then return cur - now end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', untilms))
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end
redis.call('PUBLISH', KEYS[1], ARGV[2] .. ' ' .. ARGV[1])
return ms
`)

// stateScript returns the closed origins with the milliseconds left of each:
// {origin, ms, origin, ms, ...}.
var stateScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #h, 2 do
  local left = tonumber(h[i + 1]) - now
  if left > 0 then
    out[#out + 1] = h[i]
    out[#out + 1] = left
  end
end
return out
`)
