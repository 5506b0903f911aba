package mindpeekertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// serveN sends n GET /v1/sessions?i=<from+k> requests straight to the
// handler (no network), to fill the request log quickly.
func serveN(srv *mpt.Server, from, n int) {
	h := srv.Handler()
	for i := from; i < from+n; i++ {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/v1/sessions?i=%d", i), nil)
		req.Header.Set("Authorization", "Bearer mpat_invalid")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

func queries(reqs []mpt.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.RawQuery
	}
	return out
}

func TestRequestLogKeepsTheMostRecent(t *testing.T) {
	tests := []struct {
		size, sent int
		want       []string
	}{
		{3, 2, []string{"i=0", "i=1"}},
		{3, 3, []string{"i=0", "i=1", "i=2"}},
		{3, 4, []string{"i=1", "i=2", "i=3"}},
		{3, 8, []string{"i=5", "i=6", "i=7"}},
		{1, 5, []string{"i=4"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", tt.size, tt.sent), func(t *testing.T) {
			srv := newServer(t, mpt.WithRequestLog(tt.size))
			serveN(srv, 0, tt.sent)
			assert.Equal(t, tt.want, queries(srv.Requests()), "oldest dropped, arrival order kept")
			assert.Equal(t, tt.sent, srv.Stats().APIRequests, "stats count every request")
		})
	}
}

func TestRequestLogResetAfterWrap(t *testing.T) {
	srv := newServer(t, mpt.WithRequestLog(3))
	serveN(srv, 0, 5)
	reqs := srv.Requests()
	reqs[0].Header.Set("Authorization", "changed")
	assert.Equal(t, "Bearer mpat_invalid", srv.Requests()[0].Header.Get("Authorization"), "headers are copies")

	srv.ResetStats()
	assert.Empty(t, srv.Requests())
	serveN(srv, 10, 4)
	assert.Equal(t, []string{"i=11", "i=12", "i=13"}, queries(srv.Requests()))
}

func TestRequestLogDisabled(t *testing.T) {
	for _, n := range []int{0, -1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			srv := newServer(t, mpt.WithRequestLog(n))
			tok := clientCredentials(t, srv, "")
			api(t, srv, bearer(tok), "GET", "/sessions", nil)
			serveN(srv, 0, 3)
			assert.Nil(t, srv.Requests())
			st := srv.Stats()
			assert.Equal(t, 4, st.APIRequests)
			assert.Equal(t, 1, st.TokenRequests)
		})
	}
}

func TestRequestLogDefaultBound(t *testing.T) {
	srv := newServer(t)
	serveN(srv, 0, mpt.DefaultRequestLog+7)
	reqs := srv.Requests()
	require.Len(t, reqs, mpt.DefaultRequestLog)
	assert.Equal(t, "i=7", reqs[0].RawQuery)
	assert.Equal(t, fmt.Sprintf("i=%d", mpt.DefaultRequestLog+6), reqs[len(reqs)-1].RawQuery)
	assert.Equal(t, mpt.DefaultRequestLog+7, srv.Stats().APIRequests)
}

// Recording and reading the log concurrently is safe (run with -race).
func TestRequestLogConcurrent(t *testing.T) {
	srv := newServer(t, mpt.WithRequestLog(16))
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { serveN(srv, w*each, each) })
	}
	wg.Go(func() {
		for range 100 {
			assert.LessOrEqual(t, len(srv.Requests()), 16)
		}
	})
	wg.Wait()
	assert.Len(t, srv.Requests(), 16)
	assert.Equal(t, workers*each, srv.Stats().APIRequests)
}
