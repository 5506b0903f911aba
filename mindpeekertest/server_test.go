package mindpeekertest_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestURLs(t *testing.T) {
	srv := newServer(t)
	assert.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	assert.False(t, strings.HasSuffix(srv.URL, "/"))
	assert.Equal(t, srv.URL+"/v1", srv.APIURL())
	assert.Equal(t, srv.URL+"/oauth2/token", srv.TokenURL())
	assert.Equal(t, srv.URL+"/oauth2/authorize", srv.AuthorizeURL())
}

func TestRequestIDsAreUnique(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	seen := map[string]bool{}
	for _, r := range []result{
		api(t, srv, tok, "GET", "/sessions", nil),
		api(t, srv, tok, "GET", "/sessions/ses_missing", nil),
		api(t, srv, cred{}, "GET", "/sessions", nil),
		postToken(t, srv, tokenReq{form: form("grant_type", "password")}),
	} {
		id := r.header.Get("X-Request-Id")
		assert.True(t, strings.HasPrefix(id, "req_"), id)
		assert.False(t, seen[id], id)
		seen[id] = true
	}
}

func TestRequestsAreRecordedWithClonedHeaders(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, mpt.WithClock(clock.Now))
	tok := clientCredentials(t, srv, "")
	api(t, srv, bearer(tok), "GET", "/sessions?limit=3", nil, "X-Trace", "abc")

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "/oauth2/token", reqs[0].Path)
	assert.Equal(t, "/v1/sessions", reqs[1].Path)
	assert.Equal(t, "limit=3", reqs[1].RawQuery)
	assert.Equal(t, "abc", reqs[1].Header.Get("X-Trace"))
	assert.True(t, clock.Now().Equal(reqs[1].Time))

	reqs[1].Header.Set("X-Trace", "changed")
	assert.Equal(t, "abc", srv.Requests()[1].Header.Get("X-Trace"))
	st := srv.Stats()
	assert.Equal(t, 1, st.APIRequests)
	assert.Equal(t, 1, st.TokenRequests)
}

func TestNewServerListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := mpt.NewServerListener(l, mpt.WithSeedData())
	assert.Equal(t, "http://"+l.Addr().String(), srv.URL)

	tok := clientCredentials(t, srv, "")
	p := decode[page[wireSession]](t, api(t, srv, bearer(tok), "GET", "/sessions", nil))
	assert.Len(t, p.Data, 3)

	srv.Inject(mpt.Fault{Kind: mpt.FaultHang})
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.APIURL()+"/sessions", nil)
		_, err := noKeepAlive().Do(req)
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.Stats().APIRequests == 2 }, 5*time.Second, 5*time.Millisecond)
	srv.Close()
	assert.Error(t, <-done)
	srv.Close() // idempotent

	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "listener closed")
}

func TestListenerURLForUnspecifiedHost(t *testing.T) {
	l, err := net.Listen("tcp", "0.0.0.0:0")
	require.NoError(t, err)
	srv := mpt.NewServerListener(l)
	defer srv.Close()
	assert.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	assert.Equal(t, 200, postToken(t, srv, tokenReq{form: form("grant_type", "client_credentials"), useBasicAuth: true,
		basicID: mpt.DefaultClientID, basicSecret: mpt.DefaultClientSecret}).status)
}

func TestHandlerWithRecorder(t *testing.T) {
	srv := newServer(t)
	req := httptest.NewRequest("GET", "/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+srv.IssueAccessToken())
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	assert.Equal(t, 200, rec.Code)
	assert.JSONEq(t, `{"data":[],"has_more":false}`, rec.Body.String())

	srv.Inject(mpt.Fault{Kind: mpt.FaultDropBefore})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		srv.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/sessions", nil))
	}, "no connection to hijack: abort the handler")
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		srv := mpt.NewServer()
		tr := &http.Transport{}
		hc := &http.Client{Transport: tr}
		tok := clientCredentials(t, srv, "")
		apiWith(t, hc, srv, bearer(tok), "GET", "/sessions", nil)
		srv.Inject(mpt.Fault{Kind: mpt.FaultHang})
		go func() {
			req, _ := http.NewRequest("GET", srv.APIURL()+"/sessions", nil)
			if resp, err := hc.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		require.Eventually(t, func() bool { return srv.Stats().APIRequests == 2 }, 5*time.Second, 5*time.Millisecond)
		srv.Close()
		tr.CloseIdleConnections()
	}
	http.DefaultClient.CloseIdleConnections()
	// Poll by hand: assert.Eventually runs goroutines of its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: before %d, now %d\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
