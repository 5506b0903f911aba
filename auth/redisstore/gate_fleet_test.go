package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/internal/testing/redistest"
)

// The multi-process tests of the rate-limit gate: replicas (child processes,
// each a client.Client with or without a RateGate) call a server that answers
// 429 with Retry-After: 2 to the first request of each window and to every
// request during it.

const (
	gateMode       = "gate"          // the helper mode of a gate replica
	gateRetryAfter = 2 * time.Second // the server's Retry-After
	gateOpenFor    = 500 * time.Millisecond
	gateThink      = 20 * time.Millisecond // between one replica's calls, on average (10-30ms)
)

// gateArgs is what a gate replica needs to know.
type gateArgs struct {
	RedisAddr string // "": no gate
	APIURL    string
	Replica   int
}

// gateResult is what a gate replica reports.
type gateResult struct {
	Calls, Failures int
	FirstError      string
}

// runGateChild is a replica: it calls GET /work until the server answers 410.
func runGateChild() error {
	var a gateArgs
	if err := redistest.HelperArgs(&a); err != nil {
		return err
	}
	cfg := client.Config{BaseURL: a.APIURL, APIKey: "fleet-key", MaxRetries: 10, MaxRetryWait: 5 * time.Second}
	if a.RedisAddr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: a.RedisAddr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		defer rdb.Close()
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		gate, err := redisstore.NewRateGate(rdb, redisstore.RateGateOptions{Namespace: "test", Key: "fleet-gate", Logger: logger})
		if err != nil {
			return err
		}
		defer gate.Stop()
		cfg.RateGate = gate
	}
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	fmt.Println("STARTED")
	var res gateResult
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Do(ctx, "GET", "/work?replica="+strconv.Itoa(a.Replica)+"&sent="+strconv.FormatInt(time.Now().UnixNano(), 10), nil, nil)
		cancel()
		var ae *client.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusGone {
			return redistest.PrintResult(res)
		}
		res.Calls++
		if err != nil {
			res.Failures++
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
		}
		time.Sleep(gateThink/2 + rand.N(gateThink)) // replicas in lockstep would all be on their way at once
	}
}

// windowServer answers 429 with Retry-After: 2 to the first request after
// each open period, and to every request in the 2 seconds after it (the closed
// window), counting them per replica; 200 otherwise; 410 once stopped.
type windowServer struct {
	*httptest.Server
	mu                    sync.Mutex
	armed, stopped        bool
	closedUntil, openFrom time.Time
	windows               []map[int]int // per window: replica -> requests answered 429 in it
	windowEnds            []time.Time
	// lateSend is the latest a call that reached a closed window (but its
	// first request) began after the window closed, or 0 when every one began
	// before: how long the fleet took to learn of the window, at most.
	lateSend time.Duration
}

func newWindowServer(t *testing.T) *windowServer {
	s := &windowServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *windowServer) serve(w http.ResponseWriter, r *http.Request) {
	replica, _ := strconv.Atoi(r.URL.Query().Get("replica"))
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		w.WriteHeader(http.StatusGone)
		return
	case !s.armed:
	case now.Before(s.closedUntil):
		s.windows[len(s.windows)-1][replica]++
		if sent, err := strconv.ParseInt(r.URL.Query().Get("sent"), 10, 64); err == nil {
			s.lateSend = max(s.lateSend, time.Unix(0, sent).Sub(s.closedUntil.Add(-gateRetryAfter)))
		}
		s.tooMany(w)
		return
	case !now.Before(s.openFrom): // the first request of a new window
		s.closedUntil, s.openFrom = now.Add(gateRetryAfter), now.Add(gateRetryAfter+gateOpenFor)
		s.windows, s.windowEnds = append(s.windows, map[int]int{replica: 1}), append(s.windowEnds, s.closedUntil)
		s.tooMany(w)
		return
	}
	w.Write([]byte(`{}`))
}

func (s *windowServer) tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(gateRetryAfter/time.Second)))
	w.WriteHeader(http.StatusTooManyRequests)
}

func (s *windowServer) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
}

func (s *windowServer) windowCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.windows)
}

// stop answers 410 from now on, and returns the windows that closed and
// opened again before, each as the requests per replica sent into it.
func (s *windowServer) stop() []map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	var whole []map[int]int
	for i, w := range s.windows {
		if !s.windowEnds[i].After(time.Now()) {
			whole = append(whole, w)
		}
	}
	return whole
}

// windowStats summarises windows: the mean requests per window, the most
// one replica sent into one window, and the counts per window.
func windowStats(ws []map[int]int) (mean float64, maxPerReplica int, perWindow []int) {
	for _, w := range ws {
		n := 0
		for _, c := range w {
			n += c
			maxPerReplica = max(maxPerReplica, c)
		}
		perWindow = append(perWindow, n)
		mean += float64(n)
	}
	if len(ws) > 0 {
		mean /= float64(len(ws))
	}
	return mean, maxPerReplica, perWindow
}

// startGateFleet starts n replicas against srv (gated when redisAddr is set)
// and waits until they call.
func startGateFleet(t *testing.T, n int, srv *windowServer, redisAddr string) []*redistest.Child {
	var cs []*redistest.Child
	for i := range n {
		cs = append(cs, startChild(t, gateMode, gateArgs{RedisAddr: redisAddr, APIURL: srv.URL, Replica: i}))
	}
	for _, c := range cs {
		c.Expect(t, "STARTED", 30*time.Second)
	}
	return cs
}

// collect waits for the replicas' results and checks that no call failed.
func collect(t *testing.T, name string, cs []*redistest.Child) (calls int) {
	for i, c := range cs {
		var r gateResult
		c.Result(t, &r, 30*time.Second)
		assert.Zero(t, r.Failures, "%s replica %d: first failure: %s", name, i, r.FirstError)
		calls += r.Calls
	}
	return calls
}

// Eight replicas, with and without the gate, against servers that close a
// 2-second window at the first request after each open period. Without the
// gate each replica collects a 429 of its own in every window; with it, only
// the replicas whose request was already on its way when the first 429 came
// do, at most one each.
func TestRateGateFleetSendsOneRequestPerWindow(t *testing.T) {
	const replicas = 8
	redisSrv := startRedis(t)
	rdb := redisSrv.Client(t)
	gatedSrv, ungatedSrv := newWindowServer(t), newWindowServer(t)
	gated := startGateFleet(t, replicas, gatedSrv, redisSrv.Addr)
	ungated := startGateFleet(t, replicas, ungatedSrv, "")
	waitSubscribed(t, rdb, "mindpeeker:{test:fleet-gate}:gate", replicas)
	time.Sleep(100 * time.Millisecond) // the gates' state reads
	before := commandCalls(t, rdb)

	gatedSrv.arm()
	ungatedSrv.arm()
	time.Sleep(3*(gateRetryAfter+gateOpenFor) - gateOpenFor/2)
	gatedWindows, ungatedWindows := gatedSrv.stop(), ungatedSrv.stop()
	gatedLate := gatedSrv.lateSend
	gatedCalls, ungatedCalls := collect(t, "gated", gated), collect(t, "ungated", ungated)
	delta := commandCalls(t, rdb).minus(before)

	gMean, gMax, gPer := windowStats(gatedWindows)
	uMean, uMax, uPer := windowStats(ungatedWindows)
	t.Logf("without the gate: %d windows, requests sent into each %v (mean %.1f, at most %d from one replica), %d calls",
		len(ungatedWindows), uPer, uMean, uMax, ungatedCalls)
	t.Logf("with the gate:    %d windows, requests sent into each %v (mean %.1f, at most %d from one replica), %d calls; calls into a window began at most %s after it closed",
		len(gatedWindows), gPer, gMean, gMax, gatedCalls, gatedLate.Round(100*time.Microsecond))
	t.Logf("Redis commands during the gated run (%d windows): %s", len(gatedWindows), delta)
	require.GreaterOrEqual(t, len(gatedWindows), 2)
	require.GreaterOrEqual(t, len(ungatedWindows), 2)
	assert.LessOrEqual(t, gMax, 1, "a gated replica sent more than one request into a closed window")
	assert.GreaterOrEqual(t, uMean, float64(replicas-1), "without the gate, each replica should meet every window")
	assert.LessOrEqual(t, gMean, uMean/2, "the gate did not keep the fleet out of the windows")
	assert.LessOrEqual(t, delta["evalsha"]+delta["eval"], int64(replicas*len(gatedWindows)),
		"more than one close script per replica and window")
}

// Redis stopped in the middle of a run: every replica's calls go on, each
// waiting out the windows it sees itself.
func TestRateGateFleetOutlivesRedis(t *testing.T) {
	const replicas = 4
	redisSrv := startRedis(t)
	srv := newWindowServer(t)
	cs := startGateFleet(t, replicas, srv, redisSrv.Addr)
	waitSubscribed(t, redisSrv.Client(t), "mindpeeker:{test:fleet-gate}:gate", replicas)
	srv.arm()
	time.Sleep(gateRetryAfter + gateOpenFor/2) // the first window, fleet-wide
	before := srv.windowCount()
	redisSrv.Stop()
	time.Sleep(2 * (gateRetryAfter + gateOpenFor))
	windows := srv.stop()
	calls := collect(t, "replica", cs)
	mean, maxPer, per := windowStats(windows)
	t.Logf("%d windows (Redis stopped after %d), requests sent into each %v (mean %.1f, at most %d from one replica); %d calls, none failed",
		len(windows), before, per, mean, maxPer, calls)
	assert.LessOrEqual(t, maxPer, 1, "a replica sent into a window it had been told of itself")
	assert.Greater(t, len(windows), before, "no window after Redis stopped")
}

// calls counts the commands Redis ran, by name (INFO commandstats).
type calls map[string]int64

func commandCalls(tb testing.TB, rdb *redis.Client) calls {
	tb.Helper()
	info, err := rdb.Info(tb.Context(), "commandstats").Result()
	require.NoError(tb, err)
	out := calls{}
	for line := range strings.Lines(info) {
		name, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ",")
		out[name], _ = strconv.ParseInt(n, 10, 64)
	}
	return out
}

// minus returns the commands run since before, leaving out the counting's own
// (INFO) and the tests' watching (PUBSUB).
func (c calls) minus(before calls) calls {
	out := calls{}
	for name, n := range c {
		if d := n - before[name]; d > 0 && name != "info" && !strings.HasPrefix(name, "pubsub") {
			out[name] = d
		}
	}
	return out
}

func (c calls) total() (n int64) {
	for _, v := range c {
		n += v
	}
	return n
}

func (c calls) String() string {
	var parts []string
	for name, n := range c {
		parts = append(parts, fmt.Sprintf("%s=%d", name, n))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d (%s)", c.total(), strings.Join(parts, " "))
}
