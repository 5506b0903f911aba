package mindpeekertest

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A repeat that arrives while the first request is still running waits for
// it and is answered from the record. The in-flight record is planted by
// hand, since real handlers finish too fast to race deterministically.
func TestIdempotencyWaitsForInFlight(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tok := srv.IssueAccessToken()
	body := `{"title":"slow"}`

	k := idemKey{principal: "client:" + DefaultClientID, method: "POST", path: "/v1/sessions", key: "k1"}
	rec := &idemRecord{fingerprint: fingerprint([]byte(body)), created: srv.now(), done: make(chan struct{})}
	srv.mu.Lock()
	srv.st.idem[k] = rec
	srv.mu.Unlock()

	type answer struct {
		status   int
		replayed string
		body     string
	}
	got := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.APIURL()+"/sessions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", "k1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- answer{resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), string(b)}
	}()

	select {
	case a := <-got:
		t.Fatalf("answered while the first request is in flight: %+v", a)
	case <-time.After(100 * time.Millisecond):
	}

	srv.mu.Lock()
	rec.complete, rec.status, rec.header, rec.body = true, 201, http.Header{"Content-Type": {"application/json"}}, []byte(`{"id":"ses_first"}`)
	close(rec.done)
	srv.mu.Unlock()

	a := <-got
	assert.Equal(t, 201, a.status)
	assert.Equal(t, "true", a.replayed)
	assert.Equal(t, `{"id":"ses_first"}`, a.body)
	assert.Zero(t, srv.Stats().SessionsCreated)
}

// When the first request stores nothing (a 5xx, or it panicked), a waiting
// repeat runs the request itself.
func TestIdempotencyWaiterRunsWhenFirstFails(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tok := srv.IssueAccessToken()
	k := idemKey{principal: "client:" + DefaultClientID, method: "POST", path: "/v1/sessions", key: "k2"}
	rec := &idemRecord{fingerprint: fingerprint([]byte(`{"title":"x"}`)), created: srv.now(), done: make(chan struct{})}
	srv.mu.Lock()
	srv.st.idem[k] = rec
	srv.mu.Unlock()

	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.APIURL()+"/sessions", strings.NewReader(`{"title":"x"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", "k2")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	require.Eventually(t, func() bool { return srv.Stats().APIRequests == 1 }, 5*time.Second, 5*time.Millisecond)
	srv.mu.Lock()
	delete(srv.st.idem, k)
	close(rec.done)
	srv.mu.Unlock()

	assert.Equal(t, 201, <-status)
	assert.Equal(t, 1, srv.Stats().SessionsCreated)
}

func TestFingerprint(t *testing.T) {
	assert.Equal(t, fingerprint([]byte(`{"a":1,"b":[1,2]}`)), fingerprint([]byte(` { "b" : [1,2], "a" : 1 } `)))
	assert.NotEqual(t, fingerprint([]byte(`{"a":1}`)), fingerprint([]byte(`{"a":2}`)))
	assert.Equal(t, fingerprint(nil), fingerprint([]byte{}))
	assert.NotEqual(t, fingerprint([]byte(`not json`)), fingerprint([]byte(`not  json`)))
}

func TestIdempotencyKeyTooLong(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.APIURL()+"/sessions", strings.NewReader(`{"title":"x"}`))
	req.Header.Set("Authorization", "Bearer "+srv.IssueAccessToken())
	req.Header.Set("Idempotency-Key", strings.Repeat("k", 256))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
}

// testClock is a settable clock for internal tests.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// idemKeys returns the Idempotency-Key values of the stored records.
func idemKeys(srv *Server) []string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var out []string
	for k := range srv.st.idem {
		out = append(out, k.key)
	}
	return out
}

// Expired records are swept when a new one is stored, so the map stays
// bounded; records still in flight are kept. Sweeps run only once the
// earliest record can have expired, and at most once per idemSweepInterval.
func TestIdempotencyRecordsAreSwept(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &testClock{now: t0}
	srv := NewServer(WithClock(clock.Now), WithTokenLifetime(72*time.Hour))
	defer srv.Close()
	tok := srv.IssueAccessToken()
	post := func(key string) {
		t.Helper()
		req, err := http.NewRequest("POST", srv.APIURL()+"/sessions", strings.NewReader(`{"title":"x"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 201, resp.StatusCode, key)
	}
	plant := func(key string, rec *idemRecord) idemKey {
		k := idemKey{principal: "client:" + DefaultClientID, method: "POST", path: "/v1/sessions", key: key}
		srv.mu.Lock()
		srv.st.idem[k] = rec
		srv.mu.Unlock()
		return k
	}

	post("a")
	post("b")
	inflight := &idemRecord{created: t0, done: make(chan struct{})}
	inflightKey := plant("inflight", inflight)

	clock.Advance(idempotencyTTL - time.Second)
	post("c")
	assert.ElementsMatch(t, []string{"a", "b", "c", "inflight"}, idemKeys(srv), "nothing expired yet")

	clock.Advance(time.Second) // t0+TTL: a and b expire
	post("d")
	assert.ElementsMatch(t, []string{"c", "d", "inflight"}, idemKeys(srv), "a and b swept; the in-flight record kept")

	// At most one sweep per idemSweepInterval.
	plant("old1", &idemRecord{created: clock.Now().Add(-idempotencyTTL), complete: true})
	post("e")
	assert.Contains(t, idemKeys(srv), "old1", "no second sweep within the interval")
	clock.Advance(idemSweepInterval)
	post("f")
	assert.ElementsMatch(t, []string{"c", "d", "e", "f", "inflight"}, idemKeys(srv))

	// Without the in-flight record, the next sweep waits for c to expire.
	srv.mu.Lock()
	delete(srv.st.idem, inflightKey)
	close(inflight.done)
	srv.mu.Unlock()
	clock.Advance(idemSweepInterval)
	post("g") // sweeps; c (t0+TTL-1s) is now the earliest
	plant("old2", &idemRecord{created: clock.Now().Add(-idempotencyTTL), complete: true})
	clock.Advance(time.Hour)
	post("h")
	assert.Contains(t, idemKeys(srv), "old2", "no sweep before the earliest record expires")
	clock.Set(t0.Add(2*idempotencyTTL - time.Second))
	post("i")
	assert.ElementsMatch(t, []string{"d", "e", "f", "g", "h", "i"}, idemKeys(srv), "c and old2 swept")
	assert.Equal(t, 9, srv.Stats().SessionsCreated)
}
