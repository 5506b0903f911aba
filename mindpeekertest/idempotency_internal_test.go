package mindpeekertest

import (
	"io"
	"net/http"
	"strings"
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
